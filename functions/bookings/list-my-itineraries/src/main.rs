handoff::http_function!(list_my_itineraries::handle);
