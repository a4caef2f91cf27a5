handoff::http_function!(put_notification_preferences::handle);
