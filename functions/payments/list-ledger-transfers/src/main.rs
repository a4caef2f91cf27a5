handoff::http_function!(list_ledger_transfers::handle);
