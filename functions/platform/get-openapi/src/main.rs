handoff::http_function!(get_openapi::handle);
