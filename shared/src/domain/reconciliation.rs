//! The daily reconciliation of the ledger with the payment provider: the
//! day's charges, refunds and transfers at Stripe matched one to one with
//! the ledger's transfers of the clearing account (the money at the
//! provider), by the provider's id the ledger transfer carries
//! (`Transfer::reference`).
//!
//! - a **charge** (succeeded) matches the itinerary's payment (`Payment`);
//! - a **refund** matches the refund settled on the ledger for its charge
//!   (`RefundSettled`). The ledger settles refunds per charge as the
//!   provider reports its refunded total, so refunds are matched per charge:
//!   the sum of the day's refunds of a charge against the sum settled;
//! - a **transfer** matches the payout it made (`Payout`);
//! - a **reversal** of a transfer matches what the ledger took back from the
//!   payee for it (`PayoutReversed`, or a refund's clawback), per transfer.
//!
//! The provider stamps an object when it is made and the ledger books it
//! when the news arrives, seconds (or, with a late webhook, hours) later:
//! both sides are read for the day before and after too, and a difference on
//! the day that the three days together explain (an object made at 23:59:59
//! and booked at 00:00:01) is no mismatch. The provider lists reversals with
//! their transfer: those of transfers made in the three days are listed, and
//! a transfer older than that is read when the ledger booked a reversal of
//! it on the day.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Charge,
    Refund,
    Transfer,
    Reversal,
}

/// How a match failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Issue {
    /// At the provider, not on the ledger.
    MissingInLedger,
    /// On the ledger, not at the provider.
    MissingAtProvider,
    /// On both sides with different amounts.
    AmountDiffers,
}

/// One side's record of a movement: a provider object or a ledger transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// What both sides name: the charge (charges, refunds) or the transfer.
    pub reference: String,
    /// The object's own id: `ch_…`, `re_…`, `tr_…`, or the ledger transfer's.
    pub id: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    /// Made (provider) or booked (ledger) on the day reconciled; else on
    /// the day before or after.
    pub on_day: bool,
    pub itinerary_id: Option<String>,
}

/// A mismatch: one line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Line {
    pub kind: Kind,
    pub issue: Issue,
    /// The charge or transfer both sides should name.
    pub reference: String,
    pub currency: String,
    /// What the provider holds for it, minor units (the three days read).
    pub provider_amount: i64,
    /// What the ledger holds for it, minor units (the three days read).
    pub ledger_amount: i64,
    /// The provider's objects (`ch_…`, `re_…`, `tr_…`).
    pub provider_ids: Vec<String>,
    /// The ledger's transfers.
    pub ledger_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itinerary_id: Option<String>,
}

/// How many of one kind were seen on the day, and matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tally {
    /// Provider objects of the day.
    pub provider: usize,
    /// Ledger transfers of the day.
    pub ledger: usize,
    /// References of the day that agree.
    pub matched: usize,
    /// References of the day that do not (lines).
    pub mismatched: usize,
}

/// What the reconciliation of one day found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub ran_at: String,
    pub charges: Tally,
    pub refunds: Tally,
    pub transfers: Tally,
    pub reversals: Tally,
    pub lines: Vec<Line>,
    /// No line, and every page read.
    pub clean: bool,
    /// A side had more pages than one run reads: what was not read is not matched.
    pub partial: bool,
}

#[derive(Default)]
struct Group {
    provider_day: i64,
    ledger_day: i64,
    provider_all: i64,
    ledger_all: i64,
    provider_ids: Vec<String>,
    ledger_ids: Vec<String>,
    on_day: bool,
    itinerary_id: Option<String>,
}

/// Matches the provider's entries with the ledger's: the lines (each
/// reference of the day whose amounts differ on the day and over the three
/// days), and per kind what was seen and matched.
pub fn reconcile(provider: &[Entry], ledger: &[Entry]) -> (Vec<Line>, BTreeMap<Kind, Tally>) {
    let mut groups: BTreeMap<(Kind, String, String), Group> = BTreeMap::new();
    let mut tallies: BTreeMap<Kind, Tally> = [Kind::Charge, Kind::Refund, Kind::Transfer, Kind::Reversal]
        .into_iter()
        .map(|k| (k, Tally::default()))
        .collect();
    for (is_provider, entries) in [(true, provider), (false, ledger)] {
        for e in entries {
            let g = groups.entry((e.kind, e.reference.clone(), e.currency.clone())).or_default();
            let (day, all, ids) = if is_provider {
                (&mut g.provider_day, &mut g.provider_all, &mut g.provider_ids)
            } else {
                (&mut g.ledger_day, &mut g.ledger_all, &mut g.ledger_ids)
            };
            *all += e.amount;
            if e.on_day {
                *day += e.amount;
                ids.push(e.id.clone());
                g.on_day = true;
                let t = tallies.entry(e.kind).or_default();
                if is_provider {
                    t.provider += 1;
                } else {
                    t.ledger += 1;
                }
            }
            if g.itinerary_id.is_none() {
                g.itinerary_id = e.itinerary_id.clone();
            }
        }
    }
    let mut lines = Vec::new();
    for ((kind, reference, currency), g) in groups.into_iter().filter(|(_, g)| g.on_day) {
        let t = tallies.entry(kind).or_default();
        if g.provider_day == g.ledger_day || g.provider_all == g.ledger_all {
            t.matched += 1;
            continue;
        }
        t.mismatched += 1;
        let issue = if g.ledger_all == 0 {
            Issue::MissingInLedger
        } else if g.provider_all == 0 {
            Issue::MissingAtProvider
        } else {
            Issue::AmountDiffers
        };
        lines.push(Line {
            kind,
            issue,
            reference,
            currency,
            provider_amount: g.provider_all,
            ledger_amount: g.ledger_all,
            provider_ids: g.provider_ids,
            ledger_ids: g.ledger_ids,
            itinerary_id: g.itinerary_id,
        });
    }
    (lines, tallies)
}

