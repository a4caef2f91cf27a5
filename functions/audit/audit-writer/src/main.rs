handoff::consumer_function!(audit_writer::handle);
