//! Stripe, the payment provider: its webhook signatures and events (no
//! feature needed), and with the `stripe` feature a thin typed client for
//! exactly the calls the payment flows make.
//!
//! The client speaks Stripe's HTTP API with form-encoded bodies (nested
//! keys such as `metadata[itinerary_id]`), a pinned `Stripe-Version`, an
//! `Idempotency-Key` on every POST (chosen by the caller from what causes
//! the call, so a retry anywhere is the same request to Stripe), timeouts,
//! and retries with backoff on 429, 5xx and broken connections only. Each
//! call is counted beside the AWS calls (`Stripe.CreatePaymentIntent=1`).
use crate::domain::money::Currency;
use crate::domain::payments::Signal;
use crate::platform::crypto::{ct_eq, hmac_sha256};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The Stripe API version every request asks for.
pub const API_VERSION: &str = "2025-09-30.clover";
/// How old a webhook's signature may be (seconds), as Stripe's libraries default.
pub const SIGNATURE_TOLERANCE: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header is not t=…,v1=…")]
    Malformed,
    #[error("the signature's timestamp is more than {SIGNATURE_TOLERANCE} seconds from now")]
    Stale,
    #[error("no v1 signature matches the payload")]
    NoMatch,
}

/// Checks a webhook's `Stripe-Signature` (`t=…,v1=…[,v1=…]`): HMAC-SHA256
/// of `t.payload` under any of `secrets` (several during a rotation),
/// compared in constant time, `t` within `tolerance` seconds of `now`.
pub fn verify_signature(
    payload: &[u8],
    header: Option<&str>,
    secrets: &[String],
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", v)) => v1.push(v),
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if v1.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > tolerance {
        return Err(SignatureError::Stale);
    }
    let mut signed = t.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(payload);
    let mut ok = false;
    for s in secrets {
        let expected = crate::platform::crypto::hex(&hmac_sha256(s.as_bytes(), &signed));
        for v in &v1 {
            // Every comparison runs: no early exit on the first match.
            ok |= ct_eq(expected.as_bytes(), v.as_bytes());
        }
    }
    if ok {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// `t=…,v1=…` for `payload` under `secret` at `t` (tests and the local stack).
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    sign_with(payload, &[secret], t)
}

/// The same scheme with one `v1` per secret (outbound webhooks while a
/// secret is rotated): `t=<t>,v1=<a>,v1=<b>`.
pub fn sign_with(payload: &[u8], secrets: &[&str], t: i64) -> String {
    let mut signed = t.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(payload);
    let mut out = format!("t={t}");
    for s in secrets {
        out.push_str(&format!(",v1={}", crate::platform::crypto::hex(&hmac_sha256(s.as_bytes(), &signed))));
    }
    out
}

/// A Stripe event, as webhooks and `GET /v1/events` carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// `evt_…`: events are applied once each by this id.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventData {
    /// The object the event is about, as it was then.
    pub object: Value,
}

/// The event types the platform acts on; others are acknowledged and ignored.
pub const HANDLED: [&str; 9] = [
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.requires_action",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
    "account.updated",
    "transfer.reversed",
];

/// An id that may come expanded (an object with `id`) or not (a string).
fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id")?.as_str().map(str::to_string),
        _ => None,
    }
}

impl From<crate::domain::events::ProviderEventReceived> for Event {
    /// The provider's event again, as the consumers of ProviderEventReceived read it.
    fn from(r: crate::domain::events::ProviderEventReceived) -> Self {
        Event { id: r.event_id, kind: r.event_type, created: r.created, data: EventData { object: r.object } }
    }
}

impl Event {
    /// The PaymentIntent the event is about.
    pub fn intent_id(&self) -> Option<String> {
        let o = &self.data.object;
        if self.kind.starts_with("payment_intent.") {
            return id_of(o.get("id"));
        }
        id_of(o.get("payment_intent"))
    }

    /// What an `account.updated` says: the connected account, the user it
    /// was opened for (its metadata) and its state.
    pub fn account_update(&self) -> Option<(String, String, crate::domain::payouts::AccountState)> {
        if self.kind != "account.updated" {
            return None;
        }
        let o = &self.data.object;
        let due = o
            .pointer("/requirements/currently_due")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        Some((
            id_of(o.get("id"))?,
            o.pointer("/metadata/user_id")?.as_str()?.to_string(),
            crate::domain::payouts::AccountState {
                payouts_enabled: o.get("payouts_enabled").and_then(Value::as_bool).unwrap_or(false),
                details_submitted: o.get("details_submitted").and_then(Value::as_bool).unwrap_or(false),
                requirements_due: due,
            },
        ))
    }

