handoff::http_function!(update_webhook_endpoint::handle);
