//! The gazetteer's compiled form: the TSV of `infra/data/places.py` turned,
//! at build time (shared/build.rs), into one byte blob that is used where it
//! lies: no parsing, no allocation at start. Also used by tests on small data.
//!
//! Layout (little-endian, unaligned): `HGZ3`, then the counts (u32 each) of
//! places, countries, country keys, time zones and the string table's
//! length; the string table (each string a u8 length and its UTF-8 bytes,
//! stored once); the places ([`RECORD`] bytes each: id, name, city, folded
//! name, folded city as u32 string offsets, city `u32::MAX` when none; time
//! zone and country as u16 indices; lat and lon as i32 in 1e-5 degrees (the
//! data has at most five decimals, so `n / 1e5` is exactly the f64 the text
//! parses to); population u32; kind u8); the countries (code, name: string
//! offsets); the time zones (string offsets); the place indices ordered by
//! id (u32 each); the country keys ordered (folded name, lower-case code or
//! alias → country index: u32, u32).
use std::collections::HashMap;

use super::fold::fold;

pub const MAGIC: &[u8; 4] = b"HGZ3";
pub const HEADER: usize = 4 + 5 * 4;
pub const RECORD: usize = 5 * 4 + 2 + 2 + 4 + 4 + 4 + 1;
/// Degrees are stored in units of 1e-5.
pub const DEGREE_UNITS: f64 = 100_000.0;
pub const NONE: u32 = u32::MAX;

const ALIASES: [(&str, &str); 4] = [("usa", "US"), ("united states of america", "US"), ("uk", "GB"), ("england", "GB")];

#[derive(Default)]
struct Strings {
    bytes: Vec<u8>,
    seen: HashMap<String, u32>,
}

impl Strings {
    fn add(&mut self, s: &str) -> Result<u32, String> {
        if let Some(&o) = self.seen.get(s) {
            return Ok(o);
        }
        let len = u8::try_from(s.len()).map_err(|_| format!("string too long: {s:.40}"))?;
        let o = u32::try_from(self.bytes.len()).map_err(|_| "string table too large".to_string())?;
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(s.as_bytes());
        self.seen.insert(s.to_string(), o);
        Ok(o)
    }
}

/// Compiles the TSV text into the blob [`super::Gazetteer::from_blob`] reads.
pub fn compile(text: &str) -> Result<Vec<u8>, String> {
    let mut strings = Strings::default();
    let mut countries: Vec<(String, String)> = Vec::new();
    let mut country_index: HashMap<String, u16> = HashMap::new();
    let mut records: Vec<(String, Vec<u8>)> = Vec::new();
    let mut zones: Vec<u32> = Vec::new();
    let mut zone_index: HashMap<String, u16> = HashMap::new();
    let mut country_of =
        |code: &str, name: Option<&str>, countries: &mut Vec<(String, String)>| -> Result<u16, String> {
            if let Some(&i) = country_index.get(code) {
                if let Some(n) = name {
                    countries[i as usize].1 = n.to_string();
                }
                return Ok(i);
            }
            let i = u16::try_from(countries.len()).map_err(|_| "too many countries".to_string())?;
            countries.push((code.to_string(), name.unwrap_or("").to_string()));
            country_index.insert(code.to_string(), i);
            Ok(i)
        };
    for (n_line, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let bad = || format!("places data line {}: malformed", n_line + 1);
        match f[0] {
            "C" if f.len() == 3 => {
                country_of(f[1], Some(f[2]), &mut countries)?;
            }
            "P" if f.len() == 10 => {
                let kind: u8 = match f[2] {
                    "airport" => 0,
                    "city" => 1,
                    _ => return Err(bad()),
                };
                let degrees = |t: &str| -> Result<i32, String> {
                    let d: f64 = t.parse().map_err(|_| bad())?;
                    let n = (d * DEGREE_UNITS).round();
                    // Exactly representable: the text has at most five decimals.
                    if (n / DEGREE_UNITS).to_bits() != d.to_bits() || n.abs() > 18_000_000.0 {
                        return Err(format!("places data line {}: {t} has more than five decimals", n_line + 1));
                    }
                    Ok(n as i32)
                };
                let (lat, lon) = (degrees(f[6])?, degrees(f[7])?);
                let population: u32 = f[9].parse().map_err(|_| bad())?;
                let country = country_of(f[5], None, &mut countries)?;
                let zone = match zone_index.get(f[8]) {
                    Some(&z) => z,
                    None => {
                        let z = u16::try_from(zones.len()).map_err(|_| "too many time zones".to_string())?;
                        zones.push(strings.add(f[8])?);
                        zone_index.insert(f[8].to_string(), z);
                        z
                    }
                };
                let city = if f[4].is_empty() { NONE } else { strings.add(f[4])? };
                let mut r = Vec::with_capacity(RECORD);
                for o in
                    [strings.add(f[1])?, strings.add(f[3])?, city, strings.add(&fold(f[3]))?, strings.add(&fold(f[4]))?]
                {
                    r.extend_from_slice(&o.to_le_bytes());
                }
                r.extend_from_slice(&zone.to_le_bytes());
                r.extend_from_slice(&country.to_le_bytes());
                r.extend_from_slice(&lat.to_le_bytes());
                r.extend_from_slice(&lon.to_le_bytes());
                r.extend_from_slice(&population.to_le_bytes());
                r.push(kind);
                records.push((f[1].to_string(), r));
            }
            _ => return Err(bad()),
        }
    }
    let mut country_rows = Vec::new();
    let mut keys: Vec<(String, u32)> = Vec::new();
    for (i, (code, name)) in countries.iter().enumerate() {
        country_rows.extend_from_slice(&strings.add(code)?.to_le_bytes());
        country_rows.extend_from_slice(&strings.add(name)?.to_le_bytes());
        if !name.is_empty() {
            keys.push((fold(name), i as u32));
        }
        keys.push((code.to_ascii_lowercase(), i as u32));
    }
    for (alias, code) in ALIASES {
        if let Some(&i) = country_index.get(code) {
            keys.push((alias.to_string(), i as u32));
        }
    }
    keys.sort();
    keys.dedup_by(|a, b| a.0 == b.0);
    let mut key_rows = Vec::new();
    for (k, i) in &keys {
        key_rows.extend_from_slice(&strings.add(k)?.to_le_bytes());
        key_rows.extend_from_slice(&i.to_le_bytes());
    }
    let mut by_id: Vec<u32> = (0..records.len() as u32).collect();
    by_id.sort_by(|a, b| records[*a as usize].0.cmp(&records[*b as usize].0));
    if by_id.windows(2).any(|w| records[w[0] as usize].0 == records[w[1] as usize].0) {
        return Err("places data has a duplicate id".into());
    }

    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    for n in [records.len(), countries.len(), keys.len(), zones.len(), strings.bytes.len()] {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    out.extend_from_slice(&strings.bytes);
    for (_, r) in &records {
        out.extend_from_slice(r);
    }
    out.extend_from_slice(&country_rows);
    for z in zones {
        out.extend_from_slice(&z.to_le_bytes());
    }
    for i in by_id {
        out.extend_from_slice(&i.to_le_bytes());
    }
    out.extend_from_slice(&key_rows);
    Ok(out)
}
