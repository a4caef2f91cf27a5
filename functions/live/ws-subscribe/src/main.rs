handoff::event_function!(ws_subscribe::handle);
