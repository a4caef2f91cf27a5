handoff::http_function!(run_reconciliation::handle);
