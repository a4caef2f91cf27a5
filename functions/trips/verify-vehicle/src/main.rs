handoff::http_function!(verify_vehicle::handle);
