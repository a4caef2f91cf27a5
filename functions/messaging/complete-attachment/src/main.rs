handoff::http_function!(complete_attachment::handle);
