handoff::http_function!(request_handoff_photo::handle);
