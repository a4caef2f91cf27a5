handoff::http_function!(list_notifications::handle);
