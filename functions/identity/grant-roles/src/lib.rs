//! PUT /admin/users/{id}/roles — an administrator sets a user's roles,
//! elevated ones included. The change takes effect on the user's next
//! request: the authorizer reads the roles from the user, not the token.
use handoff::domain::events::RolesChanged;
use handoff::domain::identity::{Role, Roles, User};
use handoff::domain::validation::Errors;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::store::{put_versioned, Record};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "GrantRolesRequest")]
struct Body {
    /// The user's whole set of roles after the change.
    #[schemars(with = "Vec<Role>")]
    roles: Vec<String>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let admin = req.require_role(Role::Admin)?;
    let user_id = req.path_param("id")?;
    let body: Body = req.json()?;
    let mut errors = Errors::new();
    let roles: Roles = body
        .roles
        .iter()
        .enumerate()
        .filter_map(|(i, r)| errors.check(&format!("roles.{i}"), r.parse::<Role>()))
        .collect();
    errors.into_result().map_err(Problem::validation)?;
    if user_id == admin.user_id && !roles.contains(&Role::Admin) {
        return Err(Problem::conflict(
            "cannot-remove-own-admin",
            "an administrator cannot remove their own admin role",
        ));
    }
    let current: Record<User> =
        table.get(&keys::user(user_id), true).await?.ok_or_else(|| Problem::not_found("user"))?;
    let mut user = current.data.clone();
    user.roles = roles;
    user.updated_at = ctx.now_rfc3339();
    let event = RolesChanged {
        user_id: user.user_id.clone(),
        roles: user.roles.iter().map(|r| r.to_string()).collect(),
        granted_by: admin.user_id.clone(),
    };
    Ok(Reply::ok(&user)
        .write(
            put_versioned(&current.next(user.clone())),
            Some(Problem::conflict("profile-changed", "the user was changed by another request; retry")),
        )
        .write(outbox::event(&event, &req.correlation_id, req.actor()), None))
}

pub fn operation() -> Operation {
    Operation::put("/admin/users/{id}/roles", "admin", "Set a user's roles, elevated ones included")
        .describe("Takes effect on the user's next request.")
        .role(Role::Admin)
        .body::<Body>()
        .example(serde_json::json!({"roles": ["sender", "support"]}))
        .reply::<User>(200, "the user with the new roles")
        .problem(409, "cannot-remove-own-admin")
        .problem(409, "profile-changed")
}
