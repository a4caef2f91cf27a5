//! Currencies (ISO 4217); amounts are minor units (`i64`) beside them.
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Active ISO 4217 codes (SIX, list one), for validating input.
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

#[derive(Debug, Error, PartialEq, Eq)]
#[error("must be an ISO 4217 currency code such as EUR or USD")]
pub struct InvalidCurrency;

/// An ISO 4217 currency code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, InvalidCurrency> {
        let c = raw.trim().to_ascii_uppercase();
        if c.len() == 3 && ISO_4217.split(' ').any(|k| k == c) {
            Ok(Self(c))
        } else {
            Err(InvalidCurrency)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Digits after the decimal point of the minor unit (ISO 4217): 2 for
    /// most, 0 for JPY or KRW, 3 for BHD or KWD.
    pub fn exponent(&self) -> u32 {
        match self.0.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "VND" | "VUV"
            | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
    /// Whole units (`"150"`, `"12.5"`) as minor units of this currency.
    pub fn minor_units(&self, whole: &str) -> Option<i64> {
        let (int, frac) = whole.split_once('.').unwrap_or((whole, ""));
        let e = self.exponent() as usize;
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || frac.len() > e {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        format!("{int}{frac:0<e$}").parse().ok()
    }
}

/// An amount in minor units of a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Money {
    /// Minor units (cents for EUR, yen for JPY).
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }
}

/// `amount` × `bps` / 10,000, rounded half away from zero: the one rounding
/// rule of prices (every percentage line is rounded once, to the minor unit).
pub fn percent_of(amount: i64, bps: u32) -> i64 {
    let x = amount as i128 * bps as i128;
    let r = (x.abs() + 5_000) / 10_000;
    (if x < 0 { -r } else { r }) as i64
}
impl TryFrom<String> for Currency {
    type Error = InvalidCurrency;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn currencies() {
        assert_eq!(Currency::parse(" eur").unwrap().as_str(), "EUR");
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("XXX").is_err());
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.exponent(), 0);
        assert_eq!(jpy.minor_units("10000"), Some(10_000));
        assert_eq!(Currency::parse("GBP").unwrap().minor_units("135"), Some(13_500));
        assert_eq!(Currency::parse("KWD").unwrap().minor_units("1.5"), Some(1_500));
        assert_eq!(Currency::parse("EUR").unwrap().minor_units("1.234"), None);
    }

    #[test]
    fn percentages_round_half_away_from_zero() {
        assert_eq!(percent_of(1_000, 1_000), 100);
        assert_eq!(percent_of(5, 1_000), 1, "0.5 rounds up");
        assert_eq!(percent_of(4, 1_000), 0);
        assert_eq!(percent_of(-5, 1_000), -1);
        assert_eq!(percent_of(12_345, 1_950), 2_407, "240.7275");
    }
}