    /// What a `transfer.reversed` says: the payout the transfer made (its
    /// metadata) and how much of it is reversed so far, less the reversals
    /// the platform made to claw back a refund (their metadata names it).
    pub fn transfer_reversal(&self) -> Option<(String, i64)> {
        if self.kind != "transfer.reversed" {
            return None;
        }
        let o = &self.data.object;
        let clawed: i64 = o
            .pointer("/reversals/data")
            .and_then(Value::as_array)
            .map(|rs| {
                rs.iter()
                    .filter(|r| r.pointer("/metadata/refund_id").is_some())
                    .filter_map(|r| r.get("amount").and_then(Value::as_i64))
                    .sum()
            })
            .unwrap_or(0);
        Some((o.pointer("/metadata/payout_id")?.as_str()?.to_string(), o.get("amount_reversed")?.as_i64()? - clawed))
    }

    /// What the event says about a payment, for the events the platform handles.
    pub fn signal(&self) -> Option<Signal> {
        let o = &self.data.object;
        let intent_id = self.intent_id()?;
        let amount = o.get("amount").and_then(Value::as_i64);
        Some(match self.kind.as_str() {
            "payment_intent.succeeded" => Signal::Succeeded {
                intent_id,
                amount: amount?,
                currency: Currency::parse(&o.get("currency")?.as_str()?.to_ascii_uppercase()).ok()?,
                charge_id: id_of(o.get("latest_charge")),
            },
            "payment_intent.payment_failed" => Signal::Failed {
                intent_id,
                message: o
                    .pointer("/last_payment_error/message")
                    .and_then(Value::as_str)
                    .unwrap_or("the payment failed")
                    .to_string(),
            },
            "payment_intent.requires_action" => Signal::RequiresAction { intent_id },
            "payment_intent.canceled" => Signal::Canceled { intent_id },
            "charge.refunded" => {
                Signal::Refunded { intent_id, amount_refunded: o.get("amount_refunded").and_then(Value::as_i64)? }
            }
            "charge.dispute.created" => Signal::Disputed {
                intent_id,
                dispute_id: id_of(o.get("id"))?,
                amount: amount?,
                reason: o.get("reason").and_then(Value::as_str).unwrap_or("unknown").to_string(),
            },
            // `lost`, else `won` (or `warning_closed`: an inquiry that took no money).
            "charge.dispute.closed" => Signal::DisputeClosed {
                intent_id,
                dispute_id: id_of(o.get("id"))?,
                amount: amount?,
                reason: o.get("reason").and_then(Value::as_str).unwrap_or("unknown").to_string(),
                won: o.get("status").and_then(Value::as_str)? != "lost",
            },
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Customer {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub latest_charge: Option<Value>,
}

/// A charge (what a PaymentIntent took from the card).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Charge {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    #[serde(default)]
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub status: String,
    /// The charge refunded.
    #[serde(default)]
    pub charge: Option<String>,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub created: i64,
}

/// A connected account (Stripe Connect).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub payouts_enabled: bool,
    #[serde(default)]
    pub details_submitted: bool,
}

/// A single-use link to the provider's onboarding for a connected account.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AccountLink {
    pub url: String,
    pub expires_at: i64,
}

/// A transfer to a connected account.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Transfer {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_reversed: i64,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub created: i64,
    /// Its reversals (Stripe embeds the first ten).
    #[serde(default)]
    pub reversals: Option<List<TransferReversal>>,
}

/// A transfer (partly) taken back from the connected account.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TransferReversal {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error (4xx, or 5xx after the retries).
    #[error("Stripe answered {status} {kind}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api { status: u16, kind: String, code: Option<String>, message: String },
    #[error("Stripe could not be reached: {0}")]
    Transport(String),
    #[error("Stripe's answer could not be read: {0}")]
    Decode(String),
}

impl StripeError {
    /// The provider refused the request (4xx): made again as it is, it would
    /// be refused again, and nothing was done.
    pub fn is_refusal(&self) -> bool {
        matches!(self, StripeError::Api { status, .. } if (400..500).contains(status) && *status != 409 && *status != 429)
    }
    /// A card problem the sender can fix (402), not a fault of ours.
    pub fn is_card_error(&self) -> bool {
        matches!(self, StripeError::Api { status: 402, .. })
    }
    /// Worth trying again later (the provider or the network failed).
    pub fn is_transient(&self) -> bool {
        match self {
            StripeError::Api { status, .. } => *status == 429 || *status >= 500 || *status == 409,
            StripeError::Transport(_) => true,
            StripeError::Decode(_) => false,
        }
    }
}

