handoff::http_function!(get_ledger_account::handle);
