//! Folding names for matching: shared by the gazetteer and by the build
//! script that compiles it (so both fold alike).

/// Lower-case ASCII with accents removed, every run of non-alphanumerics one space.
pub fn fold(s: &str) -> String {
    let ascii;
    let s = if s.is_ascii() {
        s
    } else {
        ascii = deunicode::deunicode(s);
        &ascii
    };
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}
