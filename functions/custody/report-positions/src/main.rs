handoff::http_function!(report_positions::handle);
