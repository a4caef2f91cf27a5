//! Compiles the gazetteer (data/places.tsv) into the blob the `places`
//! feature embeds: parsed and folded here, once, instead of at every cold start.
#[path = "src/domain/places/compile.rs"]
#[allow(dead_code)]
mod compile;
#[path = "src/domain/places/fold.rs"]
#[allow(dead_code)]
mod fold;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=data/places.tsv");
    println!("cargo:rerun-if-changed=src/domain/places/compile.rs");
    println!("cargo:rerun-if-changed=src/domain/places/fold.rs");
    if std::env::var_os("CARGO_FEATURE_PLACES").is_none() {
        return;
    }
    let text = std::fs::read_to_string("data/places.tsv").expect("shared/data/places.tsv is readable");
    let blob = compile::compile(&text).expect("shared/data/places.tsv compiles");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set")).join("places.bin");
    std::fs::write(out, blob).expect("the compiled gazetteer is written");
}
