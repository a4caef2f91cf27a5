handoff::http_function!(revoke_session::handle);
