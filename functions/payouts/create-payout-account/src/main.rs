handoff::http_function!(create_payout_account::handle);
