//! Customs: the HS 2022 nomenclature, standard VAT/GST rates, de minimis
//! thresholds, ECB exchange rates and restricted goods — all shipped with
//! the project in `shared/data/` (sources and licences in docs/customs.md) —
//! and the declaration (CN22 or CN23) with its duty and tax estimate.
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

use super::money::{Currency, Money};

const HS: &str = include_str!("../../data/hs2022.tsv");
const VAT: &str = include_str!("../../data/customs/vat-rates.tsv");
const FX: &str = include_str!("../../data/customs/fx-rates.tsv");
const DE_MINIMIS: &str = include_str!("../../data/customs/de-minimis.tsv");
const RESTRICTED: &str = include_str!("../../data/customs/restricted.tsv");

/// The 27 member states of the European Union (rows for `EU` apply to each).
pub const EU: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(|l| l.split('\t').collect())
}

fn region_of(country: &str) -> &str {
    if EU.contains(&country) {
        "EU"
    } else {
        country
    }
}

// ------------------------------------------------------------------ HS codes

fn hs_table() -> &'static [(&'static str, &'static str)] {
    static T: OnceLock<Vec<(&str, &str)>> = OnceLock::new();
    T.get_or_init(|| rows(HS).filter_map(|r| Some((*r.first()?, *r.get(1)?))).collect())
}

/// The description of an HS 2022 code (2, 4 or 6 digits), if it exists.
pub fn hs_description(code: &str) -> Option<&'static str> {
    let t = hs_table();
    t.binary_search_by(|(c, _)| (*c).cmp(code)).ok().map(|i| t[i].1)
}

/// Parses an HS code as senders write it (`8517.13`, `851713`, `8517 13`):
/// 6 digits of an HS 2022 subheading, or 4 of a heading.
pub fn parse_hs_code(raw: &str) -> Result<String, String> {
    let code: String = raw.chars().filter(|c| !matches!(c, '.' | ' ' | '-')).collect();
    if !(code.len() == 6 || code.len() == 4) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be an HS code of 4 or 6 digits, such as 8517.13".into());
    }
    match hs_description(&code) {
        Some(_) => Ok(code),
        None => Err(format!("{code} is not in the HS 2022 nomenclature")),
    }
}

// ---------------------------------------------------------------- VAT / GST

/// The standard rate of a country's VAT or GST on a day.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TaxRate {
    pub country: String,
    /// vat, gst or none.
    pub kind: String,
    /// Basis points: 1900 is 19%.
    pub rate_bp: u32,
    /// Since when it applies (absent: as the source publishes it, undated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    pub source: String,
}

/// The standard VAT/GST rate of `country` (ISO 3166 alpha-2) on `day` (YYYY-MM-DD).
pub fn tax_rate(country: &str, day: &str) -> Option<TaxRate> {
    rows(VAT)
        .filter(|r| r.len() >= 5 && r[0] == country && (r[1].is_empty() || r[1] <= day))
        .max_by_key(|r| r[1])
        .and_then(|r| {
            Some(TaxRate {
                country: r[0].to_string(),
                kind: r[3].to_string(),
                rate_bp: r[2].parse().ok()?,
                valid_from: (!r[1].is_empty()).then(|| r[1].to_string()),
                source: r[4].to_string(),
            })
        })
}

// ---------------------------------------------------------- exchange rates

/// An exchange rate used in a conversion: units of `to` per unit of `from`,
/// from the ECB reference rates of `date`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct FxUsed {
    pub from: String,
    pub to: String,
    pub rate: String,
    pub date: String,
}

/// Units per EUR as millionths, on the latest publication day on or before `day`.
fn per_eur(currency: &str, day: &str) -> Option<(i128, &'static str)> {
    if currency == "EUR" {
        return Some((1_000_000, ""));
    }
    rows(FX).filter(|r| r.len() == 3 && r[1] == currency && r[0] <= day).last().and_then(|r| {
        let (int, frac) = r[2].split_once('.').unwrap_or((r[2], ""));
        let micro: i128 = format!("{int}{:0<6}", &frac[..frac.len().min(6)]).parse().ok()?;
        Some((micro, r[0]))
    })
}

