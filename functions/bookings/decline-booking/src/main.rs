handoff::http_function!(decline_booking::handle);