/// A day `YYYY-MM-DD` (UTC) as its first second (unix), if it is one.
pub fn parse_day(s: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &format).ok()?;
    (s.len() == 10 && (2000..3000).contains(&d.year())).then(|| d.midnight().assume_utc().unix_timestamp())
}

/// The day (`YYYY-MM-DD`, UTC) of a unix time.
pub fn day_of(unix: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub const DAY_SECONDS: i64 = 86_400;

/// Whether a unix time falls on the day that starts at `day_start`.
pub fn on_day(day_start: i64, unix: i64) -> bool {
    (day_start..day_start + DAY_SECONDS).contains(&unix)
}

/// The three days read around the day that starts at `day_start`: from the
/// day before to the end of the day after (unix, end excluded).
pub fn window(day_start: i64) -> (i64, i64) {
    (day_start - DAY_SECONDS, day_start + 2 * DAY_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(kind: Kind, reference: &str, id: &str, amount: i64, on_day: bool) -> Entry {
        Entry {
            kind,
            reference: reference.into(),
            id: id.into(),
            amount,
            currency: "EUR".into(),
            on_day,
            itinerary_id: None,
        }
    }

    #[test]
    fn every_kind_of_mismatch_is_a_line() {
        let provider = [
            e(Kind::Charge, "ch_ok", "ch_ok", 3490, true),
            e(Kind::Charge, "ch_unknown", "ch_unknown", 999, true),
            e(Kind::Charge, "ch_short", "ch_short", 2000, true),
            e(Kind::Refund, "ch_ok", "re_1", 500, true),
            e(Kind::Refund, "ch_ok", "re_2", 250, true),
            e(Kind::Transfer, "tr_ok", "tr_ok", 1200, true),
            e(Kind::Reversal, "tr_ok", "trr_1", 300, true),
        ];
        let ledger = [
            e(Kind::Charge, "ch_ok", "it.payment", 3490, true),
            e(Kind::Charge, "ch_short", "it2.payment", 1999, true),
            // Two refunds settled as one: matched per charge.
            e(Kind::Refund, "ch_ok", "it.refunded.750", 750, true),
            e(Kind::Transfer, "tr_ok", "it.payout.0.sent", 1200, true),
            e(Kind::Transfer, "tr_gone", "it.payout.1.sent", 800, true),
            // A payee's reversal and a refund's clawback of the same transfer, booked apart.
            e(Kind::Reversal, "tr_ok", "it.payout.0.reversed.100", 100, true),
            e(Kind::Reversal, "tr_ok", "it.support.1.clawback.it.payout.0", 200, true),
        ];
        let (lines, t) = reconcile(&provider, &ledger);
        let got: Vec<(Kind, &str, Issue, i64, i64)> =
            lines.iter().map(|l| (l.kind, l.reference.as_str(), l.issue, l.provider_amount, l.ledger_amount)).collect();
        assert_eq!(
            got,
            [
                (Kind::Charge, "ch_short", Issue::AmountDiffers, 2000, 1999),
                (Kind::Charge, "ch_unknown", Issue::MissingInLedger, 999, 0),
                (Kind::Transfer, "tr_gone", Issue::MissingAtProvider, 0, 800),
            ]
        );
        assert_eq!(t[&Kind::Charge], Tally { provider: 3, ledger: 2, matched: 1, mismatched: 2 });
        assert_eq!(t[&Kind::Refund], Tally { provider: 2, ledger: 1, matched: 1, mismatched: 0 });
        assert_eq!(t[&Kind::Transfer], Tally { provider: 1, ledger: 2, matched: 1, mismatched: 1 });
        assert_eq!(t[&Kind::Reversal], Tally { provider: 1, ledger: 2, matched: 1, mismatched: 0 });
        assert_eq!(lines[1].provider_ids, ["ch_unknown"]);
    }

    #[test]
    fn a_movement_booked_across_midnight_is_no_mismatch() {
        // Charged at 23:59:59 on the day, booked at 00:00:01 the day after.
        let provider = [e(Kind::Charge, "ch_1", "ch_1", 100, true)];
        let ledger = [e(Kind::Charge, "ch_1", "it.payment", 100, false)];
        let (lines, t) = reconcile(&provider, &ledger);
        assert!(lines.is_empty());
        assert_eq!(t[&Kind::Charge].matched, 1);
        // Only the day before or after: not the day's business.
        let (lines, t) = reconcile(&[e(Kind::Charge, "ch_2", "ch_2", 100, false)], &[]);
        assert!(lines.is_empty());
        assert_eq!(t[&Kind::Charge], Tally::default());
        // The same amount in another currency is no match.
        let mut usd = e(Kind::Charge, "ch_3", "it.payment", 100, true);
        usd.currency = "USD".into();
        let (lines, _) = reconcile(&[e(Kind::Charge, "ch_3", "ch_3", 100, true)], &[usd]);
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn days() {
        assert_eq!(parse_day("2026-11-22"), Some(1_795_305_600));
        assert_eq!(day_of(1_795_305_600 + 86_399), "2026-11-22");
        for bad in ["2026-11-31", "2026-13-01", "26-11-22", "2026-11-2", "today", "1999-01-01"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        assert!(on_day(1_795_305_600, 1_795_305_600) && on_day(1_795_305_600, 1_795_305_600 + 86_399));
        assert!(!on_day(1_795_305_600, 1_795_305_600 + 86_400) && !on_day(1_795_305_600, 1_795_305_599));
        assert_eq!(window(1_795_305_600), (1_795_305_600 - 86_400, 1_795_305_600 + 2 * 86_400));
    }
}
