handoff::http_function!(list_sessions::handle);
