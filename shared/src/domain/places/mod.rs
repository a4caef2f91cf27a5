//! The gazetteer: airports and cities from public data (`shared/data/places.tsv`,
//! built by `infra/data/places.sh`; sources and licences in `docs/places.md`).
//! Search is prefix and fuzzy, accent- and case-insensitive, ranked by size;
//! geocoding turns free text into places with a confidence.
//!
//! The data is compiled at build time into a blob ([`compile`]) that is read
//! where it lies: opening it costs nothing, and a place is built from it
//! only when asked for.
use serde::Serialize;

use super::geo::LatLon;

pub mod compile;
mod fold;
use compile::{DEGREE_UNITS, HEADER, MAGIC, NONE, RECORD};
pub use fold::fold;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    Airport,
    City,
}

/// One place. Ids are `airport:<IATA>` or `city:<GeoNames id>`.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub struct Place {
    pub id: &'static str,
    pub kind: PlaceKind,
    pub name: &'static str,
    /// The city an airport serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<&'static str>,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    pub country_name: &'static str,
    pub lat: f64,
    pub lon: f64,
    /// IANA time zone.
    pub zone: &'static str,
    /// The city's population (for an airport: the city it serves; 0 if unknown).
    pub population: u64,
    /// IATA code of an airport.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iata: Option<&'static str>,
}

impl Place {
    pub fn position(&self) -> LatLon {
        LatLon { lat: self.lat, lon: self.lon }
    }
}

