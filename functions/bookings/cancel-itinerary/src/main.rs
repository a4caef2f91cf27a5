handoff::http_function!(cancel_itinerary::handle);
