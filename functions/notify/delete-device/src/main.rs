handoff::http_function!(delete_device::handle);
