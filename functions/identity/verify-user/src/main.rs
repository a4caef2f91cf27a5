handoff::http_function!(verify_user::handle);
