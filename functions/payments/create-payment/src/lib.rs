//! POST /itineraries/{id}/payment — the sender pays an itinerary awaiting
//! payment: the sender's Stripe customer (created once, then reused) and a
//! PaymentIntent for exactly the quote's total and currency, captured at
//! once, the itinerary in metadata and as transfer_group, under an
//! idempotency key bound to the itinerary and attempt. Answers the
//! client_secret and the publishable key for Stripe.js or the mobile SDKs;
//! asked again, it answers the same intent (another card may be tried on it
//! after a decline) until the payment deadline.
//! Query (itinerary partition) + BatchGetItem (shipment, customer) +
//! Stripe (CreateCustomer once, CreatePaymentIntent or GetPaymentIntent) + TransactWriteItems.
use handoff::domain::bookings::ItineraryStatus;
use handoff::domain::customs::tax_rate;
use handoff::domain::identity::Role;
use handoff::domain::money::Money;
use handoff::domain::payments::{Payment, PaymentStatus};
use handoff::domain::shipments::Shipment;
use handoff::domain::trips::Instant;
use handoff::keys::{self, entity};
use handoff::platform::booking_records::{awaiting_payment_since, own_itinerary};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::payment_records::{payment_write, IntentPointer, Provider, STRIPE};
use handoff::platform::store::{put, record, Record};
use handoff::platform::stripe::NewPaymentIntent;
use serde::{Deserialize, Serialize};

/// What Stripe.js or a mobile SDK needs to confirm the payment.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PaymentStarted {
    pub itinerary_id: String,
    pub provider: String,
    pub intent_id: String,
    /// Give it to Stripe.js (`stripe.confirmCardPayment(client_secret, …)`) or a mobile SDK; never log it.
    pub client_secret: String,
    pub publishable_key: String,
    pub amount: Money,
    pub status: PaymentStatus,
    /// Pay by then: afterwards the itinerary is cancelled and its capacity released.
    pub deadline: Instant,
}

#[derive(Serialize, Deserialize)]
struct CustomerRef {
    customer_id: String,
}

pub async fn handle(ctx: &Ctx<Provider>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.require_role(Role::Sender)?;
    let l = own_itinerary(table, req.path_param("id")?, &me.user_id).await?;
    let it = &l.itinerary.data;
    let existing = l.payment.as_ref().map(|p| &p.data);
    if existing.is_some_and(|p| p.status.was_paid()) {
        return Err(Problem::conflict("already-paid", "this itinerary is paid"));
    }
    if it.status != ItineraryStatus::AwaitingPayment {
        return Err(Problem::conflict(
            "illegal-transition",
            format!("the itinerary is {}: only one awaiting payment is paid", it.status.as_str()),
        ));
    }
    let since = awaiting_payment_since(it).unwrap_or(ctx.now());
    let deadline = Instant(since + ctx.config.deadline_minutes * 60);
    if ctx.now() > deadline.0 {
        return Err(Problem::conflict("payment-deadline-passed", "the time to pay this itinerary is over"));
    }
    let stripe = &ctx.config.stripe;
    let amount = Money { amount: it.total, currency: it.currency.clone() };
    let answer = |p: &Payment, secret: String| PaymentStarted {
        itinerary_id: it.itinerary_id.clone(),
        provider: STRIPE.into(),
        intent_id: p.intent_id.clone(),
        client_secret: secret,
        publishable_key: ctx.config.publishable_key.clone(),
        amount: amount.clone(),
        status: p.status,
        deadline,
    };
    // An open intent is answered again: the sender may try another card on it.
    if let Some(p) = existing.filter(|p| p.status.is_open()) {
        let pi = stripe.payment_intent(&p.intent_id).await?;
        if pi.status != "canceled" {
            return Ok(Reply::ok(&answer(p, pi.client_secret.unwrap_or_default())));
        }
    }
    let attempt = existing.map_or(1, |p| p.attempt + 1);
    let items =
        table.get_many(&[keys::shipment(&it.shipment_id), keys::provider_customer(&me.user_id, STRIPE)], true).await?;
    let shipment: Record<Shipment> = record(items[0].clone())?.ok_or_else(Problem::internal)?;
    let customer: Option<Record<CustomerRef>> = record(items[1].clone())?;
    let at = ctx.now_rfc3339();
    let mut reply_writes = Vec::new();
    let customer_id = match customer {
        Some(c) => c.data.customer_id,
        None => {
            let c = stripe
                .create_customer(
                    &shipment.data.sender.email.to_string(),
                    &me.user_id,
                    &format!("customer-{}", me.user_id),
                )
                .await?;
            let r = Record::new(
                keys::provider_customer(&me.user_id, STRIPE),
                entity::PROVIDER_CUSTOMER,
                CustomerRef { customer_id: c.id.clone() },
            );
            reply_writes.push(put(&r, None));
            c.id
        }
    };
    let pi = stripe
        .create_payment_intent(
            &NewPaymentIntent {
                amount: it.total,
                currency: &it.currency,
                customer: &customer_id,
                itinerary_id: &it.itinerary_id,
                description: format!("Handoff itinerary {}", it.itinerary_id),
            },
            &format!("payment-{}-{attempt}", it.itinerary_id),
        )
        .await?;
    let day = Instant(ctx.now()).day();
    let fee_vat_bp = tax_rate(&shipment.data.sender.address.country, &day).map_or(0, |r| r.rate_bp);
    let p = Payment {
        itinerary_id: it.itinerary_id.clone(),
        sender_id: it.sender_id.clone(),
        status: PaymentStatus::RequiresPaymentMethod,
        amount: it.total,
        currency: it.currency.clone(),
        provider: STRIPE.into(),
        customer_id,
        intent_id: pi.id.clone(),
        attempt,
        charge_id: None,
        last_error: None,
        deadline,
        fee_vat_bp,
        refunds: Vec::new(),
        refunded: 0,
        disputed: false,
        dispute: None,
        created_at: existing.map_or(at.clone(), |p| p.created_at.clone()),
        updated_at: at,
    };
    let pointer = Record::new(
        keys::payment_intent(&pi.id),
        entity::PAYMENT_INTENT,
        IntentPointer { itinerary_id: it.itinerary_id.clone() },
    );
    let started = answer(&p, pi.client_secret.unwrap_or_default());
    Ok(Reply::json(201, &started)
        .write(
            payment_write(l.payment.as_ref(), &p),
            Some(Problem::conflict("payment-changed", "the payment changed meanwhile; ask again")),
        )
        .write(put(&pointer, None), None)
        .writes(reply_writes))
}

pub fn operation() -> Operation {
    Operation::post("/itineraries/{id}/payment", "payments", "Pay an itinerary awaiting payment")
        .describe(
            "Creates (or answers again) the Stripe PaymentIntent for exactly the quote's total. Confirm it in \
             the app with Stripe.js or a mobile SDK using `client_secret` and `publishable_key`; the itinerary \
             is confirmed when Stripe reports the payment. After a declined card, ask again and confirm the same \
             intent with another card, until `deadline`.",
        )
        .role(Role::Sender)
        .reply::<PaymentStarted>(201, "a new PaymentIntent")
        .reply::<PaymentStarted>(200, "the open PaymentIntent, again")
        .problem(409, "illegal-transition")
        .problem(409, "already-paid")
        .problem(409, "payment-deadline-passed")
        .problem(409, "payment-changed")
}
