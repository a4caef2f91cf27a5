handoff::http_function!(cancel_trip::handle);
