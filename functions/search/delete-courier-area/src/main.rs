handoff::http_function!(delete_courier_area::handle);
