handoff::consumer_function!(apply_payout_event::handle, retry_on_conflict);