/// Converts minor units between currencies through the ECB euro rates of
/// the latest day on or before `day`, rounding half up once. `None` when
/// the ECB publishes no rate for either currency.
pub fn convert(amount: &Money, to: &Currency, day: &str) -> Option<(Money, Option<FxUsed>)> {
    if &amount.currency == to {
        return Some((amount.clone(), None));
    }
    let (from_rate, d1) = per_eur(amount.currency.as_str(), day)?;
    let (to_rate, d2) = per_eur(to.as_str(), day)?;
    let scale_from = 10i128.pow(amount.currency.exponent());
    let scale_to = 10i128.pow(to.exponent());
    let num = amount.amount as i128 * to_rate * scale_to;
    let den = from_rate * scale_from;
    let v = (2 * num.abs() + den) / (2 * den);
    let v = if num < 0 { -v } else { v };
    let date = if d1 > d2 { d1 } else { d2 };
    let rate = to_rate as f64 / from_rate as f64;
    let used = FxUsed {
        from: amount.currency.as_str().into(),
        to: to.as_str().into(),
        rate: format!("{rate:.6}"),
        date: date.into(),
    };
    Some((Money::new(v as i64, to.clone()), Some(used)))
}

// ------------------------------------------------------------- de minimis

/// The de minimis rule of a destination for a shipment's origin on a day.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct DeMinimis {
    /// A country, or EU for the member states.
    pub destination: String,
    /// No duty when the goods' value does not exceed it (0: nothing relieved).
    pub duty_threshold: Money,
    /// No import VAT/GST when the value does not exceed it.
    pub tax_threshold: Money,
    /// The tax on low-value goods is collected by the seller at sale.
    pub tax_collected_at_sale: bool,
    /// A flat duty per distinct tariff subheading, for values up to `flat_duty_max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat_duty_per_category: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat_duty_max: Option<Money>,
    pub basis: String,
    pub valid_from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    pub source: String,
}

/// The rule for goods from `origin` to `destination` on `day`: a row naming
/// the origin wins over a row for any origin.
pub fn de_minimis(origin: &str, destination: &str, day: &str) -> Option<DeMinimis> {
    let region = region_of(destination);
    let mut best: Option<(bool, Vec<&str>)> = None;
    for r in rows(DE_MINIMIS).filter(|r| r.len() >= 13 && r[0] == region) {
        let (from, to) = (r[2], r[3]);
        if from > day || (!to.is_empty() && to < day) {
            continue;
        }
        let specific = r[1] != "*";
        if specific && !r[1].split(',').any(|o| o == origin) {
            continue;
        }
        if best.as_ref().is_none_or(|(s, _)| specific && !*s) {
            best = Some((specific, r));
        }
    }
    let r = best?.1;
    let cur = |c: &str| Currency::parse(c).ok();
    let money = |v: &str, c: &str| -> Option<Money> {
        let c = cur(c)?;
        Some(Money::new(c.minor_units(v)?, c))
    };
    Some(DeMinimis {
        destination: r[0].into(),
        duty_threshold: money(r[4], r[5])?,
        tax_threshold: money(r[6], r[7])?,
        tax_collected_at_sale: r[8] == "yes",
        flat_duty_per_category: (!r[9].is_empty()).then(|| money(r[9], r[5])).flatten(),
        flat_duty_max: (!r[10].is_empty()).then(|| money(r[10], r[5])).flatten(),
        basis: r[11].into(),
        valid_from: r[2].into(),
        valid_to: (!r[3].is_empty()).then(|| r[3].to_string()),
        source: r[12].into(),
    })
}

/// Destinations with a de minimis rule in the table (EU expanded).
pub fn de_minimis_countries() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows(DE_MINIMIS) {
        if r[0] == "EU" {
            out.extend(EU.iter().map(|c| c.to_string()));
        } else {
            out.push(r[0].to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

// ------------------------------------------------------- restricted goods

/// A contents line restricted at the destination.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Restriction {
    /// The contents line (0-based).
    pub line: usize,
    pub restriction: String,
    pub source: String,
}

fn restrictions(destination: &str, line: usize, hs: Option<&str>, description: &str) -> Vec<Restriction> {
    let region = region_of(destination);
    let desc = description.to_lowercase();
    rows(RESTRICTED)
        .filter(|r| r.len() >= 5 && r[0] == region)
        .filter(|r| {
            (!r[1].is_empty() && hs.is_some_and(|h| h.starts_with(r[1])))
                || (!r[2].is_empty() && desc.contains(&r[2].to_lowercase()))
        })
        .map(|r| Restriction { line, restriction: r[3].into(), source: r[4].into() })
        .collect()
}

// ------------------------------------------------------------ declaration

/// CN22 for small, low-value items; CN23 otherwise (UPU Convention Regulations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub enum Form {
    CN22,
    CN23,
}

/// The most a CN22 may declare: 300 SDR, at EUR 1.17 per SDR (IMF, 2025).
pub const CN22_MAX_EUR_CENTS: i64 = 35100;
/// The heaviest item a CN22 may go on (letter-post items up to 2 kg).
pub const CN22_MAX_GRAMS: u32 = 2_000;

/// Who pays duties and taxes: the recipient on arrival, or the sender in the quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub enum Incoterm {
    DAP,
    DDP,
}

