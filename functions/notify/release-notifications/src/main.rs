handoff::event_function!(release_notifications::handle);
