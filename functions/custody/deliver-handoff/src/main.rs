handoff::http_function!(deliver_handoff::handle);
