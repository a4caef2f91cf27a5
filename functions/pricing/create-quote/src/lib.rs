//! POST /pricing/quote {"shipment_id", "segments", "insurance"} — a binding
//! price for a shipment along a chosen search result (its `segments` posted
//! back): every trip and courier job priced again from what is stored now,
//! the chain checked (places, handoff buffer), then lines for transport,
//! couriers, the platform fee, insurance, customs handling and, for DDP,
//! the estimated duties and taxes. Integer minor units, each percentage
//! rounded once (half away from zero), lines that add up to the total. It
//! holds 15 minutes. BatchGetItem (shipment, trips, capacities, areas) + PutItem.
use handoff::domain::bookings::{
    check_chain, courier_segment, parcel_of, priced_fingerprint, quote_lines, trip_segment, Fees, Quote, SegmentIn,
    MAX_SEGMENTS, QUOTE_SECONDS,
};
use handoff::domain::customs::FxUsed;
use handoff::domain::identity::Role;
use handoff::domain::places::Gazetteer;
use handoff::domain::shipments::ShipmentStatus;
use handoff::domain::trips::Instant;
use handoff::domain::validation::FieldError;
use handoff::keys::{self, entity};
use handoff::platform::booking_records::{route_now, RouteNow};
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::crypto::new_id;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::{put_new, Record};
use serde::Deserialize;

/// Fees (`PLATFORM_FEE_BPS`, `PLATFORM_FEE_FIXED`, `INSURANCE_BPS`,
/// `CUSTOMS_HANDLING_FEE`) and the handoff buffer (`HANDOFF_BUFFER_MINUTES`).
pub struct Config {
    fees: Fees,
    buffer_seconds: i64,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let bps = |name: &str| -> Result<u32, ConfigError> {
            let v: u32 = env.parse(name)?;
            if v > 10_000 {
                return Err(Env::invalid(name, "basis points, 0 to 10000"));
            }
            Ok(v)
        };
        let minor = |name: &str| -> Result<i64, ConfigError> {
            let v: i64 = env.parse(name)?;
            if !(0..=1_000_000).contains(&v) {
                return Err(Env::invalid(name, "minor units, 0 to 1000000"));
            }
            Ok(v)
        };
        let minutes: i64 = env.parse("HANDOFF_BUFFER_MINUTES")?;
        if !(0..=24 * 60).contains(&minutes) {
            return Err(Env::invalid("HANDOFF_BUFFER_MINUTES", "must be 0 to 1440"));
        }
        Ok(Self {
            fees: Fees {
                platform_bps: bps("PLATFORM_FEE_BPS")?,
                platform_fixed: minor("PLATFORM_FEE_FIXED")?,
                insurance_bps: bps("INSURANCE_BPS")?,
                customs_handling: minor("CUSTOMS_HANDLING_FEE")?,
            },
            buffer_seconds: minutes * 60,
        })
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "QuoteRequest")]
struct Body {
    shipment_id: String,
    /// The chosen search result's `segments`, in order.
    segments: Vec<SegmentIn>,
    /// Insure the declared value.
    #[serde(default)]
    insurance: bool,
}

