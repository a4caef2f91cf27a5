handoff::http_function!(list_webhook_endpoints::handle);
