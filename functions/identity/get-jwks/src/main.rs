handoff::http_function!(get_jwks::handle);
