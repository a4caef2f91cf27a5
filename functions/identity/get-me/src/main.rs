handoff::http_function!(get_me::handle);
