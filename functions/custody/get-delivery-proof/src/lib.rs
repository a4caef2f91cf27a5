//! GET /shipments/{id}/proof — the delivery proof of a delivered shipment,
//! for its parties: every step with its scan (time, position, distance,
//! method, the SHA-256 of each photo) and the verified head of the
//! tracking chain, signed by the platform as a compact JWS (ES256, the
//! access tokens' key) that anyone can verify offline against
//! GET /.well-known/jwks.json. 409 before delivery, and if the chain does
//! not verify. One Query.
use handoff::domain::custody::{proof, verify, CustodyStatus, ProofDocument};
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::crypto::sha256_hex;
use handoff::platform::custody_records::party_chain;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::sessions::AuthConfig;
use serde::Serialize;

pub struct Config(AuthConfig);

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self(AuthConfig::from_env(env)?))
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct DeliveryProof {
    /// The compact JWS (ES256; header `kid` names the JWKS key).
    pub jws: String,
    /// Its payload, decoded.
    pub document: ProofDocument,
}

pub async fn handle(ctx: &Ctx<Config>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let (c, links) = party_chain(ctx.table()?, id, &me.user_id).await?;
    if c.data.status != CustodyStatus::Delivered {
        return Err(Problem::conflict("not-delivered", "a delivery proof exists once the shipment is delivered"));
    }
    let chain = verify(&links, &c.data.chain, sha256_hex);
    let document = proof(&c.data, &chain, ctx.now()).ok_or_else(|| {
        tracing::error!(shipment = %id, broken_at = ?chain.broken_at, "tracking chain does not verify");
        Problem::conflict("tracking-chain-broken", "the tracking chain does not verify; support has been told")
    })?;
    Ok(Reply::ok(&DeliveryProof { jws: ctx.config.0.signer.sign(&document), document }))
}

pub fn operation() -> Operation {
    Operation::get("/shipments/{id}/proof", "custody", "The signed delivery proof")
        .describe(
            "A JWS (ES256) over every step, scan, position, photo hash and the chain head; verify it offline \
             against /.well-known/jwks.json. Parties only, once delivered.",
        )
        .reply::<DeliveryProof>(200, "the proof")
        .problem(409, "not-delivered")
        .problem(409, "tracking-chain-broken")
}
