//! The end-to-end tests, in one binary (the local stack is linked once):
//! flows over HTTP against the local stack, which runs every function's
//! real binary. Run with infra/test.sh (it starts moto and builds the
//! functions first).
mod authz;
mod bookings;
mod clock;
mod contract;
mod custody;
mod disputes;
mod events;
mod faults;
mod fuzz;
mod hostile;
mod invoices;
mod messaging;
mod negative;
mod notifications;
mod payments;
mod payouts;
mod places;
mod profile;
mod reconciliation;
mod samples;
mod search;
mod signin;
mod stack;
mod stripe_emulator;
mod template;
mod trips;
mod webhooks;
