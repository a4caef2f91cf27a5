handoff::http_function!(read_notification::handle);
