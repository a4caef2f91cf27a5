handoff::http_function!(read_all_notifications::handle);
