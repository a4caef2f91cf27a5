handoff::consumer_function!(notifier::handle);