#[cfg(feature = "stripe")]
pub use client::{Client, NewPaymentIntent, NewTransfer};

#[cfg(feature = "stripe")]
mod client {
    use super::*;
    use crate::platform::env::{ConfigError, Env};
    use std::time::Duration;

    /// Attempts per call (the first and three retries).
    const ATTEMPTS: u32 = 4;

    #[derive(Clone)]
    pub struct Client {
        http: reqwest::Client,
        base: String,
        secret_key: String,
    }

    pub struct NewPaymentIntent<'a> {
        pub amount: i64,
        pub currency: &'a Currency,
        pub customer: &'a str,
        pub itinerary_id: &'a str,
        pub description: String,
    }

    pub struct NewTransfer<'a> {
        pub amount: i64,
        pub currency: &'a Currency,
        pub destination: &'a str,
        pub itinerary_id: &'a str,
        pub source_charge: Option<&'a str>,
        pub payout_id: &'a str,
    }

    impl Client {
        pub fn new(base: &str, secret_key: &str) -> Result<Self, StripeError> {
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            let http = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(3))
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| StripeError::Transport(e.to_string()))?;
            Ok(Self { http, base: base.trim_end_matches('/').to_string(), secret_key: secret_key.into() })
        }

        /// `STRIPE_API_BASE` (https://api.stripe.com, or the local emulator) and `STRIPE_SECRET_KEY`.
        pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
            let base = env.require("STRIPE_API_BASE")?;
            let key = env.require("STRIPE_SECRET_KEY")?;
            Self::new(&base, &key).map_err(|e| Env::invalid("STRIPE_API_BASE", e))
        }

        async fn call<T: serde::de::DeserializeOwned>(
            &self,
            op: &str,
            method: reqwest::Method,
            path: &str,
            form: &[(String, String)],
            idempotency_key: Option<&str>,
        ) -> Result<T, StripeError> {
            crate::platform::aws::count_call(&format!("Stripe.{op}"), async {
                let mut last = StripeError::Transport("not tried".into());
                for attempt in 0..ATTEMPTS {
                    if attempt > 0 {
                        let jitter = rand::random::<u64>() % 100;
                        tokio::time::sleep(Duration::from_millis(100 * (1 << attempt) + jitter)).await;
                    }
                    let mut req = self
                        .http
                        .request(method.clone(), format!("{}{path}", self.base))
                        .bearer_auth(&self.secret_key)
                        .header("Stripe-Version", API_VERSION);
                    if method == reqwest::Method::GET {
                        req = req.query(form);
                    } else {
                        let body = serde_urlencoded::to_string(form).map_err(|e| StripeError::Decode(e.to_string()))?;
                        req = req.header("Content-Type", "application/x-www-form-urlencoded").body(body);
                    }
                    if let Some(k) = idempotency_key {
                        req = req.header("Idempotency-Key", k);
                    }
                    let resp = match req.send().await {
                        Ok(r) => r,
                        Err(e) => {
                            last = StripeError::Transport(e.to_string());
                            continue;
                        }
                    };
                    let status = resp.status().as_u16();
                    let bytes = match resp.bytes().await {
                        Ok(b) => b,
                        Err(e) => {
                            last = StripeError::Transport(e.to_string());
                            continue;
                        }
                    };
                    if (200..300).contains(&status) {
                        return serde_json::from_slice(&bytes).map_err(|e| StripeError::Decode(e.to_string()));
                    }
                    let v: Value = serde_json::from_slice(&bytes).unwrap_or_default();
                    let s = |k: &str| v.pointer(&format!("/error/{k}")).and_then(Value::as_str).map(str::to_string);
                    last = StripeError::Api {
                        status,
                        kind: s("type").unwrap_or_else(|| "api_error".into()),
                        code: s("code"),
                        message: s("message").unwrap_or_else(|| format!("HTTP {status}")),
                    };
                    if !(status == 429 || status >= 500) {
                        break;
                    }
                }
                Err(last)
            })
            .await
        }

        pub async fn create_customer(&self, email: &str, user_id: &str, key: &str) -> Result<Customer, StripeError> {
            let form = vec![("email".into(), email.into()), ("metadata[user_id]".into(), user_id.into())];
            self.call("CreateCustomer", reqwest::Method::POST, "/v1/customers", &form, Some(key)).await
        }

        /// A PaymentIntent captured at once (escrow is held on the ledger,
        /// not as a card hold), the itinerary in metadata and as transfer_group.
        pub async fn create_payment_intent(
            &self,
            p: &NewPaymentIntent<'_>,
            key: &str,
        ) -> Result<PaymentIntent, StripeError> {
            let form = vec![
                ("amount".into(), p.amount.to_string()),
                ("currency".into(), p.currency.as_str().to_ascii_lowercase()),
                ("customer".into(), p.customer.into()),
                ("payment_method_types[0]".into(), "card".into()),
                ("capture_method".into(), "automatic".into()),
                ("transfer_group".into(), p.itinerary_id.into()),
                ("description".into(), p.description.clone()),
                ("metadata[itinerary_id]".into(), p.itinerary_id.into()),
            ];
            self.call("CreatePaymentIntent", reqwest::Method::POST, "/v1/payment_intents", &form, Some(key)).await
        }

        pub async fn payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
            self.call("GetPaymentIntent", reqwest::Method::GET, &format!("/v1/payment_intents/{id}"), &[], None).await
        }

        pub async fn cancel_payment_intent(&self, id: &str, key: &str) -> Result<PaymentIntent, StripeError> {
            let form = vec![("cancellation_reason".into(), "abandoned".into())];
            let path = format!("/v1/payment_intents/{id}/cancel");
            self.call("CancelPaymentIntent", reqwest::Method::POST, &path, &form, Some(key)).await
        }

        pub async fn create_refund(
            &self,
            intent_id: &str,
            amount: i64,
            itinerary_id: &str,
            key: &str,
        ) -> Result<Refund, StripeError> {
            let form = vec![
                ("payment_intent".into(), intent_id.into()),
                ("amount".into(), amount.to_string()),
                ("reason".into(), "requested_by_customer".into()),
                ("metadata[itinerary_id]".into(), itinerary_id.into()),
            ];
            self.call("CreateRefund", reqwest::Method::POST, "/v1/refunds", &form, Some(key)).await
        }

        /// An Express connected account for a payee (who finishes onboarding at
        /// the provider), the transfers capability requested.
        pub async fn create_account(
            &self,
            country: &str,
            email: &str,
            user_id: &str,
            key: &str,
        ) -> Result<Account, StripeError> {
            let form = vec![
                ("type".into(), "express".into()),
                ("country".into(), country.into()),
                ("email".into(), email.into()),
                ("capabilities[transfers][requested]".into(), "true".into()),
                ("metadata[user_id]".into(), user_id.into()),
            ];
            self.call("CreateAccount", reqwest::Method::POST, "/v1/accounts", &form, Some(key)).await
        }

        /// A fresh onboarding link (single use, minutes long).
        pub async fn create_account_link(
            &self,
            account: &str,
            refresh_url: &str,
            return_url: &str,
            key: &str,
        ) -> Result<AccountLink, StripeError> {
            let form = vec![
                ("account".into(), account.into()),
                ("refresh_url".into(), refresh_url.into()),
                ("return_url".into(), return_url.into()),
                ("type".into(), "account_onboarding".into()),
            ];
            self.call("CreateAccountLink", reqwest::Method::POST, "/v1/account_links", &form, Some(key)).await
        }

        /// A transfer to a connected account, from the itinerary's charge,
        /// grouped by the itinerary, the payout in metadata.
        pub async fn create_transfer(&self, t: &NewTransfer<'_>, key: &str) -> Result<Transfer, StripeError> {
            let mut form = vec![
                ("amount".into(), t.amount.to_string()),
                ("currency".into(), t.currency.as_str().to_ascii_lowercase()),
                ("destination".into(), t.destination.into()),
                ("transfer_group".into(), t.itinerary_id.into()),
                ("metadata[payout_id]".into(), t.payout_id.into()),
            ];
            if let Some(c) = t.source_charge {
                form.push(("source_transaction".into(), c.into()));
            }
            self.call("CreateTransfer", reqwest::Method::POST, "/v1/transfers", &form, Some(key)).await
        }

        /// Takes `amount` of a transfer back from the connected account, for
        /// the refund `refund_id` (in metadata, so its event is told apart).
        pub async fn reverse_transfer(
            &self,
            transfer_id: &str,
            amount: i64,
            refund_id: &str,
            key: &str,
        ) -> Result<Value, StripeError> {
            let form = vec![("amount".into(), amount.to_string()), ("metadata[refund_id]".into(), refund_id.into())];
            let path = format!("/v1/transfers/{transfer_id}/reversals");
            self.call("CreateTransferReversal", reqwest::Method::POST, &path, &form, Some(key)).await
        }

        /// Every charge, refund or transfer (`path`: `/v1/charges`, …) created
        /// in [`from`, `to`) (unix seconds), page after page (up to `max_pages`
        /// of 100); the flag says whether pages were left unread.
        pub async fn created_between<T: serde::de::DeserializeOwned>(
            &self,
            op: &str,
            path: &str,
            (from, to): (i64, i64),
            id: fn(&T) -> &str,
            max_pages: usize,
        ) -> Result<(Vec<T>, bool), StripeError> {
            let mut out: Vec<T> = Vec::new();
            for _ in 0..max_pages {
                let mut q = vec![
                    ("created[gte]".into(), from.to_string()),
                    ("created[lt]".into(), to.to_string()),
                    ("limit".into(), "100".into()),
                ];
                if let Some(last) = out.last() {
                    q.push(("starting_after".into(), id(last).to_string()));
                }
                let page: List<T> = self.call(op, reqwest::Method::GET, path, &q, None).await?;
                let more = page.has_more && !page.data.is_empty();
                out.extend(page.data);
                if !more {
                    return Ok((out, false));
                }
            }
            Ok((out, true))
        }

        /// One transfer, with its reversals.
        pub async fn transfer(&self, id: &str) -> Result<Transfer, StripeError> {
            self.call("GetTransfer", reqwest::Method::GET, &format!("/v1/transfers/{id}"), &[], None).await
        }

        /// Events created at or after `since` (unix seconds), newest first.
        pub async fn events(&self, since: i64, starting_after: Option<&str>) -> Result<List<Event>, StripeError> {
            let mut q = vec![("created[gte]".into(), since.to_string()), ("limit".into(), "100".into())];
            if let Some(s) = starting_after {
                q.push(("starting_after".into(), s.into()));
            }
            self.call("ListEvents", reqwest::Method::GET, "/v1/events", &q, None).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_like_stripe_does() {
        let body = br#"{"id":"evt_1"}"#;
        let secrets = vec!["whsec_old".to_string(), "whsec_new".to_string()];
        let h = sign(body, "whsec_new", 1_000);
        assert_eq!(verify_signature(body, Some(&h), &secrets, 1_100, 300), Ok(()));
        // Another secret, another body, too old, too new, malformed, missing.
        assert_eq!(
            verify_signature(body, Some(&sign(body, "whsec_x", 1_000)), &secrets, 1_000, 300),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(verify_signature(b"{}", Some(&h), &secrets, 1_000, 300), Err(SignatureError::NoMatch));
        assert_eq!(verify_signature(body, Some(&h), &secrets, 1_301, 300), Err(SignatureError::Stale));
        assert_eq!(verify_signature(body, Some(&h), &secrets, 699, 300), Err(SignatureError::Stale));
        assert_eq!(verify_signature(body, Some("v1=abc"), &secrets, 1_000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify_signature(body, Some("t=x,v1=abc"), &secrets, 1_000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify_signature(body, None, &secrets, 1_000, 300), Err(SignatureError::Missing));
        // Several v1 values (Stripe signs with each active secret): any may match.
        let both = format!("{},v1=deadbeef", sign(body, "whsec_old", 1_000));
        assert_eq!(verify_signature(body, Some(&both), &secrets, 1_000, 300), Ok(()));
    }

    #[test]
    fn events_say_what_happened_to_a_payment() {
        let e: Event = serde_json::from_value(serde_json::json!({
            "id": "evt_1", "type": "payment_intent.succeeded", "created": 1,
            "data": {"object": {"id": "pi_1", "amount": 1234, "currency": "eur", "latest_charge": {"id": "ch_1"}}}
        }))
        .unwrap();
        assert_eq!(
            e.signal(),
            Some(Signal::Succeeded {
                intent_id: "pi_1".into(),
                amount: 1234,
                currency: Currency::parse("EUR").unwrap(),
                charge_id: Some("ch_1".into())
            })
        );
        let r: Event = serde_json::from_value(serde_json::json!({
            "id": "evt_2", "type": "charge.refunded", "created": 1,
            "data": {"object": {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 500}}
        }))
        .unwrap();
        assert_eq!(r.signal(), Some(Signal::Refunded { intent_id: "pi_1".into(), amount_refunded: 500 }));
        let other: Event = serde_json::from_value(serde_json::json!({
            "id": "evt_3", "type": "customer.created", "created": 1, "data": {"object": {"id": "cus_1"}}
        }))
        .unwrap();
        assert_eq!(other.signal(), None);
    }
}
