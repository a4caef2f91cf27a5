handoff::consumer_function!(withdraw_bookings::handle, retry_on_conflict);
