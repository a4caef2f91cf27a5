handoff::consumer_function!(broadcast::handle);
