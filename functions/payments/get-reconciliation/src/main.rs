handoff::http_function!(get_reconciliation::handle);
