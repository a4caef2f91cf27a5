//! Field-level validation errors shared by every parser in the domain.
use serde::Serialize;

/// One invalid field: which one (a JSON pointer-like dotted path) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Collects field errors while a request is parsed, so the caller learns
/// about every wrong field at once.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }
    /// Runs a parser for `field`, recording its error; returns the value if valid.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError::new(field, e.to_string()));
                None
            }
        }
    }
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

impl Errors {
    /// The parsed values once no field failed: `errors.finish((|| Some((a?, b?)))())`.
    /// Values missing without a recorded error (a parser bug) answer a
    /// generic field error rather than panicking.
    pub fn finish<T>(self, parsed: Option<T>) -> Result<T, Vec<FieldError>> {
        self.into_result()?;
        parsed.ok_or_else(|| vec![FieldError::new("body", "is invalid")])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_gives_every_value_or_every_error() {
        let mut ok = Errors::new();
        let (a, b) = (ok.check("a", "1".parse::<u8>()), ok.check("b", "x".parse::<String>()));
        assert_eq!(ok.finish((|| Some((a?, b?)))()).unwrap(), (1, "x".to_string()));
        let mut bad = Errors::new();
        let a = bad.check("a", "z".parse::<u8>());
        let b = bad.check("b", "x".parse::<String>());
        let c = bad.check("c", "-1".parse::<u8>());
        let errs = bad.finish((|| Some((a?, b?, c?)))()).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["a", "c"]);
    }
}
