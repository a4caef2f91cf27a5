handoff::http_function!(get_webhook_endpoint::handle);
