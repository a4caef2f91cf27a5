//! Generates the dispatch of `handoff-lambdas` from every function crate's
//! `src/main.rs` (one line: `handoff::http_function!(get_me::handle);`, or
//! `event_function!`, or `consumer_function!` with an optional
//! `retry_on_conflict`): each becomes the call its macro makes, under the
//! crate's package name. A main.rs of another shape fails the build.
use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let functions = root.join("functions");
    println!("cargo:rerun-if-changed={}", functions.display());
    let mut arms = String::new();
    let mut names = Vec::new();
    let mut contexts: Vec<_> = std::fs::read_dir(&functions).expect("functions/").map(|e| e.unwrap().path()).collect();
    contexts.sort();
    for context in contexts.iter().filter(|p| p.is_dir()) {
        println!("cargo:rerun-if-changed={}", context.display());
        let mut crates: Vec<_> = std::fs::read_dir(context).unwrap().map(|e| e.unwrap().path()).collect();
        crates.sort();
        for dir in crates.iter().filter(|p| p.join("Cargo.toml").exists()) {
            let manifest = dir.join("Cargo.toml");
            let main = dir.join("src/main.rs");
            println!("cargo:rerun-if-changed={}", manifest.display());
            println!("cargo:rerun-if-changed={}", main.display());
            let toml = std::fs::read_to_string(&manifest).unwrap();
            let name = toml
                .lines()
                .find_map(|l| l.trim().strip_prefix("name = \"").and_then(|r| r.strip_suffix('"')))
                .unwrap_or_else(|| panic!("{}: no package name", manifest.display()))
                .to_string();
            let text = std::fs::read_to_string(&main).unwrap_or_else(|e| panic!("{}: {e}", main.display()));
            let line: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<String>()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let shape = |m: &str| line.strip_prefix(&format!("handoff::{m}!(")).and_then(|r| r.strip_suffix(");"));
            let call = if let Some(h) = shape("http_function") {
                format!("run_http({name:?}, {h})")
            } else if let Some(h) = shape("event_function") {
                format!("run_event({name:?}, {h})")
            } else if let Some(args) = shape("consumer_function") {
                match args.split_once(',') {
                    None => format!("run_consumer({name:?}, OnConflict::Skip, {args})"),
                    Some((h, "retry_on_conflict")) => format!("run_consumer({name:?}, OnConflict::Retry, {h})"),
                    Some(_) => panic!("{}: unknown consumer_function! option", main.display()),
                }
            } else {
                panic!("{}: main.rs is one line, handoff::<kind>_function!(<crate>::handle);", main.display());
            };
            writeln!(arms, "        {name:?} => {call},").unwrap();
            names.push(name);
        }
    }
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("dispatch.rs");
    let code = format!(
        "/// Every function's package name.\npub const FUNCTIONS: &[&str] = &{names:?};\n\n\
         /// Runs the function `name` as its own binary's `main` would; `None` for an unknown name.\n\
         pub fn run(name: &str) -> Option<Result<(), Error>> {{\n    Some(match name {{\n{arms}        _ => return None,\n    }})\n}}\n"
    );
    std::fs::write(out, code).unwrap();
}
