handoff::http_function!(get_tracking::handle);
