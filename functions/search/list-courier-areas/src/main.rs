handoff::http_function!(list_courier_areas::handle);