/// How a search hit matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    Code,
    Exact,
    Prefix,
    Fuzzy,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Hit {
    #[serde(flatten)]
    pub place: Place,
    #[serde(rename = "match")]
    pub kind: MatchKind,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Geocoded {
    #[serde(flatten)]
    pub place: Place,
    /// 0..1: how much of the text the place explains.
    pub confidence: f64,
}

/// The gazetteer: a view of a compiled blob (see [`compile`]).
pub struct Gazetteer {
    strings: &'static [u8],
    records: &'static [u8],
    countries: &'static [u8],
    zones: &'static [u8],
    by_id: &'static [u8],
    keys: &'static [u8],
    len: usize,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

const AIRPORT_WORDS: &[&str] =
    &["airport", "aeroport", "aeropuerto", "aeroporto", "flughafen", "intl", "international", "airfield"];

impl Gazetteer {
    /// Parses the TSV format written by `infra/data/places.py` (tests, benchmarks).
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::from_blob(Box::leak(compile::compile(text)?.into_boxed_slice()))
    }

    /// A view of a compiled blob; checks its sections' bounds once (no parsing).
    pub fn from_blob(blob: &'static [u8]) -> Result<Self, String> {
        if blob.len() < HEADER || &blob[..4] != MAGIC {
            return Err("not a compiled gazetteer".into());
        }
        let count = |i: usize| u32_at(blob, 4 + 4 * i) as usize;
        let (places, countries, keys, zones, strings) = (count(0), count(1), count(2), count(3), count(4));
        let mut at = HEADER;
        let mut take = |n: usize| -> Result<&'static [u8], String> {
            let part = blob.get(at..at + n).ok_or("compiled gazetteer is truncated")?;
            at += n;
            Ok(part)
        };
        let g = Gazetteer {
            strings: take(strings)?,
            records: take(places * RECORD)?,
            countries: take(countries * 8)?,
            zones: take(zones * 4)?,
            by_id: take(places * 4)?,
            keys: take(keys * 8)?,
            len: places,
        };
        Ok(g)
    }

    /// The gazetteer compiled into the binary (shared/build.rs): opened on
    /// first use, at no cost.
    #[cfg(feature = "places")]
    pub fn embedded() -> &'static Gazetteer {
        static BLOB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/places.bin"));
        static G: std::sync::OnceLock<Gazetteer> = std::sync::OnceLock::new();
        G.get_or_init(|| Gazetteer::from_blob(BLOB).expect("the compiled places data opens"))
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The string at offset `o` of the string table ("" if the blob is damaged).
    fn str_at(&self, o: u32) -> &'static str {
        let o = o as usize;
        if o >= self.strings.len() {
            return "";
        }
        let n = self.strings[o] as usize;
        self.strings.get(o + 1..o + 1 + n).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
    }
    fn field(&self, i: usize, k: usize) -> u32 {
        u32_at(self.records, i * RECORD + 4 * k)
    }
    fn id_of(&self, i: usize) -> &'static str {
        self.str_at(self.field(i, 0))
    }
    /// The bytes of the string at `o` (folded strings are ASCII: no check needed).
    fn bytes_at(&self, o: u32) -> &'static [u8] {
        let o = o as usize;
        match self.strings.get(o) {
            Some(&n) => self.strings.get(o + 1..o + 1 + n as usize).unwrap_or_default(),
            None => &[],
        }
    }
    /// Folded name and folded city of place `i` (ASCII).
    fn folded(&self, i: usize) -> (&'static [u8], &'static [u8]) {
        (self.bytes_at(self.field(i, 3)), self.bytes_at(self.field(i, 4)))
    }
    /// The index of the place `id` names.
    fn index_of(&self, id: &str) -> Option<usize> {
        let at = find(self.len, |k| self.id_of(u32_at(self.by_id, k * 4) as usize), id)?;
        Some(u32_at(self.by_id, at * 4) as usize)
    }
    fn population(&self, i: usize) -> u64 {
        u32_at(self.records, i * RECORD + 32) as u64
    }
    fn is_airport(&self, i: usize) -> bool {
        self.records[i * RECORD + 36] == 0
    }
    fn country_idx(&self, i: usize) -> usize {
        u16_at(self.records, i * RECORD + 22) as usize
    }
    fn country_code(&self, c: usize) -> &'static str {
        self.str_at(u32_at(self.countries, c * 8))
    }

    /// Place `i`, built from its record.
    fn place(&self, i: usize) -> Place {
        let r = &self.records[i * RECORD..(i + 1) * RECORD];
        let degrees = |at: usize| u32_at(r, at) as i32 as f64 / DEGREE_UNITS;
        let country = self.country_idx(i);
        let id = self.str_at(u32_at(r, 0));
        let city = u32_at(r, 8);
        Place {
            id,
            kind: if self.is_airport(i) { PlaceKind::Airport } else { PlaceKind::City },
            name: self.str_at(u32_at(r, 4)),
            city: (city != NONE).then(|| self.str_at(city)),
            country: self.country_code(country),
            country_name: self.str_at(u32_at(self.countries, country * 8 + 4)),
            lat: degrees(24),
            lon: degrees(28),
            zone: self.str_at(u32_at(self.zones, u16_at(r, 20) as usize * 4)),
            population: self.population(i),
            iata: id.strip_prefix("airport:"),
        }
    }

    /// The city a position is in, at city precision: the most populous city
    /// within 30 km (so a district gives way to its city), else the nearest
    /// one. Airports are skipped.
    pub fn nearest_city(&self, p: super::geo::LatLon) -> Option<Place> {
        let cities = (0..self.len()).filter(|i| !self.is_airport(*i)).map(|i| self.place(i));
        let with_km: Vec<(f64, Place)> = cities.map(|c| (super::geo::great_circle_km(p, c.position()), c)).collect();
        let near = with_km.iter().filter(|(km, _)| *km <= 30.0).max_by_key(|(_, c)| c.population);
        near.or_else(|| with_km.iter().min_by(|a, b| a.0.total_cmp(&b.0))).map(|(_, c)| *c)
    }

    pub fn get(&self, id: &str) -> Option<Place> {
        self.index_of(id).map(|i| self.place(i))
    }

    /// An ISO 3166 alpha-2 code of a country the gazetteer knows (upper case).
    pub fn has_country(&self, code: &str) -> bool {
        (0..self.countries.len() / 8).any(|c| self.country_code(c) == code)
    }

    /// The country a folded name, code or alias names.
    fn country_named(&self, key: &str) -> Option<usize> {
        let at = find(self.keys.len() / 8, |k| self.str_at(u32_at(self.keys, k * 8)), key)?;
        Some(u32_at(self.keys, at * 8 + 4) as usize)
    }

    /// Prefix and fuzzy search. Ranked by how it matched (IATA code, exact
    /// name, prefix of the name or of one of its words, then fuzzy: at most one
    /// edit for 4–7 characters, two from 8, same first letter, looked for only
    /// when the better matches do not fill `limit`), then by population.
    pub fn search(&self, q: &str, limit: usize) -> Vec<Hit> {
        let q = fold(q);
        if q.is_empty() {
            return Vec::new();
        }
        // An IATA code is looked up, not scanned for.
        let code = (q.len() == 3 && q.chars().all(|c| c.is_ascii_alphabetic()))
            .then(|| self.index_of(&format!("airport:{}", q.to_ascii_uppercase())))
            .flatten();
        let qb = q.as_bytes();
        let max_edits = match q.len() {
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        };
        let mut hits: Vec<(MatchKind, usize)> = Vec::new();
        for i in 0..self.len {
            let (name, city) = self.folded(i);
            let kind = if code == Some(i) {
                Some(MatchKind::Code)
            } else if name == qb {
                Some(MatchKind::Exact)
            } else if starts_word(name, qb) || (!city.is_empty() && starts_word(city, qb)) {
                Some(MatchKind::Prefix)
            } else {
                None
            };
            if let Some(k) = kind {
                hits.push((k, i));
            }
        }
        // Near misses only when the exact and prefix matches do not fill the
        // page, and only among names whose first letter agrees (typos rarely
        // hit the first letter; this skips most of the scan).
        if hits.len() < limit && max_edits > 0 {
            let first = q.as_bytes()[0];
            for i in 0..self.len {
                let (name, city) = self.folded(i);
                let candidate = |t: &[u8]| {
                    t.first() == Some(&first) && within_edits(std::str::from_utf8(t).unwrap_or_default(), &q, max_edits)
                };
                if (candidate(name) || candidate(city)) && !hits.iter().any(|h| h.1 == i) {
                    hits.push((MatchKind::Fuzzy, i));
                }
            }
        }
        hits.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(self.population(b.1).cmp(&self.population(a.1)))
                .then((!self.is_airport(b.1)).cmp(&!self.is_airport(a.1)))
                .then(self.id_of(a.1).cmp(self.id_of(b.1)))
        });
        hits.into_iter().take(limit).map(|(kind, i)| Hit { place: self.place(i), kind }).collect()
    }

    /// Free text ("Zürich airport", "paris, france", "JFK") → best places with a
    /// confidence: the Jaro–Winkler similarity of the remaining text to the name
    /// (or served city), 1.0 for an IATA code; a named country filters, an
    /// airport word prefers airports, and size breaks near-ties (+0.02 at most).
    pub fn geocode(&self, text: &str, limit: usize) -> Vec<Geocoded> {
        let folded = fold(text);
        let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        let wants_airport = words.iter().any(|w| AIRPORT_WORDS.contains(w));
        words.retain(|w| !AIRPORT_WORDS.contains(w));
        // A trailing country name (one to three words) narrows the search.
        let mut country = None;
        for n in (1..=3.min(words.len().saturating_sub(1))).rev() {
            let tail = words[words.len() - n..].join(" ");
            if let Some(c) = self.country_named(&tail) {
                country = Some(c);
                words.truncate(words.len() - n);
                break;
            }
        }
        let rest = words.join(" ");
        if rest.is_empty() {
            return Vec::new();
        }
        let code = (rest.len() == 3 && rest.chars().all(|c| c.is_ascii_alphabetic()))
            .then(|| self.index_of(&format!("airport:{}", rest.to_ascii_uppercase())))
            .flatten();
        let n_words = words.len();
        let first = rest.as_bytes()[0];
        // Only a name with a word starting like the text can be similar
        // enough (window_similarity is 0 otherwise): a byte test first.
        let similarity = |t: &[u8]| {
            if has_word_starting(t, first) {
                window_similarity(&rest, n_words, std::str::from_utf8(t).unwrap_or_default())
            } else {
                0.0
            }
        };
        let mut scored: Vec<(f64, usize)> = Vec::new();
        for i in 0..self.len {
            if country.is_some_and(|c| c != self.country_idx(i)) {
                continue;
            }
            let (name, city) = self.folded(i);
            let mut s = if code == Some(i) {
                1.0
            } else {
                let by_name = similarity(name);
                let by_city = if city.is_empty() { 0.0 } else { similarity(city) - 0.03 };
                by_name.max(by_city)
            };
            // An exact IATA code means that airport, "airport" said or not.
            if wants_airport != self.is_airport(i) && code != Some(i) {
                s -= 0.1;
            }
            s += 0.02 * ((self.population(i) as f64 + 1.0).log10() / 8.0).min(1.0);
            if s >= 0.75 {
                scored.push((s.min(1.0), i));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(self.population(b.1).cmp(&self.population(a.1))));
        scored
            .into_iter()
            .take(limit)
            .map(|(s, i)| Geocoded { place: self.place(i), confidence: (s * 100.0).round() / 100.0 })
            .collect()
    }
}

