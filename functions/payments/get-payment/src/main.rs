handoff::http_function!(get_payment::handle);
