handoff::http_function!(geocode_place::handle);
