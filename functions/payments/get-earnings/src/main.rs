handoff::http_function!(get_earnings::handle);
