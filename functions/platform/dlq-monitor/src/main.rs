handoff::event_function!(dlq_monitor::handle);
