handoff::http_function!(create_trip::handle);
