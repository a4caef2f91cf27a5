//! Local secrets: what Secrets Manager holds on AWS (see AuthSecretName and
//! PaymentsSecretName in template.yaml), generated once per machine into
//! .local/secrets.json (keys added later are filled in). Each local stack has
//! its own Stripe secret key: its own account at localstripe.
use handoff::platform::auth::{generate_private_pem, Jwks, Signer};
use handoff::platform::crypto::random_token;
use std::collections::BTreeMap;
use std::path::Path;

pub fn generate() -> BTreeMap<String, String> {
    let pem = generate_private_pem();
    let signer = Signer::from_pem(&pem).expect("generated key loads");
    let jwks = serde_json::to_string(&Jwks { keys: vec![signer.jwk().clone()] }).expect("jwks serialises");
    BTreeMap::from([
        ("jwt_private_key".to_string(), pem),
        ("jwt_jwks".to_string(), jwks),
        ("otp_pepper".to_string(), random_token(32)),
        ("cursor_secret".to_string(), random_token(32)),
        ("custody_key".to_string(), random_token(32)),
        ("stripe_secret_key".to_string(), format!("sk_test_{}", random_token(18).replace(['-', '_'], "0"))),
        ("stripe_webhook_secrets".to_string(), format!("whsec_{}", random_token(24).replace(['-', '_'], "0"))),
    ])
}

pub fn load_or_create(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut s = generate();
    if let Ok(text) = std::fs::read_to_string(path) {
        let stored: BTreeMap<String, String> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if s.keys().all(|k| stored.contains_key(k)) {
            return Ok(stored);
        }
        s.extend(stored);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(path, serde_json::to_string_pretty(&s).expect("serialises")).map_err(|e| e.to_string())?;
    Ok(s)
}
