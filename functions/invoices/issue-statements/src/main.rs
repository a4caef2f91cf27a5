handoff::event_function!(issue_statements::handle);
