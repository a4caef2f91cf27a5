handoff::event_function!(check_ledger::handle);
