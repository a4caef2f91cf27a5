handoff::http_function!(set_trip_constraints::handle);
