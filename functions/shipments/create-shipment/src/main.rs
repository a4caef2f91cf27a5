handoff::http_function!(create_shipment::handle);
