handoff::http_function!(update_shipment::handle);
