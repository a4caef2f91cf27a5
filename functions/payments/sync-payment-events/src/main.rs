handoff::event_function!(sync_payment_events::handle);
