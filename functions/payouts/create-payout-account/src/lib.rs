//! POST /me/payout-account {country} — a traveler or courier connects where
//! their earnings are paid: a Stripe Connect Express account (created once,
//! under an idempotency key bound to the user) and a fresh single-use
//! onboarding link. Asked again before onboarding is finished, it answers
//! a new link for the same account; once payouts are enabled, the account
//! without a link. `account.updated` webhooks (apply-payout-event) record
//! when the provider enables payouts; payouts also need the identity
//! verified.
//! BatchGetItem (account, user) + Stripe (CreateAccount the first time,
//! CreateAccountLink) + PutItem the first time.
use handoff::domain::identity::Role;
use handoff::domain::payouts::{AccountStatus, PayoutAccount, PAYOUT_COUNTRIES};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::payment_records::STRIPE;
use handoff::platform::payout_records::{
    account_and_user, account_record, Onboarding, PayoutAccountView, PayoutConfig,
};
use handoff::platform::store::put_new;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayoutAccount {
    /// Where the payee's bank account is: ISO 3166 alpha-2, one of the provider's Connect countries
    /// (FR, DE, GB, US, …). Needed the first time only.
    #[serde(default)]
    pub country: Option<String>,
}

pub async fn handle(ctx: &Ctx<PayoutConfig>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_any_role(&[Role::Traveler, Role::Driver])?;
    let body: NewPayoutAccount = if req.body.is_empty() { NewPayoutAccount::default() } else { req.json()? };
    let country = match body.country.as_deref().map(|c| c.trim().to_ascii_uppercase()) {
        Some(c) if PAYOUT_COUNTRIES.contains(&c.as_str()) => Some(c),
        Some(_) => {
            return Err(Problem::field("country", "must be a country where payouts are offered, such as FR, DE or GB"))
        }
        None => None,
    };
    let table = ctx.table()?;
    let (existing, user) = account_and_user(table, &me.user_id).await?;
    let user = user.ok_or_else(|| Problem::not_found("your profile"))?.data;
    let stripe = &ctx.config.stripe;
    let link = |account: String| async move {
        let l = stripe
            .create_account_link(
                &account,
                &ctx.config.refresh_url,
                &ctx.config.return_url,
                // Each request is a new link; the client's own retries of this call reuse the key.
                &format!("account-link-{account}-{}", handoff::platform::crypto::new_id()),
            )
            .await?;
        Ok::<_, Problem>(Onboarding { url: l.url, expires_at: l.expires_at })
    };
    if let Some(a) = existing {
        let a = a.data;
        if country.as_ref().is_some_and(|c| *c != a.country) {
            return Err(Problem::conflict(
                "payout-account-exists",
                format!("the payout account is in {}; ask support to move it", a.country),
            ));
        }
        let onboarding =
            if a.status == AccountStatus::Enabled { None } else { Some(link(a.account_id.clone()).await?) };
        return Ok(Reply::ok(&PayoutAccountView::new(a, Some(&user), onboarding)));
    }
    let Some(country) = country else {
        return Err(Problem::field("country", "is required to open a payout account"));
    };
    let acct = stripe
        .create_account(&country, user.email.as_str(), &me.user_id, &format!("payout-account-{}", me.user_id))
        .await?;
    let at = ctx.now_rfc3339();
    let a = PayoutAccount {
        user_id: me.user_id.clone(),
        provider: STRIPE.into(),
        account_id: acct.id.clone(),
        country,
        status: AccountStatus::Onboarding,
        payouts_enabled: acct.payouts_enabled,
        details_submitted: acct.details_submitted,
        requirements_due: Vec::new(),
        provider_seen: 0,
        created_at: at.clone(),
        updated_at: at,
    };
    let onboarding = link(acct.id).await?;
    let view = PayoutAccountView::new(a.clone(), Some(&user), Some(onboarding));
    Ok(Reply::json(201, &view).write(
        put_new(&account_record(&a)),
        Some(Problem::conflict("payout-account-changed", "the payout account changed meanwhile; ask again")),
    ))
}

pub fn operation() -> Operation {
    Operation::post("/me/payout-account", "payouts", "Connect a payout account")
        .describe(
            "Opens the caller's Stripe Connect Express account in `country` (the first time) and answers a \
             single-use onboarding link: open `onboarding.url` in a browser to give Stripe the bank account and \
             identity documents. Asked again before payouts are enabled, it answers a fresh link. Payouts start \
             when Stripe enables them and the platform has verified the caller's identity.",
        )
        .any_role(&[Role::Traveler, Role::Driver])
        .optional_body::<NewPayoutAccount>()
        .reply::<PayoutAccountView>(201, "the new account and its onboarding link")
        .reply::<PayoutAccountView>(200, "the account, with a fresh onboarding link until payouts are enabled")
        .problem(409, "payout-account-exists")
        .problem(409, "payout-account-changed")
}
