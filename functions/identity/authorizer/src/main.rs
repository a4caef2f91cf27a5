handoff::event_function!(authorizer::handle);
