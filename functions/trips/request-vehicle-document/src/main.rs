handoff::http_function!(request_vehicle_document::handle);
