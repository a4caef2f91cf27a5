handoff::http_function!(list_my_payouts::handle);
