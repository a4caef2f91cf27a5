handoff::event_function!(retry_webhooks::handle);
