//! Field-level validation errors shared by every parser in the domain.
use serde::Serialize;

/// One invalid field: which one (a JSON pointer-like dotted path) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Every field parsed, or every field's error: `let (a, b) = all((pa, pb))?;`
/// with each part a `Result<_, FieldError>` (see [`field`]). Parsing into
/// the valid types once, with no "checked" unwraps after.
pub trait All {
    type Output;
    fn all(self) -> Result<Self::Output, Vec<FieldError>>;
}

/// Names a parser's error after `field`.
pub fn field<T, E: std::fmt::Display>(field: &str, r: Result<T, E>) -> Result<T, FieldError> {
    r.map_err(|e| FieldError::new(field, e.to_string()))
}

pub fn all<A: All>(parts: A) -> Result<A::Output, Vec<FieldError>> {
    parts.all()
}

macro_rules! impl_all {
    ($($t:ident $v:ident),+) => {
        impl<$($t),+> All for ($(Result<$t, FieldError>,)+) {
            type Output = ($($t,)+);
            fn all(self) -> Result<Self::Output, Vec<FieldError>> {
                let ($($v,)+) = self;
                let mut errors = Vec::new();
                $(let $v = $v.map_err(|e| errors.push(e));)+
                match ($($v,)+) {
                    ($(Ok($v),)+) => Ok(($($v,)+)),
                    _ => Err(errors),
                }
            }
        }
    };
}
impl_all!(A a);
impl_all!(A a, B b);
impl_all!(A a, B b, C c);
impl_all!(A a, B b, C c, D d);
impl_all!(A a, B b, C c, D d, E e);
impl_all!(A a, B b, C c, D d, E e, F f);
impl_all!(A a, B b, C c, D d, E e, F f, G g);
impl_all!(A a, B b, C c, D d, E e, F f, G g, H h);

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
    fn all_or_every_error() {
        let ok = all((field("a", "1".parse::<u8>()), field("b", "x".parse::<String>())));
        assert_eq!(ok.unwrap(), (1, "x".to_string()));
        let bad =
            all((field("a", "z".parse::<u8>()), field("b", "x".parse::<String>()), field("c", "-1".parse::<u8>())));
        let errs = bad.unwrap_err();
        assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["a", "c"]);
    }
}
