handoff::consumer_function!(search_index::handle, retry_on_conflict);
