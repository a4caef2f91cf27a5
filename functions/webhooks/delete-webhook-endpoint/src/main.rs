handoff::http_function!(delete_webhook_endpoint::handle);