/// What the shipment is, as the declaration says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Gift,
    Documents,
    CommercialSample,
    ReturnedGoods,
    SaleOfGoods,
    Other,
}

/// One line of the declaration.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct DeclaredLine {
    pub description: String,
    pub quantity: u32,
    pub value: Money,
    pub origin_country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_description: Option<String>,
}

/// How a duty or a tax comes out for this shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// Within the de minimis threshold: nothing due.
    Relieved,
    /// Due, estimated in `amount`.
    Estimated,
    /// Due, at tariff rates this estimate does not know: assessed on arrival.
    AssessedOnArrival,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Charge {
    pub assessment: Assessment,
    /// In the declared value's currency; absent when assessed on arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    pub why: String,
}

/// A customs declaration with its estimate of duties and taxes.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Declaration {
    pub form: Form,
    pub nature: Nature,
    pub incoterm: Incoterm,
    pub origin_country: String,
    pub destination_country: String,
    pub lines: Vec<DeclaredLine>,
    pub total_value: Money,
    pub weight_grams: u32,
    /// The destination's standard VAT/GST (absent: no data for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<TaxRate>,
    /// The destination's de minimis rule (absent: no data for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub de_minimis: Option<DeMinimis>,
    pub duty: Charge,
    pub tax: Charge,
    /// Duties and taxes estimated (what DDP adds to a quote), in the declared currency.
    pub estimated_total: Money,
    /// Every conversion made, with the ECB rate and its date.
    pub exchange_rates: Vec<FxUsed>,
    pub restricted: Vec<Restriction>,
    pub declared_at: String,
}

/// A contents line as the shipment holds it.
pub struct LineIn<'a> {
    pub description: &'a str,
    pub quantity: u32,
    pub unit_value: i64,
    pub origin_country: &'a str,
    pub hs_code: Option<&'a str>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CustomsError {
    #[error("origin and destination are both {0}: no customs declaration is needed")]
    Domestic(String),
    #[error("a customs declaration needs at least one contents line")]
    NoContents,
    #[error("no ECB exchange rate for {0}")]
    NoRate(String),
}

pub struct DeclarationInput<'a> {
    pub origin_country: &'a str,
    pub destination_country: &'a str,
    pub nature: Nature,
    pub incoterm: Incoterm,
    pub value: &'a Money,
    pub weight_grams: u32,
    pub lines: Vec<LineIn<'a>>,
    /// YYYY-MM-DD: the day whose rules and rates apply.
    pub day: &'a str,
    pub declared_at: String,
}

