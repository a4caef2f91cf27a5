handoff::http_function!(complete_handoff_photo::handle);
