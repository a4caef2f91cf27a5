handoff::http_function!(get_handoff_qr::handle);
