handoff::consumer_function!(release_escrow::handle, retry_on_conflict);
