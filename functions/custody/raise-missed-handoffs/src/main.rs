handoff::event_function!(raise_missed_handoffs::handle);
