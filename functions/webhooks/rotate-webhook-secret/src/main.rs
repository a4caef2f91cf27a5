handoff::http_function!(rotate_webhook_secret::handle);
