handoff::http_function!(complete_trip_document::handle);
