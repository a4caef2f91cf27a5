handoff::http_function!(request_trip_document::handle);
