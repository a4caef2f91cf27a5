handoff::http_function!(list_booking_requests::handle);
