handoff::http_function!(list_my_shipments::handle);
