handoff::http_function!(delete_shipment::handle);