pub async fn handle(ctx: &Ctx<Config>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.require_role(Role::Sender)?;
    let body: Body = req.json()?;
    let now = ctx.now();
    if body.segments.is_empty() || body.segments.len() > MAX_SEGMENTS {
        return Err(Problem::field("segments", format!("give 1 to {MAX_SEGMENTS} segments of a search result")));
    }
    let mut errors = Vec::new();
    let mut pickups = Vec::new();
    for (i, s) in body.segments.iter().enumerate() {
        if let SegmentIn::Courier { pickup_at, .. } = s {
            match Instant::parse(pickup_at) {
                Ok(t) => pickups.push(t.0),
                Err(e) => errors.push(FieldError::new(format!("segments[{i}].pickup_at"), e.to_string())),
            }
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    // One read: the shipment, each trip with its reserved capacity, each courier area.
    let mut trip_ids = Vec::new();
    let mut area_ids = Vec::new();
    for seg in &body.segments {
        match seg {
            SegmentIn::Trip { trip_id, .. } => trip_ids.push(trip_id.as_str()),
            SegmentIn::Courier { area_id, .. } => area_ids.push(area_id.as_str()),
        }
    }
    let RouteNow { shipment, trips, areas } =
        route_now(table, &body.shipment_id, &me.user_id, &trip_ids, &area_ids).await?;
    let s = &shipment.data;
    // A draft, or a booked shipment whose itinerary is being rebooked.
    if !matches!(s.status, ShipmentStatus::Draft | ShipmentStatus::Booked) {
        return Err(Problem::conflict(
            "shipment-not-draft",
            format!("the shipment is {}: it is not quoted any more", s.status.as_str()),
        ));
    }
    // The route's currency is its trips' (a courier-only route: its area's).
    let currency = trips
        .values()
        .find_map(|t| t.trip.constraints.as_ref().map(|c| c.currency.clone()))
        .or_else(|| areas.values().next().map(|a| a.currency.clone()))
        .ok_or_else(|| {
            Problem::conflict("route-changed", "none of the route's trips or couriers is offered any more")
        })?;
    let parcel = parcel_of(s, currency.clone());
    let places = Gazetteer::embedded();
    let mut segments = Vec::new();
    let mut changed = Vec::new();
    let mut pickups = pickups.into_iter();
    for seg in &body.segments {
        let priced = match seg {
            SegmentIn::Trip { trip_id, legs } => {
                let nos: Vec<u32> = legs.iter().map(|l| l.leg_no).collect();
                trip_segment(trip_id, &nos, trips.get(trip_id), &parcel, places, now)
            }
            SegmentIn::Courier { area_id, from, to, .. } => {
                let at = pickups.next().unwrap_or(now);
                courier_segment(areas.get(area_id), area_id, from, to, at, &currency, places)
            }
        };
        match priced {
            Ok(p) => segments.push(p),
            Err(why) => changed.push(why),
        }
    }
    if !changed.is_empty() {
        return Err(Problem::conflict("route-changed", changed.join("; ")));
    }
    check_chain(&segments, &s.sender.place, &s.recipient.place, ctx.config.buffer_seconds)
        .map_err(Problem::validation)?;
    let day = Instant(now).day();
    let (lines, exchange_rates): (_, Vec<FxUsed>) =
        quote_lines(s, &segments, &currency, &ctx.config.fees, body.insurance, &day)?;
    let quote = Quote {
        quote_id: new_id(),
        sender_id: me.user_id.clone(),
        shipment_id: s.shipment_id.clone(),
        shipment_fingerprint: priced_fingerprint(s),
        currency,
        total: lines.iter().map(|l| l.amount).sum(),
        lines,
        segments,
        weight_grams: s.package.weight_grams,
        insurance: body.insurance,
        incoterm: s.customs.as_ref().filter(|_| s.crosses_border()).map(|d| d.incoterm),
        exchange_rates,
        created_at: ctx.now_rfc3339(),
        expires_at: Instant(now + QUOTE_SECONDS),
    };
    // Kept a day past its expiry (so a late booking answers 410, not 404).
    let rec =
        Record::new(keys::quote(&quote.quote_id), entity::QUOTE, quote.clone()).expires(now + QUOTE_SECONDS + 86_400);
    Ok(Reply::json(201, &quote)
        .header("location", &format!("/pricing/quotes/{}", quote.quote_id))
        .write(put_new(&rec), None))
}

pub fn operation() -> Operation {
    Operation::post("/pricing/quote", "pricing", "A binding price for a shipment along a chosen route")
        .describe(
            "Post back the `segments` of a search result. Everything is priced again from what is stored \
             now; lines (transport, couriers, platform fee, insurance, customs handling, DDP duties and taxes) \
             are integer minor units, each percentage rounded once half away from zero, and add up to `total`. \
             The quote holds 15 minutes and is exactly what payment charges.",
        )
        .role(Role::Sender)
        .body::<Body>()
        .example(serde_json::json!({"shipment_id": "0192f0c2-0000-7000-8000-000000000001", "insurance": true,
            "segments": [{"kind": "trip", "trip_id": "0192f0c2-0000-7000-8000-000000000002", "legs": [{"leg_no": 1}]}]}))
        .reply::<Quote>(201, "the quote")
        .header("location", "the quote's URL")
        .problem(404, "not-found")
        .problem(409, "route-changed")
        .problem(409, "customs-required")
        .problem(409, "shipment-not-draft")
        .problem(422, "ddp-not-estimable")
        .problem(422, "no-exchange-rate")
}
