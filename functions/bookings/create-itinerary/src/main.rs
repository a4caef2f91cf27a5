handoff::http_function!(create_itinerary::handle);
