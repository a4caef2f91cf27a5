handoff::consumer_function!(withdraw_trips::handle);
