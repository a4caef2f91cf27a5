handoff::http_function!(list_handoffs::handle);
