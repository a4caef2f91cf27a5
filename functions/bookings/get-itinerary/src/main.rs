handoff::http_function!(get_itinerary::handle);
