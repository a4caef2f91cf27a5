handoff::http_function!(logout::handle);
