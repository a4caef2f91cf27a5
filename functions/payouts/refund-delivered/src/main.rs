handoff::http_function!(refund_delivered::handle);
