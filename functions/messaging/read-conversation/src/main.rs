handoff::http_function!(read_conversation::handle);
