handoff::http_function!(rebook_itinerary::handle);
