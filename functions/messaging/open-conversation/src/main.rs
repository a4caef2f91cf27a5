handoff::consumer_function!(open_conversation::handle);
