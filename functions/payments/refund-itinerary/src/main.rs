handoff::consumer_function!(refund_itinerary::handle, retry_on_conflict);
