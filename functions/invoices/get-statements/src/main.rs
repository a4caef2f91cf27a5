handoff::http_function!(get_statements::handle);
