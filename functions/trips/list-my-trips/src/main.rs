handoff::http_function!(list_my_trips::handle);