/// Builds the declaration and its estimate.
pub fn declare(i: DeclarationInput<'_>) -> Result<Declaration, CustomsError> {
    if i.origin_country == i.destination_country {
        return Err(CustomsError::Domestic(i.origin_country.into()));
    }
    if i.lines.is_empty() {
        return Err(CustomsError::NoContents);
    }
    let cur = &i.value.currency;
    let mut fx: Vec<FxUsed> = Vec::new();
    let mut conv = |m: &Money, to: &Currency| -> Result<Money, CustomsError> {
        let (out, used) = convert(m, to, i.day).ok_or_else(|| {
            CustomsError::NoRate(
                if per_eur(m.currency.as_str(), i.day).is_none() { m.currency.as_str() } else { to.as_str() }.into(),
            )
        })?;
        if let Some(u) = used {
            if !fx.contains(&u) {
                fx.push(u);
            }
        }
        Ok(out)
    };
    let eur = Currency::parse("EUR").expect("EUR");
    let in_eur = conv(i.value, &eur)?;
    let form =
        if in_eur.amount <= CN22_MAX_EUR_CENTS && i.weight_grams <= CN22_MAX_GRAMS { Form::CN22 } else { Form::CN23 };
    let lines: Vec<DeclaredLine> = i
        .lines
        .iter()
        .map(|l| DeclaredLine {
            description: l.description.into(),
            quantity: l.quantity,
            value: Money::new(l.unit_value * l.quantity as i64, cur.clone()),
            origin_country: l.origin_country.into(),
            hs_code: l.hs_code.map(str::to_string),
            hs_description: l.hs_code.and_then(hs_description).map(str::to_string),
        })
        .collect();
    let restricted: Vec<Restriction> = i
        .lines
        .iter()
        .enumerate()
        .flat_map(|(n, l)| restrictions(i.destination_country, n, l.hs_code, l.description))
        .collect();
    let rate = tax_rate(i.destination_country, i.day);
    let rule = de_minimis(i.origin_country, i.destination_country, i.day);
    let value = i.value.amount;
    let (duty, tax) = match &rule {
        None => (
            Charge {
                assessment: Assessment::AssessedOnArrival,
                amount: None,
                why: format!("no de minimis data for {}: duty is assessed on arrival", i.destination_country),
            },
            None,
        ),
        Some(r) => {
            let duty_limit = conv(&r.duty_threshold, cur)?;
            let duty = if value <= duty_limit.amount && r.duty_threshold.amount > 0 {
                Charge {
                    assessment: Assessment::Relieved,
                    amount: Some(0),
                    why: format!(
                        "the value does not exceed the duty threshold ({} {})",
                        fmt_money(&r.duty_threshold),
                        r.duty_threshold.currency.as_str()
                    ),
                }
            } else if let (Some(flat), Some(max)) = (&r.flat_duty_per_category, &r.flat_duty_max) {
                let max_here = conv(max, cur)?;
                if value <= max_here.amount {
                    let mut categories: Vec<String> = i
                        .lines
                        .iter()
                        .map(|l| l.hs_code.map(str::to_string).unwrap_or_else(|| l.description.to_lowercase()))
                        .collect();
                    categories.sort();
                    categories.dedup();
                    let per = conv(flat, cur)?;
                    Charge {
                        assessment: Assessment::Estimated,
                        amount: Some(per.amount * categories.len() as i64),
                        why: format!(
                            "a flat duty of {} {} per tariff category, {} categories",
                            fmt_money(flat),
                            flat.currency.as_str(),
                            categories.len()
                        ),
                    }
                } else {
                    Charge {
                        assessment: Assessment::AssessedOnArrival,
                        amount: None,
                        why: "above the flat-duty limit: duty at tariff rates, assessed on arrival".into(),
                    }
                }
            } else {
                Charge {
                    assessment: Assessment::AssessedOnArrival,
                    amount: None,
                    why: format!(
                        "the value exceeds the duty threshold ({} {}): duty at tariff rates, assessed on arrival",
                        fmt_money(&r.duty_threshold),
                        r.duty_threshold.currency.as_str()
                    ),
                }
            };
            let tax_limit = conv(&r.tax_threshold, cur)?;
            let relieved = value <= tax_limit.amount && r.tax_threshold.amount > 0;
            (duty, Some((relieved, r.tax_collected_at_sale)))
        }
    };
    let tax = match (&rate, tax) {
        (Some(t), _) if t.rate_bp == 0 => Charge {
            assessment: Assessment::Relieved,
            amount: Some(0),
            why: format!("{} levies no VAT or GST on imports", i.destination_country),
        },
        (Some(_), Some((true, _))) => Charge {
            assessment: Assessment::Relieved,
            amount: Some(0),
            why: "the value does not exceed the tax threshold".into(),
        },
        (Some(t), _) => {
            // Import VAT is charged on the value plus the duty.
            let base = value + duty.amount.unwrap_or(0);
            let amount = super::money::percent_of(base, t.rate_bp);
            let at_sale = matches!(tax, Some((_, true)));
            Charge {
                assessment: Assessment::Estimated,
                amount: Some(amount),
                why: format!(
                    "{} {}.{:02}% of the value{}{}",
                    t.kind.to_uppercase(),
                    t.rate_bp / 100,
                    t.rate_bp % 100,
                    if duty.amount.unwrap_or(0) > 0 { " and the duty" } else { "" },
                    if at_sale { "; for low-value goods it is collected at sale" } else { "" }
                ),
            }
        }
        (None, _) => Charge {
            assessment: Assessment::AssessedOnArrival,
            amount: None,
            why: format!("no VAT/GST data for {}: assessed on arrival", i.destination_country),
        },
    };
    let estimated_total = Money::new(duty.amount.unwrap_or(0) + tax.amount.unwrap_or(0), cur.clone());
    Ok(Declaration {
        form,
        nature: i.nature,
        incoterm: i.incoterm,
        origin_country: i.origin_country.into(),
        destination_country: i.destination_country.into(),
        lines,
        total_value: i.value.clone(),
        weight_grams: i.weight_grams,
        tax_rate: rate,
        de_minimis: rule,
        duty,
        tax,
        estimated_total,
        exchange_rates: fx,
        restricted,
        declared_at: i.declared_at,
    })
}

