handoff::http_function!(search_routes::handle);
