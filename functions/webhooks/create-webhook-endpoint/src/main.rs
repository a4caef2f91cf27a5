handoff::http_function!(create_webhook_endpoint::handle);
