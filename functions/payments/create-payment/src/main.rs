handoff::http_function!(create_payment::handle);