impl Declaration {
    /// Everything due is estimated (what DDP needs to quote it).
    pub fn fully_estimated(&self) -> bool {
        self.duty.amount.is_some() && self.tax.amount.is_some()
    }
}

/// Whole units as written in the tables (`150`, `12.50`).
fn fmt_money(m: &Money) -> String {
    let e = m.currency.exponent();
    if e == 0 {
        return m.amount.to_string();
    }
    let s = 10i64.pow(e);
    if m.amount % s == 0 {
        (m.amount / s).to_string()
    } else {
        format!("{}.{:0w$}", m.amount / s, m.amount % s, w = e as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn money(a: i64, c: &str) -> Money {
        Money::new(a, Currency::parse(c).unwrap())
    }

    #[test]
    fn known_rates() {
        assert_eq!(tax_rate("DE", "2026-11-21").unwrap().rate_bp, 1900);
        assert_eq!(tax_rate("FI", "2026-11-21").unwrap().rate_bp, 2550);
        assert_eq!(tax_rate("US", "2026-11-21").unwrap().rate_bp, 0);
        assert_eq!(tax_rate("KZ", "2026-11-21").unwrap().rate_bp, 1600, "the correction applies from 2026");
        assert_eq!(tax_rate("KZ", "2025-06-01").unwrap().rate_bp, 1200, "before it, the package's rate");
        assert_eq!(tax_rate("LK", "2026-11-21").unwrap().rate_bp, 1800);
        assert!(tax_rate("ZZ", "2026-11-21").is_none());
    }

    #[test]
    fn thresholds() {
        let us = de_minimis("DE", "US", "2026-11-21").unwrap();
        assert_eq!(us.duty_threshold.amount, 0);
        assert_eq!(us.tax_threshold.amount, 0);
        assert_eq!(de_minimis("DE", "US", "2025-08-01").unwrap().duty_threshold, money(80000, "USD"));
        let eu_before = de_minimis("US", "FR", "2026-06-30").unwrap();
        assert_eq!(eu_before.duty_threshold, money(15000, "EUR"));
        let eu_after = de_minimis("US", "FR", "2026-07-01").unwrap();
        assert_eq!(eu_after.duty_threshold.amount, 0);
        assert_eq!(eu_after.flat_duty_per_category, Some(money(300, "EUR")));
        assert_eq!(de_minimis("FR", "GB", "2026-11-21").unwrap().duty_threshold, money(13500, "GBP"));
        let ca_us = de_minimis("US", "CA", "2026-11-21").unwrap();
        assert_eq!((ca_us.tax_threshold.amount, ca_us.duty_threshold.amount), (4000, 15000));
        assert_eq!(de_minimis("FR", "CA", "2026-11-21").unwrap().duty_threshold, money(2000, "CAD"));
        assert_eq!(de_minimis("FR", "JP", "2026-11-21").unwrap().duty_threshold, money(10_000, "JPY"));
        assert_eq!(de_minimis("FR", "AU", "2026-11-21").unwrap().duty_threshold, money(100000, "AUD"));
        assert!(de_minimis_countries().len() >= 25, "{:?}", de_minimis_countries());
    }

    #[test]
    fn hs_codes() {
        assert_eq!(parse_hs_code("8517.13"), Ok("851713".into()));
        assert!(parse_hs_code("8549").is_ok(), "new in HS 2022");
        assert!(parse_hs_code("123456").unwrap_err().contains("not in the HS 2022"));
        assert!(parse_hs_code("85").is_err());
        assert!(hs_description("0101").unwrap().contains("Horses"));
    }

    #[test]
    fn conversions_use_the_latest_ecb_day() {
        let (gbp, used) = convert(&money(10000, "EUR"), &Currency::parse("GBP").unwrap(), "2026-11-21").unwrap();
        let used = used.unwrap();
        assert!(used.date.as_str() <= "2026-11-21" && used.date.as_str() >= "2026-10-01", "{used:?}");
        assert!(gbp.amount > 7000 && gbp.amount < 10000, "{gbp:?}");
        let (jpy, _) = convert(&money(10000, "EUR"), &Currency::parse("JPY").unwrap(), "2026-11-21").unwrap();
        assert!(jpy.amount > 10_000 && jpy.amount < 30_000, "yen have no minor unit: {jpy:?}");
        assert!(convert(&money(1, "EUR"), &Currency::parse("AED").unwrap(), "2026-11-21").is_none(), "no ECB rate");
    }

    fn input<'a>(
        from: &'a str,
        to: &'a str,
        value: &'a Money,
        lines: Vec<LineIn<'a>>,
        day: &'a str,
    ) -> DeclarationInput<'a> {
        DeclarationInput {
            origin_country: from,
            destination_country: to,
            nature: Nature::Gift,
            incoterm: Incoterm::DDP,
            value,
            weight_grams: 800,
            lines,
            day,
            declared_at: "t".into(),
        }
    }
    fn line(desc: &'static str, hs: Option<&'static str>, qty: u32, unit: i64) -> LineIn<'static> {
        LineIn { description: desc, quantity: qty, unit_value: unit, origin_country: "FR", hs_code: hs }
    }

    #[test]
    fn a_low_value_gift_to_the_uk_pays_vat_not_duty() {
        let v = money(10000, "EUR");
        let d =
            declare(input("FR", "GB", &v, vec![line("Silk scarf", Some("621410"), 1, 10000)], "2026-11-21")).unwrap();
        assert_eq!(d.form, Form::CN22);
        assert_eq!(d.duty.assessment, Assessment::Relieved);
        assert_eq!(d.tax.amount, Some(2000), "20% of EUR 100");
        assert_eq!(d.estimated_total, money(2000, "EUR"));
        assert_eq!(d.exchange_rates.len(), 1, "GBP 135 in EUR: {:?}", d.exchange_rates);
        assert!(d.fully_estimated());
    }

    #[test]
    fn the_eu_flat_duty_and_the_us_without_de_minimis() {
        let v = money(12000, "USD");
        let lines = vec![line("Phone case", Some("420232"), 2, 3000), line("Cable", Some("854442"), 3, 2000)];
        let d = declare(input("US", "DE", &v, lines, "2026-11-21")).unwrap();
        assert_eq!(d.duty.assessment, Assessment::Estimated);
        let eur3 = convert(&money(300, "EUR"), &Currency::parse("USD").unwrap(), "2026-11-21").unwrap().0.amount;
        assert_eq!(d.duty.amount, Some(2 * eur3), "two categories");
        assert_eq!(d.tax.amount, Some(super::super::money::percent_of(12000 + 2 * eur3, 1900)));
        let v = money(5000, "EUR");
        let d = declare(input("DE", "US", &v, vec![line("Book", Some("490199"), 1, 5000)], "2026-11-21")).unwrap();
        assert_eq!(d.duty.assessment, Assessment::AssessedOnArrival, "no de minimis since 2025-08-29");
        assert_eq!(d.tax.amount, Some(0), "no federal VAT");
        assert!(!d.fully_estimated());
    }

    #[test]
    fn forms_restrictions_and_refusals() {
        let v = money(50000, "EUR");
        let d =
            declare(input("FR", "AU", &v, vec![line("Dried mango", Some("080450"), 5, 10000)], "2026-11-21")).unwrap();
        assert_eq!(d.form, Form::CN23, "above 300 SDR");
        assert_eq!(d.restricted.len(), 1);
        assert!(d.restricted[0].restriction.contains("permit"));
        assert_eq!(
            declare(input("FR", "FR", &v, vec![line("x", None, 1, 1)], "2026-11-21")).unwrap_err(),
            CustomsError::Domestic("FR".into())
        );
        assert_eq!(declare(input("FR", "GB", &v, vec![], "2026-11-21")).unwrap_err(), CustomsError::NoContents);
    }
}
