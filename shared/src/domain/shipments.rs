//! Shipments: the parcel a sender wants carried (package, contents, photos),
//! who sends and who receives it, and its customs declaration. Input is
//! parsed once into types that cannot be invalid; a shipment changes only
//! while it is a draft.
use serde::{Deserialize, Serialize};

use super::customs::{parse_hs_code, Declaration};
use super::identity::{Email, Phone};
use super::money::{Currency, Money};
use super::places::Gazetteer;
use super::trips::{Category, Dimensions};
use super::validation::{Errors, FieldError};

pub const MAX_WEIGHT_GRAMS: u32 = 50_000;
pub const MAX_SIDE_CM: u32 = 300;
pub const MAX_CONTENT_LINES: usize = 50;
/// The most a value may be, in minor units.
pub const MAX_VALUE: i64 = 10_000_000_000;

/// Goods never carried, with the reason given to the sender.
pub const PROHIBITED: [(&str, &str); 5] = [
    ("weapons", "weapons, their parts and ammunition are never carried"),
    ("explosives", "explosives and fireworks are never carried"),
    ("hazardous_materials", "hazardous materials (flammable, toxic, corrosive, radioactive) are never carried"),
    ("cash", "cash and bearer instruments are never carried"),
    ("drugs", "narcotics and controlled drugs are never carried"),
];

/// Words in a contents line that name prohibited goods, and the class they belong to.
const PROHIBITED_WORDS: [(&str, &str); 22] = [
    ("gun", "weapons"),
    ("pistol", "weapons"),
    ("rifle", "weapons"),
    ("firearm", "weapons"),
    ("ammunition", "weapons"),
    ("explosive", "explosives"),
    ("fireworks", "explosives"),
    ("firework", "explosives"),
    ("gunpowder", "explosives"),
    ("detonator", "explosives"),
    ("gasoline", "hazardous_materials"),
    ("petrol", "hazardous_materials"),
    ("lighter fluid", "hazardous_materials"),
    ("radioactive", "hazardous_materials"),
    ("cash", "cash"),
    ("banknotes", "cash"),
    ("cocaine", "drugs"),
    ("heroin", "drugs"),
    ("cannabis", "drugs"),
    ("marijuana", "drugs"),
    ("methamphetamine", "drugs"),
    ("narcotics", "drugs"),
];

/// HS chapters of prohibited goods: 93 arms and ammunition, 36 explosives.
const PROHIBITED_CHAPTERS: [(&str, &str); 2] = [("93", "weapons"), ("36", "explosives")];

/// Countries without postcodes (the rest need one).
const NO_POSTCODE: &str = "AE AG AO AW BF BI BJ BO BS BW BZ CD CF CG CI CK CM DJ DM ER FJ GA GD GH GM GQ GY HK JM KI \
KM KN KP LC ML MO MR MW NR NU QA RW SB SC SL SR ST SY TD TG TK TL TO TT TV UG VU YE ZW";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    /// Being prepared: may change or be deleted.
    Draft,
    /// An itinerary carries it (requested, accepted or paid).
    Booked,
    InTransit,
    Delivered,
}

impl ShipmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Draft => "draft",
            ShipmentStatus::Booked => "booked",
            ShipmentStatus::InTransit => "in_transit",
            ShipmentStatus::Delivered => "delivered",
        }
    }
    pub const ALL: [ShipmentStatus; 4] =
        [ShipmentStatus::Draft, ShipmentStatus::Booked, ShipmentStatus::InTransit, ShipmentStatus::Delivered];
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| "must be draft, booked, in_transit or delivered".to_string())
    }
}

