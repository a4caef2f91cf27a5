handoff::event_function!(reconcile::handle);
