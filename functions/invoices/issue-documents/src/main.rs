handoff::consumer_function!(issue_documents::handle);
