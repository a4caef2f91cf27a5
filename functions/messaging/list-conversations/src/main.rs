handoff::http_function!(list_conversations::handle);
