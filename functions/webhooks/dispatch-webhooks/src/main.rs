handoff::consumer_function!(dispatch_webhooks::handle);
