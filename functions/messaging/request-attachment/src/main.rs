handoff::http_function!(request_attachment::handle);
