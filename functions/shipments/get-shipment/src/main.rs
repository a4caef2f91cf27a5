handoff::http_function!(get_shipment::handle);
