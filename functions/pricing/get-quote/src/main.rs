handoff::http_function!(get_quote::handle);
