//! `handoff-lambdas <function>`: every function of functions/ in one binary,
//! for the local stack and the tests (one link instead of one per function).
//! It runs the named function's handler through the same runtime loop as
//! that function's own binary (`target/…/<function>`, which `sam build` and
//! the cold-start bench build): the dispatch is generated from each crate's
//! one-line main.rs by build.rs.
use handoff::platform::consumer::OnConflict;
use handoff::platform::lambda::{run_consumer, run_event, run_http, Error};

include!(concat!(env!("OUT_DIR"), "/dispatch.rs"));

fn main() -> Result<(), Error> {
    let name = std::env::args().nth(1).unwrap_or_default();
    match run(&name) {
        Some(outcome) => outcome,
        None => {
            eprintln!("handoff-lambdas: no function {name:?}; one of: {}", FUNCTIONS.join(", "));
            std::process::exit(2);
        }
    }
}
