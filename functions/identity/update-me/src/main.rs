handoff::http_function!(update_me::handle);
