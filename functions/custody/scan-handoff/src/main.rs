handoff::http_function!(scan_handoff::handle);
