handoff::http_function!(create_quote::handle);
