handoff::http_function!(post_message::handle);
