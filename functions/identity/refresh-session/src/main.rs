handoff::http_function!(refresh_session::handle);
