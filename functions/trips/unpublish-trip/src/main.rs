handoff::http_function!(unpublish_trip::handle);
