//! `cargo run -p handoff-contract` regenerates docs/openapi.json and
//! events/schemas/*.json from the code; `-- --check` only says which are stale.
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    if std::env::args().any(|a| a == "--check") {
        let stale = handoff_contract::stale(&root);
        for p in &stale {
            eprintln!("stale: {}", p.display());
        }
        std::process::exit(i32::from(!stale.is_empty()));
    }
    match handoff_contract::write(&root) {
        Ok(changed) if changed.is_empty() => println!("the contract is current"),
        Ok(changed) => changed.iter().for_each(|p| println!("wrote {}", p.display())),
        Err(e) => {
            eprintln!("handoff-contract: {e}");
            std::process::exit(1);
        }
    }
}
