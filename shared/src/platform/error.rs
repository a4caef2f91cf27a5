//! Errors as logs should show them: the error and every source under it.
use std::fmt;

/// Displays `error: source: source…` (the whole chain, which `{}` alone drops).
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn shows_every_source() {
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(super::Chain(&e).to_string(), "outer: inner");
    }
}
