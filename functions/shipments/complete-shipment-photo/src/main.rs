handoff::http_function!(complete_shipment_photo::handle);
