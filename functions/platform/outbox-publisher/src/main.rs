handoff::event_function!(outbox_publisher::handle);
