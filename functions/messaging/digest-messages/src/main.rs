handoff::event_function!(digest_messages::handle);
