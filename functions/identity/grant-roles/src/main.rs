handoff::http_function!(grant_roles::handle);
