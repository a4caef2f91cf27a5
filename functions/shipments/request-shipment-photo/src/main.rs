handoff::http_function!(request_shipment_photo::handle);
