handoff::http_function!(get_delivery_proof::handle);
