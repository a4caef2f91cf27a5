handoff::http_function!(verify_otp::handle);
