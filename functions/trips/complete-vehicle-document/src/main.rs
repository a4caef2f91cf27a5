handoff::http_function!(complete_vehicle_document::handle);
