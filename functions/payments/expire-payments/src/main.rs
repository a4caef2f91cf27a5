handoff::event_function!(expire_payments::handle);
