handoff::http_function!(get_payout_account::handle);
