handoff::http_function!(declare_customs::handle);
