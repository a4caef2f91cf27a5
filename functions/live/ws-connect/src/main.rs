handoff::event_function!(ws_connect::handle);
