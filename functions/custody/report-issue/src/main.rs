handoff::http_function!(report_issue::handle);
