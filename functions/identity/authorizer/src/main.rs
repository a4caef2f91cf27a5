// The authentication future (token, session and user) nests deeply.
#![recursion_limit = "256"]
handoff::event_function!(authorizer::handle);
