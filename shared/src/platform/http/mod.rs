//! HTTP routes: [`ApiRequest`] (parsing with field errors, the authorizer's
//! principal, paging), [`Reply`], RFC 9457 [`Problem`]s, and the
//! [`dispatch`]er that runs a handler with idempotency and its writes.
mod dispatch;
mod problem;
mod reply;
mod request;

pub use crate::platform::contract::{Access, Operation};
pub use dispatch::{answer, dispatch, HttpHandler};
pub use problem::{Problem, MAX_BODY_BYTES, PROBLEM_BASE};
pub use reply::{Answer, Items, Page, Reply};
pub use request::ApiRequest;
