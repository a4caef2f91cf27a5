handoff::http_function!(create_courier_area::handle);
