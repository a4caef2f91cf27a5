handoff::http_function!(add_trip_leg::handle);
