handoff::http_function!(stripe_webhook::handle);
