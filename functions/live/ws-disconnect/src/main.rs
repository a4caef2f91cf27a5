handoff::event_function!(ws_disconnect::handle);
