handoff::http_function!(list_messages::handle);
