handoff::http_function!(create_vehicle::handle);
