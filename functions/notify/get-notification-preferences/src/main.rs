handoff::http_function!(get_notification_preferences::handle);
