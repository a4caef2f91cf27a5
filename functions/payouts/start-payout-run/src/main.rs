handoff::http_function!(start_payout_run::handle);
