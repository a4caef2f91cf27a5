//! Gazetteer benchmark: compiling the data (done once, at build time),
//! opening the compiled blob (a cold start's cost) and per-query latency of search and geocode over 1,000 seeded queries
//! (prefixes of real names, some with a typo).
//!
//! Then the search Lambda's whole computation (`domain::search::run`: filter
//! the legs for the parcel, build and sort the network, plan, rank, render
//! JSON) over 20,000 projection legs (two days at the read cap) between the
//! 2,000 largest cities, 1,000 queries between cities two neighbours apart
//! (up to 600 km).
//!
//!   cargo bench -p handoff --features places --bench places
use handoff::domain::places::Gazetteer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant as Clock;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let text: &'static str = include_str!("../data/places.tsv");
    let mut compile = Vec::new();
    for _ in 0..10 {
        let t = Clock::now();
        let blob = handoff::domain::places::compile::compile(text).unwrap();
        compile.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(blob.len() > 1_000_000);
    }
    let blob: &'static [u8] = Box::leak(handoff::domain::places::compile::compile(text).unwrap().into_boxed_slice());
    let mut open = Vec::new();
    for _ in 0..1000 {
        let t = Clock::now();
        let g = Gazetteer::from_blob(blob).unwrap();
        open.push(t.elapsed().as_secs_f64() * 1_000_000.0);
        assert!(g.len() > 40_000);
    }
    println!(
        "compile {} places ({} bytes, at build time): median {:.1} ms; open the compiled blob: median {:.2} µs",
        Gazetteer::from_blob(blob).unwrap().len(),
        blob.len(),
        pct(&mut compile, 0.5),
        pct(&mut open, 0.5)
    );
    let g = Gazetteer::embedded();
    let names: Vec<&str> =
        text.lines().filter(|l| l.starts_with("P\t")).map(|l| l.split('\t').nth(3).unwrap()).collect();
    let mut rng = StdRng::seed_from_u64(1);
    let queries: Vec<String> = (0..1000)
        .map(|i| {
            let n: Vec<char> = names[rng.gen_range(0..names.len())].chars().collect();
            let len = rng.gen_range(3..=n.len().clamp(3, 10)).min(n.len());
            let mut q: Vec<char> = n[..len].to_vec();
            if i % 3 == 0 && q.len() >= 5 {
                q.swap(2, 3); // a typo
            }
            q.into_iter().collect()
        })
        .collect();
    let (mut search, mut geocode) = (Vec::new(), Vec::new());
    let mut hits = 0;
    for q in &queries {
        let t = Clock::now();
        hits += usize::from(!g.search(q, 10).is_empty());
        search.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Clock::now();
        let _ = g.geocode(q, 5);
        geocode.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "search  p50 {:.2} ms  p99 {:.2} ms  (answered {hits}/1000)",
        pct(&mut search, 0.5),
        pct(&mut search, 0.99)
    );
    println!("geocode p50 {:.2} ms  p99 {:.2} ms", pct(&mut geocode, 0.5), pct(&mut geocode, 0.99));
    search_run(g, text);
}

fn search_run(g: &Gazetteer, text: &'static str) {
    use handoff::domain::geo::great_circle_km;
    use handoff::domain::money::Currency;
    use handoff::domain::planner::Sort;
    use handoff::domain::search::{run, search_legs, Parcel, RouteSearch};
    use handoff::domain::trips::{Category, Constraints, Dimensions, Instant, Leg, Mode};
    let mut cities: Vec<(&str, u64)> = text
        .lines()
        .filter(|l| l.starts_with("P\tcity:"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[1], f[9].parse().unwrap_or(0))
        })
        .collect();
    cities.sort_by_key(|c| std::cmp::Reverse(c.1));
    let ids: Vec<&str> = cities.iter().take(2000).map(|c| c.0).collect();
    let pos = |id: &str| g.get(id).unwrap().position();
    let near: Vec<Vec<usize>> = (0..ids.len())
        .map(|i| (0..ids.len()).filter(|&j| j != i && great_circle_km(pos(ids[i]), pos(ids[j])) < 300.0).collect())
        .collect();
    let mut rng = StdRng::seed_from_u64(3);
    let t0 = 1_900_000_000 / 86_400 * 86_400;
    let eur = Currency::parse("EUR").unwrap();
    let mut legs = Vec::new();
    let mut trip = 0;
    while legs.len() < 20_000 {
        let mut at = rng.gen_range(0..ids.len());
        if near[at].is_empty() {
            continue;
        }
        let mut t = t0 + rng.gen_range(0..2 * 86_400);
        let mut trip_legs = Vec::new();
        for n in 1..=rng.gen_range(1..=3u32) {
            if near[at].is_empty() {
                break;
            }
            let to = near[at][rng.gen_range(0..near[at].len())];
            let km = great_circle_km(pos(ids[at]), pos(ids[to]));
            let arr = t + 1800 + (km / 90.0 * 3600.0) as i64;
            trip_legs.push(Leg {
                leg_no: n,
                origin: ids[at].into(),
                destination: ids[to].into(),
                depart_at: Instant(t),
                arrive_at: Instant(arr),
                distance_km: km,
                carrier: None,
                flight_number: None,
                vehicle_id: None,
            });
            at = to;
            t = arr + rng.gen_range(600..3600);
        }
        let c = Constraints {
            max_weight_grams: rng.gen_range(1000..20_000),
            max_dimensions_cm: Dimensions { length_cm: 60, width_cm: 40, height_cm: 40 },
            categories: [Category::Documents, Category::Clothing, Category::Gifts].into(),
            capacity_grams: 20_000,
            price_per_kg: rng.gen_range(200..3000),
            min_price: rng.gen_range(300..3000),
            currency: eur.clone(),
        };
        legs.extend(search_legs(&format!("trip-{trip}"), "traveler", 1, Mode::Car, &trip_legs, &c));
        trip += 1;
    }
    let mut times = Vec::new();
    let mut answered = 0;
    for _ in 0..1000 {
        // Two hops between neighbours (each under 300 km) away.
        let mut o = rng.gen_range(0..ids.len());
        while near[o].is_empty() {
            o = rng.gen_range(0..ids.len());
        }
        let mid = near[o][rng.gen_range(0..near[o].len())];
        let d = near[mid].iter().copied().find(|&x| x != o).unwrap_or(mid);
        let s = RouteSearch {
            from: ids[o].into(),
            to: ids[d].into(),
            depart_after: t0,
            arrive_before: t0 + 2 * 86_400,
            parcel: Parcel {
                weight_grams: 1500,
                dimensions: None,
                category: Category::Documents,
                currency: eur.clone(),
            },
            sort: Sort::Best,
            buffer_seconds: 7200,
        };
        let t = Clock::now();
        let r = run(&s, &legs, &[], g, t0).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        answered += usize::from(!r.is_empty());
    }
    println!(
        "search::run over {} legs ({trip} trips), best: p50 {:.2} ms  p99 {:.2} ms  (answered {answered}/1000)",
        legs.len(),
        pct(&mut times, 0.5),
        pct(&mut times, 0.99)
    );
}
