//! Demo data loaded on start: a few users with roles (infra/demo.json).
//! Sign in as any of them with POST /auth/otp and the local mailbox.
use handoff::domain::identity::{DisplayName, Email, Locale, Phone, Role, User, Verification};
use handoff::keys::{self, entity};
use handoff::platform::clock::now_rfc3339;
use handoff::platform::crypto::new_id;
use handoff::platform::sessions::EmailClaim;
use handoff::platform::store::{put_new, Record, StoreError, Table};
use serde::Deserialize;

#[derive(Deserialize)]
struct Demo {
    users: Vec<DemoUser>,
}

#[derive(Deserialize)]
struct DemoUser {
    email: String,
    name: Option<String>,
    phone: Option<String>,
    locale: Option<String>,
    roles: Vec<String>,
    #[serde(default)]
    verified: bool,
}

/// Loads the demo users; returns how many were created (existing emails are kept).
pub async fn load(table: &Table, json: &str) -> Result<usize, String> {
    let demo: Demo = serde_json::from_str(json).map_err(|e| format!("demo.json: {e}"))?;
    let mut created = 0;
    for u in demo.users {
        let email = Email::parse(&u.email).map_err(|e| format!("{}: {e}", u.email))?;
        let roles = u.roles.iter().map(|r| r.parse::<Role>()).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
        let stamp = now_rfc3339();
        let user = User {
            user_id: new_id(),
            email: email.clone(),
            name: u.name.as_deref().map(DisplayName::parse).transpose().map_err(|e| e.to_string())?,
            phone: u.phone.as_deref().map(Phone::parse).transpose().map_err(|e| e.to_string())?,
            locale: u.locale.as_deref().map(Locale::parse).transpose().map_err(|e| e.to_string())?,
            roles,
            verification: if u.verified { Verification::Verified } else { Verification::Unverified },
            created_at: stamp.clone(),
            updated_at: stamp,
        };
        let writes = vec![
            put_new(&Record::new(
                keys::email(email.as_str()),
                entity::EMAIL,
                EmailClaim { user_id: user.user_id.clone() },
            )),
            put_new(&Record::new(keys::user(&user.user_id), entity::USER, user)),
        ];
        match table.transact(writes).await {
            Ok(()) => created += 1,
            Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(created)
}