// -------------------------------------------------------------- the input

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MoneyInput")]
pub struct MoneyIn {
    /// Minor units (cents for EUR).
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ContentLineInput")]
pub struct ContentIn {
    pub description: String,
    pub quantity: u32,
    /// Minor units of the declared value's currency, per unit.
    pub unit_value: i64,
    /// ISO 3166 alpha-2: where the goods were made.
    pub origin_country: String,
    /// HS 2022 code of 4 or 6 digits (`8517.13`).
    #[serde(default)]
    pub hs_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PackageInput")]
pub struct PackageIn {
    /// documents, clothing, electronics, books, cosmetics, food, medicine,
    /// gifts, fragile or other. Prohibited goods (weapons, explosives,
    /// hazardous_materials, cash, drugs) are refused with the reason.
    pub category: String,
    pub weight_grams: u32,
    pub dimensions_cm: Dimensions,
    /// The whole package's value: the sum of the contents lines when there are any.
    pub declared_value: MoneyIn,
    #[serde(default)]
    pub contents: Vec<ContentIn>,
    #[serde(default)]
    pub handling_notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AddressInput")]
pub struct AddressIn {
    /// ISO 3166 alpha-2.
    pub country: String,
    /// 1 to 3 lines.
    pub lines: Vec<String>,
    /// Required except where the country has none.
    #[serde(default)]
    pub postcode: Option<String>,
    pub city: String,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ContactInput")]
pub struct ContactIn {
    pub name: String,
    pub email: String,
    /// E.164, such as +41445551234.
    pub phone: String,
    pub address: AddressIn,
    /// Where the parcel is handed over (sender) or delivered (recipient): a
    /// place id in the address's country, such as city:2988507.
    pub place: String,
}

/// A new shipment (POST /shipments).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewShipment")]
pub struct ShipmentIn {
    pub package: PackageIn,
    pub sender: ContactIn,
    pub recipient: ContactIn,
}

/// A change to a draft (PATCH /shipments/{id}): each part given replaces the old one.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ShipmentChange")]
pub struct ShipmentPatch {
    #[serde(default)]
    pub package: Option<PackageIn>,
    #[serde(default)]
    pub sender: Option<ContactIn>,
    #[serde(default)]
    pub recipient: Option<ContactIn>,
}

// ----------------------------------------------------------- the shipment

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ContentLine {
    pub description: String,
    pub quantity: u32,
    pub unit_value: i64,
    pub origin_country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Package {
    pub category: Category,
    pub weight_grams: u32,
    pub dimensions_cm: Dimensions,
    pub declared_value: Money,
    pub contents: Vec<ContentLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling_notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Address {
    pub country: String,
    pub lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    pub city: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: Email,
    pub phone: Phone,
    pub address: Address,
    pub place: String,
}

/// An accepted photo of the parcel and where its file is.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct PhotoRef {
    pub photo_id: String,
    pub object_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Shipment {
    pub shipment_id: String,
    pub sender_id: String,
    pub status: ShipmentStatus,
    pub package: Package,
    pub sender: Contact,
    pub recipient: Contact,
    /// Accepted photos; at least one before booking.
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
    /// Built by POST /shipments/{id}/customs when the countries differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs: Option<Declaration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itinerary_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ShipmentError {
    #[error("invalid shipment")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Prohibited(String),
    #[error("the shipment is {0}: only a draft can change")]
    NotDraft(&'static str),
}

impl From<Vec<FieldError>> for ShipmentError {
    fn from(e: Vec<FieldError>) -> Self {
        ShipmentError::Invalid(e)
    }
}

fn text(errors: &mut Errors, field: &str, raw: &str, max: usize) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        errors.push(field, "is required");
        None
    } else if t.chars().count() > max {
        errors.push(field, format!("is at most {max} characters"));
        None
    } else {
        Some(t.to_string())
    }
}

fn country(errors: &mut Errors, field: &str, raw: &str, places: &Gazetteer) -> Option<String> {
    let c = raw.trim().to_ascii_uppercase();
    if c.len() == 2 && places.has_country(&c) {
        Some(c)
    } else {
        errors.push(field, "must be an ISO 3166 alpha-2 country code such as FR");
        None
    }
}

/// The reason a package is refused, if it holds prohibited goods.
pub fn prohibited(p: &PackageIn) -> Option<String> {
    let reason = |class: &str| PROHIBITED.iter().find(|(c, _)| *c == class).map(|(_, r)| r.to_string());
    if let Some(r) = reason(p.category.trim()) {
        return Some(r);
    }
    for (i, line) in p.contents.iter().enumerate() {
        let desc = format!(" {} ", line.description.to_lowercase().replace(|c: char| !c.is_alphanumeric(), " "));
        if let Some((w, class)) = PROHIBITED_WORDS.iter().find(|(w, _)| desc.contains(&format!(" {w} "))) {
            return reason(class).map(|r| format!("{r} (contents[{i}] names {w:?})"));
        }
        let hs: String = line.hs_code.as_deref().unwrap_or("").chars().filter(char::is_ascii_digit).collect();
        if let Some((ch, class)) = PROHIBITED_CHAPTERS.iter().find(|(ch, _)| hs.starts_with(ch)) {
            return reason(class).map(|r| format!("{r} (contents[{i}] is in HS chapter {ch})"));
        }
    }
    None
}

/// Parses a package, naming every wrong field.
pub fn parse_package(p: &PackageIn, places: &Gazetteer) -> Result<Package, ShipmentError> {
    if let Some(reason) = prohibited(p) {
        return Err(ShipmentError::Prohibited(reason));
    }
    let mut e = Errors::new();
    let category = e.check("package.category", p.category.parse::<Category>());
    if !(1..=MAX_WEIGHT_GRAMS).contains(&p.weight_grams) {
        e.push("package.weight_grams", format!("must be from 1 to {MAX_WEIGHT_GRAMS} grams"));
    }
    let d = p.dimensions_cm;
    for (name, v) in [("length_cm", d.length_cm), ("width_cm", d.width_cm), ("height_cm", d.height_cm)] {
        if !(1..=MAX_SIDE_CM).contains(&v) {
            e.push(&format!("package.dimensions_cm.{name}"), format!("must be from 1 to {MAX_SIDE_CM}"));
        }
    }
    let currency = e.check("package.declared_value.currency", Currency::parse(&p.declared_value.currency));
    if !(0..=MAX_VALUE).contains(&p.declared_value.amount) {
        e.push("package.declared_value.amount", "must be from 0 to 10,000,000,000 minor units");
    }
    if p.contents.len() > MAX_CONTENT_LINES {
        e.push("package.contents", format!("at most {MAX_CONTENT_LINES} lines"));
    }
    let mut contents = Vec::new();
    let mut sum: i64 = 0;
    for (i, c) in p.contents.iter().enumerate().take(MAX_CONTENT_LINES) {
        let f = |n: &str| format!("package.contents[{i}].{n}");
        let description = text(&mut e, &f("description"), &c.description, 200);
        if !(1..=10_000).contains(&c.quantity) {
            e.push(&f("quantity"), "must be from 1 to 10000");
        }
        if !(0..=MAX_VALUE).contains(&c.unit_value) {
            e.push(&f("unit_value"), "must be from 0 to 10,000,000,000 minor units");
        }
        sum = sum.saturating_add(c.unit_value.saturating_mul(c.quantity as i64));
        let origin = country(&mut e, &f("origin_country"), &c.origin_country, places);
        let hs = match c.hs_code.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            None => Some(None),
            Some(h) => e.check(&f("hs_code"), parse_hs_code(h)).map(Some),
        };
        if let (Some(description), Some(origin_country), Some(hs_code)) = (description, origin, hs) {
            contents.push(ContentLine {
                description,
                quantity: c.quantity,
                unit_value: c.unit_value,
                origin_country,
                hs_code,
            });
        }
    }
    if !p.contents.is_empty() && sum != p.declared_value.amount {
        e.push(
            "package.declared_value.amount",
            format!("must equal the contents lines' total ({sum} = quantity × unit_value summed)"),
        );
    }
    let handling_notes = match p.handling_notes.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        None => Some(None),
        Some(n) => text(&mut e, "package.handling_notes", n, 500).map(Some),
    };
    let (category, currency, handling_notes) = e.finish((|| Some((category?, currency?, handling_notes?)))())?;
    Ok(Package {
        category,
        weight_grams: p.weight_grams,
        dimensions_cm: d,
        declared_value: Money::new(p.declared_value.amount, currency),
        contents,
        handling_notes,
    })
}

/// Parses a contact (`who` is sender or recipient), naming every wrong field.
pub fn parse_contact(who: &str, c: &ContactIn, places: &Gazetteer) -> Result<Contact, Vec<FieldError>> {
    let mut e = Errors::new();
    let f = |n: &str| format!("{who}.{n}");
    let name = text(&mut e, &f("name"), &c.name, 200);
    let email = e.check(&f("email"), Email::parse(&c.email));
    let phone = e.check(&f("phone"), Phone::parse(&c.phone));
    let a = &c.address;
    let cc = country(&mut e, &f("address.country"), &a.country, places);
    if a.lines.is_empty() || a.lines.len() > 3 {
        e.push(&f("address.lines"), "give 1 to 3 address lines");
    }
    let lines: Vec<Option<String>> =
        a.lines.iter().enumerate().map(|(i, l)| text(&mut e, &f(&format!("address.lines[{i}]")), l, 200)).collect();
    let city = text(&mut e, &f("address.city"), &a.city, 100);
    let postcode = match a.postcode.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if p.len() <= 16 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') => {
            Some(Some(p.to_ascii_uppercase()))
        }
        Some(_) => {
            e.push(&f("address.postcode"), "letters, digits, spaces and hyphens, at most 16");
            None
        }
        None if cc.as_deref().is_some_and(|c| NO_POSTCODE.split(' ').any(|n| n == c)) => Some(None),
        None => {
            e.push(&f("address.postcode"), "is required in this country");
            None
        }
    };
    let place = match places.get(c.place.trim()) {
        None => {
            e.push(&f("place"), format!("unknown place {:?} (find one with GET /places/search)", c.place.trim()));
            None
        }
        Some(p) if cc.as_deref().is_some_and(|c| c != p.country) => {
            e.push(&f("place"), format!("{} is in {}, not in the address's country", p.id, p.country));
            None
        }
        Some(p) => Some(p.id.to_string()),
    };
    let lines: Option<Vec<String>> = lines.into_iter().collect();
    let (name, email, phone, country, lines, city, postcode, place) =
        e.finish((|| Some((name?, email?, phone?, cc?, lines?, city?, postcode?, place?)))())?;
    Ok(Contact { name, email, phone, address: Address { country, lines, postcode, city }, place })
}

type Parts = (Option<Package>, Option<Contact>, Option<Contact>);

/// Parses all three parts, naming every wrong field of all of them.
fn parse_parts(
    package: Option<&PackageIn>,
    sender: Option<&ContactIn>,
    recipient: Option<&ContactIn>,
    places: &Gazetteer,
) -> Result<Parts, ShipmentError> {
    let mut errors = Vec::new();
    let package = match package.map(|p| parse_package(p, places)).transpose() {
        Ok(p) => p,
        Err(ShipmentError::Invalid(e)) => {
            errors.extend(e);
            None
        }
        Err(other) => return Err(other),
    };
    let mut contact = |who: &str, c: Option<&ContactIn>| match c.map(|c| parse_contact(who, c, places)).transpose() {
        Ok(c) => c,
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let sender = contact("sender", sender);
    let recipient = contact("recipient", recipient);
    if !errors.is_empty() {
        return Err(ShipmentError::Invalid(errors));
    }
    Ok((package, sender, recipient))
}

impl Shipment {
    pub fn draft(
        shipment_id: String,
        sender_id: String,
        input: &ShipmentIn,
        places: &Gazetteer,
        now: String,
    ) -> Result<Self, ShipmentError> {
        let (package, sender, recipient) =
            parse_parts(Some(&input.package), Some(&input.sender), Some(&input.recipient), places)?;
        let (Some(package), Some(sender), Some(recipient)) = (package, sender, recipient) else {
            return Err(ShipmentError::Invalid(Vec::new()));
        };
        Ok(Shipment {
            shipment_id,
            sender_id,
            status: ShipmentStatus::Draft,
            package,
            sender,
            recipient,
            photos: Vec::new(),
            customs: None,
            itinerary_id: None,
            created_at: now.clone(),
            updated_at: now,
        })
    }

    pub fn ensure_draft(&self) -> Result<(), ShipmentError> {
        match self.status {
            ShipmentStatus::Draft => Ok(()),
            s => Err(ShipmentError::NotDraft(s.as_str())),
        }
    }

    /// Applies a change to a draft. A changed package or contact drops the
    /// customs declaration, which was built from them.
    pub fn change(&mut self, patch: &ShipmentPatch, places: &Gazetteer) -> Result<(), ShipmentError> {
        self.ensure_draft()?;
        let (package, sender, recipient) =
            parse_parts(patch.package.as_ref(), patch.sender.as_ref(), patch.recipient.as_ref(), places)?;
        let changed = package.is_some() || sender.is_some() || recipient.is_some();
        if let Some(p) = package {
            self.package = p;
        }
        if let Some(s) = sender {
            self.sender = s;
        }
        if let Some(r) = recipient {
            self.recipient = r;
        }
        if changed {
            self.customs = None;
        }
        Ok(())
    }

    pub fn origin_country(&self) -> &str {
        &self.sender.address.country
    }
    pub fn destination_country(&self) -> &str {
        &self.recipient.address.country
    }
    /// Goods cross a border: a customs declaration is needed before a quote.
    pub fn crosses_border(&self) -> bool {
        self.origin_country() != self.destination_country()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = "C\tFR\tFrance\nC\tGB\tUnited Kingdom\n\
P\tairport:CDG\tairport\tCharles de Gaulle\tParis\tFR\t49.01280\t2.55000\tEurope/Paris\t2138551\n\
P\tairport:LHR\tairport\tHeathrow\tLondon\tGB\t51.47060\t-0.46194\tEurope/London\t8961989\n";

    fn input() -> ShipmentIn {
        serde_json::from_value(serde_json::json!({
            "package": {"category": "clothing", "weight_grams": 800,
                "dimensions_cm": {"length_cm": 30, "width_cm": 20, "height_cm": 10},
                "declared_value": {"amount": 12000, "currency": "EUR"},
                "contents": [{"description": "Wool scarf", "quantity": 2, "unit_value": 6000,
                              "origin_country": "fr", "hs_code": "6117.10"}]},
            "sender": {"name": "Ana", "email": "ana@example.com", "phone": "+33612345678",
                "address": {"country": "FR", "lines": ["1 rue de Rivoli"], "postcode": "75001", "city": "Paris"},
                "place": "airport:CDG"},
            "recipient": {"name": "Ben", "email": "ben@example.co.uk", "phone": "+447700900123",
                "address": {"country": "GB", "lines": ["10 Downing St"], "postcode": "sw1a 2aa", "city": "London"},
                "place": "airport:LHR"}
        }))
        .unwrap()
    }

    #[test]
    fn a_valid_draft_and_every_wrong_field_named() {
        let g = Gazetteer::parse(DATA).unwrap();
        let s = Shipment::draft("s".into(), "u".into(), &input(), &g, "t".into()).unwrap();
        assert_eq!(s.package.contents[0].hs_code.as_deref(), Some("611710"));
        assert_eq!(s.recipient.address.postcode.as_deref(), Some("SW1A 2AA"));
        assert!(s.crosses_border());
        let mut bad = input();
        bad.package.declared_value.amount = 100;
        bad.package.contents[0].hs_code = Some("1234".into());
        bad.recipient.place = "airport:CDG".into();
        bad.sender.phone = "0612".into();
        let Err(ShipmentError::Invalid(errors)) = Shipment::draft("s".into(), "u".into(), &bad, &g, "t".into()) else {
            panic!("invalid")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["package.declared_value.amount", "package.contents[0].hs_code", "recipient.place", "sender.phone"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }

    #[test]
    fn prohibited_goods_are_refused_with_the_reason() {
        let g = Gazetteer::parse(DATA).unwrap();
        let mut p = input();
        p.package.category = "explosives".into();
        let e = Shipment::draft("s".into(), "u".into(), &p, &g, "t".into()).unwrap_err();
        assert!(matches!(e, ShipmentError::Prohibited(ref r) if r.contains("explosives")), "{e:?}");
        let mut p = input();
        p.package.contents[0].description = "Replica gun".into();
        assert!(matches!(prohibited(&p.package), Some(r) if r.contains("weapons")));
        let mut p = input();
        p.package.contents[0].description = "Gunther's scarf".into();
        assert_eq!(prohibited(&p.package), None, "whole words only");
    }

    #[test]
    fn only_a_draft_changes_and_a_change_drops_customs() {
        let g = Gazetteer::parse(DATA).unwrap();
        let mut s = Shipment::draft("s".into(), "u".into(), &input(), &g, "t".into()).unwrap();
        let patch = ShipmentPatch { package: None, sender: Some(input().sender), recipient: None };
        s.change(&patch, &g).unwrap();
        s.status = ShipmentStatus::Booked;
        assert_eq!(s.change(&patch, &g), Err(ShipmentError::NotDraft("booked")));
    }
}
