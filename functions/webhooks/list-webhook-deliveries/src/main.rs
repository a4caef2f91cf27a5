handoff::http_function!(list_webhook_deliveries::handle);
