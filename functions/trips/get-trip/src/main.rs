handoff::http_function!(get_trip::handle);
