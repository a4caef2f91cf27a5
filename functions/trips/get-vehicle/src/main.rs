handoff::http_function!(get_vehicle::handle);
