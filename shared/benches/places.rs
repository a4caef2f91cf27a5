//! Gazetteer benchmark: parsing the compiled-in data (a cold start's cost)
//! and per-query latency of search and geocode over 1,000 seeded queries
//! (prefixes of real names, some with a typo).
//!
//!   cargo bench -p handoff --features places --bench places
use handoff::domain::places::Gazetteer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let text: &'static str = include_str!("../data/places.tsv");
    let mut parse = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let g = Gazetteer::parse(text).unwrap();
        parse.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(g.len() > 40_000);
    }
    println!("parse {} places: median {:.1} ms", Gazetteer::parse(text).unwrap().len(), pct(&mut parse, 0.5));
    let g = Gazetteer::parse(text).unwrap();
    let names: Vec<&str> = text.lines().filter(|l| l.starts_with("P\t")).map(|l| l.split('\t').nth(3).unwrap()).collect();
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
        let t = Instant::now();
        hits += usize::from(!g.search(q, 10).is_empty());
        search.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let _ = g.geocode(q, 5);
        geocode.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("search  p50 {:.2} ms  p99 {:.2} ms  (answered {hits}/1000)", pct(&mut search, 0.5), pct(&mut search, 0.99));
    println!("geocode p50 {:.2} ms  p99 {:.2} ms", pct(&mut geocode, 0.5), pct(&mut geocode, 0.99));
}
