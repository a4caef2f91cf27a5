handoff::event_function!(ses_feedback::handle);
