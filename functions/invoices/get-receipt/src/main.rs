handoff::http_function!(get_receipt::handle);
