//! The gazetteer: airports and cities from public data (`shared/data/places.tsv`,
//! built by `infra/data/places.sh`; sources and licences in `docs/places.md`).
//! Search is prefix and fuzzy, accent- and case-insensitive, ranked by size;
//! geocoding turns free text into places with a confidence.
use serde::Serialize;
use std::collections::HashMap;

use super::geo::LatLon;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    Airport,
    City,
}

/// One place. Ids are `airport:<IATA>` or `city:<GeoNames id>`.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    Code,
    Exact,
    Prefix,
    Fuzzy,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit<'a> {
    #[serde(flatten)]
    pub place: &'a Place,
    #[serde(rename = "match")]
    pub kind: MatchKind,
}

#[derive(Debug, Clone, Serialize)]
pub struct Geocoded<'a> {
    #[serde(flatten)]
    pub place: &'a Place,
    /// 0..1: how much of the text the place explains.
    pub confidence: f64,
}

pub struct Gazetteer {
    places: Vec<Place>,
    /// Folded name (and for airports, folded city) of each place.
    folded: Vec<(String, String)>,
    by_id: HashMap<&'static str, usize>,
    /// Folded country names and codes → ISO code.
    countries: HashMap<String, &'static str>,
}

/// Lower-case ASCII with accents removed, every run of non-alphanumerics one space.
pub fn fold(s: &str) -> String {
    let ascii;
    let s = if s.is_ascii() {
        s
    } else {
        ascii = deunicode::deunicode(s);
        &ascii
    };
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

const AIRPORT_WORDS: &[&str] =
    &["airport", "aeroport", "aeropuerto", "aeroporto", "flughafen", "intl", "international", "airfield"];

impl Gazetteer {
    /// Parses the TSV format written by `infra/data/places.py`.
    pub fn parse(text: &'static str) -> Result<Self, String> {
        let mut country_names: HashMap<&'static str, &'static str> = HashMap::new();
        let mut places = Vec::with_capacity(43_000);
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&'static str> = line.split('\t').collect();
            let bad = || format!("places data line {}: malformed", n + 1);
            match f[0] {
                "C" if f.len() == 3 => {
                    country_names.insert(f[1], f[2]);
                }
                "P" if f.len() == 10 => {
                    let kind = match f[2] {
                        "airport" => PlaceKind::Airport,
                        "city" => PlaceKind::City,
                        _ => return Err(bad()),
                    };
                    places.push(Place {
                        id: f[1],
                        kind,
                        name: f[3],
                        city: (!f[4].is_empty()).then_some(f[4]),
                        country: f[5],
                        country_name: country_names.get(f[5]).copied().unwrap_or(""),
                        lat: f[6].parse().map_err(|_| bad())?,
                        lon: f[7].parse().map_err(|_| bad())?,
                        zone: f[8],
                        population: f[9].parse().map_err(|_| bad())?,
                        iata: f[1].strip_prefix("airport:"),
                    });
                }
                _ => return Err(bad()),
            }
        }
        let folded = places.iter().map(|p| (fold(p.name), p.city.map(fold).unwrap_or_default())).collect();
        let by_id = places.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        let mut countries = HashMap::new();
        for (code, name) in &country_names {
            countries.insert(fold(name), *code);
            countries.insert(code.to_ascii_lowercase(), *code);
        }
        for (alias, code) in [("usa", "US"), ("united states of america", "US"), ("uk", "GB"), ("england", "GB")] {
            countries.insert(alias.to_string(), code);
        }
        Ok(Self { places, folded, by_id, countries })
    }

    /// The gazetteer compiled into the binary, parsed once per process.
    #[cfg(feature = "places")]
    pub fn embedded() -> &'static Gazetteer {
        static G: std::sync::OnceLock<Gazetteer> = std::sync::OnceLock::new();
        G.get_or_init(|| {
            Gazetteer::parse(include_str!("../../data/places.tsv")).expect("the embedded places data parses")
        })
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Place> {
        self.by_id.get(id).map(|&i| &self.places[i])
    }

    /// Prefix and fuzzy search. Ranked by how it matched (IATA code, exact
    /// name, prefix of the name or of one of its words, then fuzzy: at most one
    /// edit for 4–7 characters, two from 8, same first letter, looked for only
    /// when the better matches do not fill `limit`), then by population.
    pub fn search(&self, q: &str, limit: usize) -> Vec<Hit<'_>> {
        let q = fold(q);
        if q.is_empty() {
            return Vec::new();
        }
        let code = (q.len() == 3 && q.chars().all(|c| c.is_ascii_alphabetic())).then(|| q.to_ascii_uppercase());
        let max_edits = match q.len() {
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        };
        let mut hits: Vec<(MatchKind, usize)> = Vec::new();
        for (i, (name, city)) in self.folded.iter().enumerate() {
            let p = &self.places[i];
            let kind = if code.as_deref().is_some_and(|c| p.iata == Some(c)) {
                Some(MatchKind::Code)
            } else if *name == q {
                Some(MatchKind::Exact)
            } else if starts_word(name, &q) || (!city.is_empty() && starts_word(city, &q)) {
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
            for (i, (name, city)) in self.folded.iter().enumerate() {
                let candidate = |t: &str| !t.is_empty() && t.as_bytes()[0] == first && within_edits(t, &q, max_edits);
                if (candidate(name) || candidate(city)) && !hits.iter().any(|h| h.1 == i) {
                    hits.push((MatchKind::Fuzzy, i));
                }
            }
        }
        hits.sort_by(|a, b| {
            let (pa, pb) = (&self.places[a.1], &self.places[b.1]);
            a.0.cmp(&b.0)
                .then(pb.population.cmp(&pa.population))
                .then((pb.kind == PlaceKind::City).cmp(&(pa.kind == PlaceKind::City)))
                .then(pa.id.cmp(pb.id))
        });
        hits.into_iter().take(limit).map(|(kind, i)| Hit { place: &self.places[i], kind }).collect()
    }

    /// Free text ("Zürich airport", "paris, france", "JFK") → best places with a
    /// confidence: the Jaro–Winkler similarity of the remaining text to the name
    /// (or served city), 1.0 for an IATA code; a named country filters, an
    /// airport word prefers airports, and size breaks near-ties (+0.02 at most).
    pub fn geocode(&self, text: &str, limit: usize) -> Vec<Geocoded<'_>> {
        let folded = fold(text);
        let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        let wants_airport = words.iter().any(|w| AIRPORT_WORDS.contains(w));
        words.retain(|w| !AIRPORT_WORDS.contains(w));
        // A trailing country name (one to three words) narrows the search.
        let mut country = None;
        for n in (1..=3.min(words.len().saturating_sub(1))).rev() {
            let tail = words[words.len() - n..].join(" ");
            if let Some(c) = self.countries.get(&tail) {
                country = Some(*c);
                words.truncate(words.len() - n);
                break;
            }
        }
        let rest = words.join(" ");
        if rest.is_empty() {
            return Vec::new();
        }
        let code =
            (rest.len() == 3 && rest.chars().all(|c| c.is_ascii_alphabetic())).then(|| rest.to_ascii_uppercase());
        let n_words = words.len();
        let mut scored: Vec<(f64, usize)> = Vec::new();
        for (i, (name, city)) in self.folded.iter().enumerate() {
            let p = &self.places[i];
            if country.is_some_and(|c| c != p.country) {
                continue;
            }
            let mut s = if code.as_deref().is_some_and(|c| p.iata == Some(c)) {
                1.0
            } else {
                let by_name = window_similarity(&rest, n_words, name);
                let by_city = if city.is_empty() { 0.0 } else { window_similarity(&rest, n_words, city) - 0.03 };
                by_name.max(by_city)
            };
            if wants_airport != (p.kind == PlaceKind::Airport) {
                s -= 0.1;
            }
            s += 0.02 * ((p.population as f64 + 1.0).log10() / 8.0).min(1.0);
            if s >= 0.75 {
                scored.push((s.min(1.0), i));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(self.places[b.1].population.cmp(&self.places[a.1].population)));
        scored
            .into_iter()
            .take(limit)
            .map(|(s, i)| Geocoded { place: &self.places[i], confidence: (s * 100.0).round() / 100.0 })
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
fn starts_word(text: &str, q: &str) -> bool {
    text.starts_with(q) || text.match_indices(' ').any(|(i, _)| text[i + 1..].starts_with(q))
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
}
