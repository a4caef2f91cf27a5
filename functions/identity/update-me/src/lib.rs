//! PATCH /me — name, phone (E.164), locale and self-service roles (sender,
//! traveler, driver). A field sent as `null` is cleared. Elevated roles
//! (support, admin) are granted only by an administrator: asking for one is 403.
//! Reads the profile, then writes it back conditional on its version, with
//! ProfileUpdated in the same transaction.
use handoff::domain::events::ProfileUpdated;
use handoff::domain::identity::{self_service_roles, DisplayName, Locale, Phone, Role, Roles, User};
use handoff::domain::validation::Errors;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::store::{put_versioned, Record};
use serde::{Deserialize, Deserializer};

/// Absent → `None`; `null` → `Some(None)`; a value → `Some(Some(v))`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ProfilePatch")]
struct Patch {
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    locale: Option<Option<String>>,
    /// Self-service roles: sender, traveler, driver.
    #[serde(default)]
    #[schemars(with = "Option<Vec<Role>>")]
    roles: Option<Vec<String>>,
}

/// Applies a field of the patch: parse if given, clear if null.
fn field<T>(
    errors: &mut Errors,
    name: &str,
    patch: Option<Option<String>>,
    parse: impl Fn(&str) -> Result<T, handoff::domain::identity::InvalidInput>,
    slot: &mut Option<T>,
    changed: &mut Vec<String>,
) {
    match patch {
        None => {}
        Some(None) => {
            *slot = None;
            changed.push(name.into());
        }
        Some(Some(raw)) => {
            if let Some(v) = errors.check(name, parse(&raw)) {
                *slot = Some(v);
                changed.push(name.into());
            }
        }
    }
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let patch: Patch = req.json()?;
    let current: Record<User> =
        table.get(&keys::user(&me.user_id), true).await?.ok_or_else(|| Problem::not_found("user"))?;
    let mut user = current.data.clone();
    let mut errors = Errors::new();
    let mut changed = Vec::new();
    field(&mut errors, "name", patch.name, DisplayName::parse, &mut user.name, &mut changed);
    field(&mut errors, "phone", patch.phone, Phone::parse, &mut user.phone, &mut changed);
    field(&mut errors, "locale", patch.locale, Locale::parse, &mut user.locale, &mut changed);
    let mut requested = Roles::new();
    if let Some(roles) = &patch.roles {
        for (i, r) in roles.iter().enumerate() {
            if let Some(role) = errors.check(&format!("roles.{i}"), r.parse::<Role>()) {
                requested.insert(role);
            }
        }
    }
    errors.into_result().map_err(Problem::validation)?;
    if patch.roles.is_some() {
        user.roles = self_service_roles(&user.roles, &requested).map_err(|e| Problem::forbidden(e.to_string()))?;
        changed.push("roles".into());
    }
    if changed.is_empty() {
        return Err(Problem::bad_request("empty-patch", "send at least one of name, phone, locale, roles"));
    }
    user.updated_at = ctx.now_rfc3339();
    let write = put_versioned(&current.next(user.clone()));
    let event = ProfileUpdated { user_id: me.user_id.clone(), fields: changed };
    Ok(Reply::ok(&user)
        .write(
            write,
            Some(Problem::conflict("profile-changed", "the profile was changed by another request; read it and retry")),
        )
        .write(outbox::event(&event, &req.correlation_id, req.actor()), None))
}

pub fn operation() -> Operation {
    Operation::patch("/me", "identity", "Change the caller's profile")
        .describe("Name, phone (E.164), locale and self-service roles; a field sent as null is cleared.")
        .body::<Patch>()
        .example(serde_json::json!({"name": "Ada Lovelace", "locale": "en-GB", "roles": ["sender", "traveler"]}))
        .reply::<User>(200, "the changed profile")
        .problem(400, "empty-patch")
        .problem(403, "forbidden")
        .problem(404, "not-found")
        .problem(409, "profile-changed")
}
