handoff::http_function!(list_audit::handle);
