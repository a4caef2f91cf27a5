handoff::http_function!(search_places::handle);
