//! POST /admin/itineraries/{id}/refund {amount, reason} — support refunds
//! part or all of a delivered itinerary to the sender. The policy
//! (`domain::payouts::clawbacks`): each traveler or courier bears the
//! refund in proportion to their share of the total, rounded down; the
//! platform bears the rest from its revenue. A payee's part is withheld
//! from their payout while it is due (payable → refunds), or reversed at
//! Stripe once sent (a transfer reversal naming the refund, which the
//! `transfer.reversed` consumer leaves alone; clearing → refunds). The
//! platform's part goes revenue → refunds. Stripe is asked first (the
//! reversals, then the refund), under keys bound to the refund, so a retry
//! after a failure gets the same answers; then one transaction writes the
//! payment's refund, the payouts, the ledger and RefundIssued. The card
//! refund settles as any other (charge.refunded: refunds → clearing).
//! Query (itinerary partition) + BatchGetItem (payouts) + Stripe
//! (CreateTransferReversal per sent payout, CreateRefund) + TransactWriteItems.
use handoff::domain::bookings::ItineraryStatus;
use handoff::domain::events::RefundIssued;
use handoff::domain::identity::Role;
use handoff::domain::ledger::{AccountId, AccountKind, Phase, Transfer, TransferCode};
use handoff::domain::money::Money;
use handoff::domain::payouts::{clawbacks, payout_id, Payout};
use handoff::keys;
use handoff::platform::booking_records::load;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::payment_records::{ledger_writes, payment_write};
use handoff::platform::payout_records::{payout_next, PayoutConfig};
use handoff::platform::store::{record, Record};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundIn {
    /// Minor units, at most what was paid and not yet refunded.
    pub amount: i64,
    /// Why (1–500 characters): kept with the refund and told to the sender.
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Clawback {
    pub payout_id: String,
    pub payee_id: String,
    /// Minor units taken back from this payee.
    pub amount: i64,
    /// `withheld` from a due payout, or `reversed` at Stripe from a sent one.
    pub how: String,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RefundAfterDelivery {
    pub itinerary_id: String,
    /// `support.<n>`: the n-th support refund of this itinerary.
    pub cause: String,
    pub refund: Money,
    pub clawbacks: Vec<Clawback>,
    /// What the platform bears (minor units).
    pub platform: i64,
}

pub async fn handle(ctx: &Ctx<PayoutConfig>, req: &ApiRequest) -> Result<Reply, Problem> {
    req.require_any_role(&[Role::Support, Role::Admin])?;
    let body: RefundIn = req.json()?;
    let reason = body.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Problem::field("reason", "must be 1 to 500 characters"));
    }
    let table = ctx.table()?;
    let id = req.path_param("id")?;
    let l = load(table, id).await?.ok_or_else(|| Problem::not_found("the itinerary"))?;
    let it = &l.itinerary.data;
    l.refundable()?;
    if it.status != ItineraryStatus::Delivered {
        return Err(Problem::conflict("not-delivered", "only a delivered itinerary is refunded here"));
    }
    let current = l.payment.as_ref().filter(|p| p.data.status.was_paid()).ok_or_else(Problem::internal)?;
    let mut p = current.data.clone();
    let refundable = p.amount - p.refund_requested();
    if body.amount < 1 || body.amount > refundable {
        return Err(Problem::field("amount", format!("must be between 1 and {refundable} (paid and not refunded)")));
    }
    let ids: Vec<keys::Key> = (0..it.segments.len()).map(|n| keys::payout(&payout_id(&it.itinerary_id, n))).collect();
    let mut payouts: Vec<Record<Payout>> = Vec::new();
    for item in table.get_many(&ids, true).await? {
        payouts.extend(record::<Payout>(item)?);
    }
    if payouts.is_empty() {
        return Err(Problem::conflict("escrow-not-released", "the shares are still in escrow (held by an incident)"));
    }
    let n = p.refunds.iter().filter(|r| r.cause.starts_with("support.")).count() + 1;
    let cause = format!("support.{n}");
    let refund_id = format!("{}.{cause}", it.itinerary_id);
    let data: Vec<Payout> = payouts.iter().map(|r| r.data.clone()).collect();
    let (parts, platform) = clawbacks(it.total, body.amount, &data);
    let at = ctx.now_rfc3339();
    let stripe = &ctx.config.stripe;
    let refunds = AccountId::platform(AccountKind::Refunds, &it.currency);
    let transfer = |what: String, debit: AccountId, amount: i64| Transfer {
        transfer_id: format!("{refund_id}.{what}"),
        debit,
        credit: refunds.clone(),
        amount,
        currency: it.currency.clone(),
        phase: Phase::Posted,
        code: TransferCode::Refund,
        itinerary_id: it.itinerary_id.clone(),
        at: at.clone(),
        reference: None,
    };
    let (mut batch, mut told, mut writes) = (Vec::new(), Vec::new(), Vec::new());
    for (rec, part) in payouts.iter().zip(parts) {
        if part == 0 {
            continue;
        }
        let mut po = rec.data.clone();
        let how = if !po.claw_back(part, &at) {
            batch.push(transfer(format!("clawback.{}", po.payout_id), po.payable_account(), part));
            "withheld"
        } else {
            let tr = po.transfer_id.clone().ok_or_else(Problem::internal)?;
            stripe.reverse_transfer(&tr, part, &refund_id, &format!("{refund_id}.reversal.{}", po.payout_id)).await?;
            let clearing = AccountId::platform(AccountKind::Clearing, &it.currency);
            let reversal = transfer(format!("clawback.{}", po.payout_id), clearing, part);
            batch.push(Transfer { reference: Some(tr), ..reversal });
            "reversed"
        };
        told.push(Clawback {
            payout_id: po.payout_id.clone(),
            payee_id: po.payee_id.clone(),
            amount: part,
            how: how.into(),
        });
        writes.push(payout_next(rec, &po));
    }
    if platform > 0 {
        batch.push(transfer("platform".into(), AccountId::platform(AccountKind::Revenue, &it.currency), platform));
    }
    stripe.create_refund(&p.intent_id, body.amount, &it.itinerary_id, &format!("refund-{refund_id}")).await?;
    p.refund(&cause, body.amount, format!("support: {reason}"), &at);
    writes.push(payment_write(Some(current), &p));
    writes.extend(ledger_writes(&batch, &l.transfers)?);
    let money = |amount: i64| Money { amount, currency: it.currency.clone() };
    let issued = RefundIssued {
        itinerary_id: it.itinerary_id.clone(),
        sender_id: it.sender_id.clone(),
        refund: money(body.amount),
        retained: money(0),
        rule: format!("support: {reason}"),
    };
    writes.push(outbox::event(&issued, &refund_id, req.actor()));
    let answer = RefundAfterDelivery {
        itinerary_id: it.itinerary_id.clone(),
        cause,
        refund: money(body.amount),
        clawbacks: told,
        platform,
    };
    let mut reply = Reply::json(201, &answer);
    for w in writes {
        reply = reply.write(w, Some(Problem::conflict("refund-changed", "the itinerary changed meanwhile; ask again")));
    }
    Ok(reply)
}

pub fn operation() -> Operation {
    Operation::post("/admin/itineraries/{id}/refund", "admin", "Refund a delivered itinerary")
        .describe(
            "Support refunds `amount` of a delivered itinerary to the sender's card. Each traveler and courier \
             bears it in proportion to their share of the total (rounded down): withheld from a payout not yet \
             sent, or reversed at Stripe from one sent; the platform bears the rest.",
        )
        .any_role(&[Role::Support, Role::Admin])
        .body::<RefundIn>()
        .reply::<RefundAfterDelivery>(201, "the refund and who bears it")
        .problem(404, "not-found")
        .problem(409, "not-delivered")
        .problem(409, "payment-disputed")
        .problem(409, "escrow-not-released")
        .problem(409, "refund-changed")
}