/// The best Jaro–Winkler similarity of `text` (`n` words) to any run of `n`
/// consecutive words of `name` (airport words left out), less 0.04 per word
/// of the name the run leaves out: "heathrow" ≈ "London Heathrow Airport".
fn window_similarity(text: &str, n: usize, name: &str) -> f64 {
    let first = text.as_bytes()[0];
    let words: Vec<&str> = name.split(' ').filter(|w| !AIRPORT_WORDS.contains(w)).collect();
    if words.is_empty() || !words.iter().any(|w| w.as_bytes().first() == Some(&first)) {
        return 0.0;
    }
    let n = n.min(words.len());
    let missing = (words.len() - n) as f64;
    let mut best: f64 = 0.0;
    for w in words.windows(n) {
        if w[0].as_bytes()[0] != first {
            continue;
        }
        best = best.max(strsim::jaro_winkler(text, &w.join(" ")));
    }
    best - 0.04 * missing
}

/// `text` starts with `q`, or one of its words does.
fn starts_word(text: &[u8], q: &[u8]) -> bool {
    text.starts_with(q) || text.iter().enumerate().any(|(i, &c)| c == b' ' && text[i + 1..].starts_with(q))
}

/// Where `target` is among `n` keys in ascending order (`key(k)` is the k-th).
fn find(n: usize, key: impl Fn(usize) -> &'static str, target: &str) -> Option<usize> {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match key(mid).cmp(target) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// One of the words of `text` starts with `first`.
fn has_word_starting(text: &[u8], first: u8) -> bool {
    text.first() == Some(&first) || text.windows(2).any(|w| w[0] == b' ' && w[1] == first)
}

/// The start of `text` (as long as `q`, give or take the allowed edits) is
/// within `max` edits of `q`.
fn within_edits(text: &str, q: &str, max: usize) -> bool {
    if text.len() + max < q.len() {
        return false;
    }
    let mut best = usize::MAX;
    for len in q.len().saturating_sub(max)..=(q.len() + max).min(text.len()) {
        if !text.is_char_boundary(len) {
            continue;
        }
        best = best.min(strsim::levenshtein(&text[..len], q));
        if best <= max {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = "# test\nC\tCH\tSwitzerland\nC\tFR\tFrance\nC\tUS\tUnited States\n\
P\tairport:ZRH\tairport\tZurich Airport\tZurich\tCH\t47.46470\t8.54917\tEurope/Zurich\t415367\n\
P\tcity:2657896\tcity\tZürich\t\tCH\t47.36667\t8.55000\tEurope/Zurich\t415367\n\
P\tcity:2988507\tcity\tParis\t\tFR\t48.85341\t2.34880\tEurope/Paris\t2138551\n\
P\tcity:4717560\tcity\tParis\t\tUS\t33.66094\t-95.55551\tAmerica/Chicago\t24782\n\
P\tcity:3014728\tcity\tGrenoble\t\tFR\t45.16667\t5.71667\tEurope/Paris\t158552\n\
P\tairport:CDG\tairport\tCharles de Gaulle International Airport\tParis\tFR\t49.01280\t2.55000\tEurope/Paris\t2138551\n";

    fn g() -> Gazetteer {
        Gazetteer::parse(DATA).unwrap()
    }

    #[test]
    fn an_iata_code_means_its_airport_before_any_similar_name() {
        let g = Gazetteer::parse(
            "C\tGB\tUnited Kingdom\nC\tDE\tGermany\n\
             P\tairport:LHR\tairport\tLondon Heathrow Airport\tLondon\tGB\t51.4706\t-0.46194\tEurope/London\t8961989\n\
             P\tcity:2880498\tcity\tLahr\t\tDE\t48.34042\t7.86886\tEurope/Berlin\t43831\n",
        )
        .unwrap();
        let hits = g.geocode("LHR", 5);
        assert_eq!(hits[0].place.id, "airport:LHR", "{hits:?}");
        assert_eq!(hits[0].confidence, 1.0);
        assert_eq!(g.geocode("Lahr", 5)[0].place.id, "city:2880498");
    }

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(fold("  Zürich-Flughafen!"), "zurich flughafen");
        assert_eq!(fold("SÃO  Paulo"), "sao paulo");
    }

    #[test]
    fn search_is_accent_insensitive_prefix_and_ranked_by_size() {
        let g = g();
        let hits = g.search("zur", 10);
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.kind == MatchKind::Prefix));
        let paris = g.search("PARIS", 10);
        assert_eq!(paris[0].place.id, "city:2988507", "the bigger Paris first");
        assert_eq!(paris[0].kind, MatchKind::Exact);
        assert!(paris.iter().any(|h| h.place.id == "city:4717560"));
    }

    #[test]
    fn search_finds_codes_and_typos() {
        let g = g();
        assert_eq!(g.search("cdg", 5)[0].place.id, "airport:CDG");
        assert_eq!(g.search("cdg", 5)[0].kind, MatchKind::Code);
        let typo = g.search("grenobel", 5);
        assert_eq!(typo[0].place.id, "city:3014728");
        assert_eq!(typo[0].kind, MatchKind::Fuzzy);
        assert!(g.search("xq", 5).is_empty());
    }

    #[test]
    fn geocode_uses_country_and_airport_words() {
        let g = g();
        let r = g.geocode("Paris, United States", 5);
        assert_eq!(r[0].place.id, "city:4717560");
        assert!(r.iter().all(|m| m.place.country == "US"));
        let r = g.geocode("paris airport", 5);
        assert_eq!(r[0].place.id, "airport:CDG");
        let r = g.geocode("Zurich", 5);
        assert_eq!(r[0].place.id, "city:2657896");
        assert!(r[0].confidence > 0.95 && r[0].confidence <= 1.0);
        assert!(g.geocode("qqqqqq", 5).is_empty());
    }

    #[test]
    fn malformed_data_is_an_error() {
        assert!(Gazetteer::parse("P\tx\tboat\tn\t\tCH\t1\t2\tUTC\t0\n").is_err());
        assert!(Gazetteer::parse("P\tx\tcity\tn\t\tCH\tnot-a-number\t2\tUTC\t0\n").is_err());
    }

    #[cfg(feature = "places")]
    #[test]
    fn embedded_data_has_airports_and_cities() {
        let g = Gazetteer::embedded();
        assert!(g.len() > 40_000);
        let jfk = g.get("airport:JFK").unwrap();
        assert_eq!(jfk.zone, "America/New_York");
        assert_eq!(g.search("zurich", 3)[0].place.country, "CH");
        assert_eq!(g.search("new york", 1)[0].place.name, "New York City");
    }

    #[cfg(feature = "places")]
    #[test]
    fn a_position_is_shown_as_its_city() {
        let g = Gazetteer::embedded();
        let at = |lat, lon| g.nearest_city(crate::domain::geo::LatLon { lat, lon }).unwrap().name;
        assert_eq!(at(45.767, 4.834), "Lyon", "a district gives way to its city");
        assert_eq!(at(47.3769, 8.5417), "Zürich");
        assert_eq!(at(40.7128, -74.006), "New York City");
    }
}
