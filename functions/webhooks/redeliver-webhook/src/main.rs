handoff::http_function!(redeliver_webhook::handle);
