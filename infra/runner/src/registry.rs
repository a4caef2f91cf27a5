//! Every function crate, by its CodeUri, and how to build it from the
//! environment template.yaml gives it. A test checks that this list,
//! functions/ and template.yaml agree.
use futures::future::BoxFuture;
use handoff::platform::aws::Aws;
use handoff::platform::consumer::{Consumer, SqsConsumer};
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{dispatch, HttpFunction};
use handoff::platform::lambda::{invoke_json, EventFunction};
use std::sync::Arc;

pub type HttpInvoke = Arc<dyn Fn(lambda_http::Request) -> BoxFuture<'static, http::Response<lambda_http::Body>> + Send + Sync>;
pub type EventInvoke = Arc<dyn Fn(serde_json::Value) -> BoxFuture<'static, Result<serde_json::Value, String>> + Send + Sync>;

#[derive(Clone)]
pub enum Invoker {
    Http(HttpInvoke),
    Event(EventInvoke),
}

pub type Maker = fn(&Env, &Aws) -> Result<Invoker, ConfigError>;

fn http<F: HttpFunction>(env: &Env, aws: &Aws) -> Result<Invoker, ConfigError> {
    let f = Arc::new(F::from_env(env, aws)?);
    Ok(Invoker::Http(Arc::new(move |req| {
        let f = f.clone();
        Box::pin(async move { dispatch(&*f, req).await })
    })))
}

fn event<F: EventFunction>(env: &Env, aws: &Aws) -> Result<Invoker, ConfigError> {
    let f = Arc::new(F::from_env(env, aws)?);
    Ok(Invoker::Event(Arc::new(move |e| {
        let f = f.clone();
        Box::pin(async move { invoke_json(&*f, e).await })
    })))
}

fn consumer<C: Consumer>(env: &Env, aws: &Aws) -> Result<Invoker, ConfigError> {
    event::<SqsConsumer<C>>(env, aws)
}

/// CodeUri → constructor.
pub fn all() -> Vec<(&'static str, Maker)> {
    vec![
        ("functions/identity/request-otp", http::<request_otp::Function>),
        ("functions/identity/verify-otp", http::<verify_otp::Function>),
        ("functions/identity/refresh-session", http::<refresh_session::Function>),
        ("functions/identity/logout", http::<logout::Function>),
        ("functions/identity/get-jwks", http::<get_jwks::Function>),
        ("functions/places/search-places", http::<search_places::Function>),
        ("functions/places/get-place", http::<get_place::Function>),
        ("functions/places/geocode-place", http::<geocode_place::Function>),
        ("functions/identity/get-me", http::<get_me::Function>),
        ("functions/identity/update-me", http::<update_me::Function>),
        ("functions/identity/list-sessions", http::<list_sessions::Function>),
        ("functions/identity/revoke-session", http::<revoke_session::Function>),
        ("functions/identity/grant-roles", http::<grant_roles::Function>),
        ("functions/trips/create-trip", http::<create_trip::Function>),
        ("functions/trips/add-trip-leg", http::<add_trip_leg::Function>),
        ("functions/trips/set-trip-constraints", http::<set_trip_constraints::Function>),
        ("functions/trips/request-trip-document", http::<request_trip_document::Function>),
        ("functions/trips/complete-trip-document", http::<complete_trip_document::Function>),
        ("functions/trips/publish-trip", http::<publish_trip::Function>),
        ("functions/trips/unpublish-trip", http::<unpublish_trip::Function>),
        ("functions/trips/cancel-trip", http::<cancel_trip::Function>),
        ("functions/trips/delete-trip", http::<delete_trip::Function>),
        ("functions/trips/get-trip", http::<get_trip::Function>),
        ("functions/trips/list-my-trips", http::<list_my_trips::Function>),
        ("functions/trips/create-vehicle", http::<create_vehicle::Function>),
        ("functions/trips/get-vehicle", http::<get_vehicle::Function>),
        ("functions/trips/request-vehicle-document", http::<request_vehicle_document::Function>),
        ("functions/trips/complete-vehicle-document", http::<complete_vehicle_document::Function>),
        ("functions/trips/verify-vehicle", http::<verify_vehicle::Function>),
        ("functions/identity/verify-user", http::<verify_user::Function>),
        ("functions/identity/authorizer", event::<authorizer::Function>),
        ("functions/audit/audit-writer", consumer::<audit_writer::Function>),
        ("functions/search/search-index", consumer::<search_index::Function>),
        ("functions/search/search-routes", http::<search_routes::Function>),
        ("functions/search/create-courier-area", http::<create_courier_area::Function>),
        ("functions/search/list-courier-areas", http::<list_courier_areas::Function>),
        ("functions/search/delete-courier-area", http::<delete_courier_area::Function>),
        ("functions/audit/list-audit", http::<list_audit::Function>),
        ("functions/platform/outbox-publisher", event::<outbox_publisher::Function>),
        ("functions/platform/dlq-monitor", event::<dlq_monitor::Function>),
    ]
}
