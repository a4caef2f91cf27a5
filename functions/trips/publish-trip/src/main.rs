handoff::http_function!(publish_trip::handle);
