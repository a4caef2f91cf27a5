//! A function's configuration source. On Lambda it is the process
//! environment; the local stack builds it from template.yaml, so a variable
//! the template does not give a function is missing locally too.
use std::collections::HashMap;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(String),
    #[error("environment variable {name} is invalid: {why}")]
    Invalid { name: String, why: String },
}

#[derive(Debug, Clone, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }
    pub fn from_map(map: HashMap<String, String>) -> Self {
        Self(map)
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
    pub fn require(&self, name: &str) -> Result<String, ConfigError> {
        self.get(name).map(str::to_string).ok_or_else(|| ConfigError::Missing(name.to_string()))
    }
    pub fn parse<T: std::str::FromStr>(&self, name: &str) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        self.require(name)?
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid { name: name.to_string(), why: e.to_string() })
    }
    pub fn invalid(name: &str, why: impl std::fmt::Display) -> ConfigError {
        ConfigError::Invalid { name: name.to_string(), why: why.to_string() }
    }
}
