handoff::http_function!(get_public_tracking::handle);
