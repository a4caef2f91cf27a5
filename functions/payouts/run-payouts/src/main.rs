handoff::event_function!(run_payouts::handle);
