handoff::http_function!(get_place::handle);
