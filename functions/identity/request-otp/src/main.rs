handoff::http_function!(request_otp::handle);
