handoff::event_function!(expire_bookings::handle);
