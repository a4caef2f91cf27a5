handoff::http_function!(get_invoice::handle);
