handoff::http_function!(list_disputes::handle);
