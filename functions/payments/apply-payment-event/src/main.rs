handoff::consumer_function!(apply_payment_event::handle, retry_on_conflict);
