handoff::http_function!(delete_trip::handle);
