handoff::http_function!(register_device::handle);
