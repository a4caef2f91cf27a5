handoff::http_function!(accept_booking::handle);
