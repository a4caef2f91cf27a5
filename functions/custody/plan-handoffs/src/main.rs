handoff::consumer_function!(plan_handoffs::handle, retry_on_conflict);
