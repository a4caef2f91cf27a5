//! Route planner benchmark (a plain timing harness: per-query percentiles
//! need every sample, which criterion does not report).
//!
//!   cargo bench -p handoff --bench planner -- gtfs <path to feed.zip> <YYYYMMDD>
//!   cargo bench -p handoff --bench planner -- synthetic <legs> [places]
//!
//! `infra/bench/planner.sh` runs every case, each in its own process so the
//! peak memory (VmHWM) is that case's.
//!
//! GTFS: a benchmark-only reader. Each GTFS trip running on the given day
//! becomes a published trip whose legs are its consecutive stops. Prices:
//! BART's fares (fare_rules origin→destination zone, per leg); feeds without
//! fares pay 10 cents per km. 1,000 seeded random queries between stops,
//! departing 05:00–20:00, arriving within 6 h, handoff buffer 10 minutes.
//!
//! Synthetic: places at random on a 1,000 × 1,000 km square; trips of 1–4
//! legs, each to one of the 30 nearest places, over three days at 60–800
//! km/h; prices per trip by weight (1.5 kg), split by distance; queries to a
//! place within 300 km, over a 48 h window, buffer 2 h.
use handoff::domain::planner::{sort, Connection, Network, Planner, Query, Sort};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::time::Instant;

const QUERIES: usize = 1000;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Runs the queries for each sort; prints p50/p99 (ms) and result counts.
fn measure(name: &str, net: &Network, queries: &[Query], fare: &dyn Fn(&Connection) -> Option<i64>) {
    let mut planner = Planner::new(net);
    for (label, s) in [("quickest", Sort::Quickest), ("cheapest", Sort::Cheapest), ("best", Sort::Best)] {
        let mut times = Vec::with_capacity(queries.len());
        let mut found = 0usize;
        let mut answered = 0usize;
        for q in queries {
            let t = Instant::now();
            let mut r = planner.plan(q, fare);
            sort(&mut r, s);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            found += r.len();
            answered += usize::from(!r.is_empty());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<28} {label:<9} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  answered {answered}/{}  itineraries/query {:.2}",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times[times.len() - 1],
            queries.len(),
            found as f64 / queries.len() as f64
        );
    }
}

fn read_csv(dir: &std::path::Path, file: &str) -> Vec<HashMap<String, String>> {
    let Ok(text) = std::fs::read_to_string(dir.join(file)) else { return Vec::new() };
    let mut lines = text.lines();
    let header: Vec<String> =
        lines.next().unwrap_or("").trim_start_matches('\u{feff}').split(',').map(|h| h.trim().to_string()).collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            // GTFS fields here have no quoted commas except headsigns, which we do not read.
            header.iter().cloned().zip(l.split(',').map(|v| v.trim().trim_matches('"').to_string())).collect()
        })
        .collect()
}

fn seconds(hms: &str) -> Option<i64> {
    let mut p = hms.split(':').map(|x| x.parse::<i64>().ok());
    Some(p.next()?? * 3600 + p.next()?? * 60 + p.next()??)
}

fn gtfs(zip: &str, date: &str) {
    let dir = std::env::temp_dir().join(format!("handoff-gtfs-{}", std::process::id()));
    let ok = std::process::Command::new("python3")
        .args(["-m", "zipfile", "-e", zip])
        .arg(&dir)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "could not unzip {zip} with python3 -m zipfile");
    let t0 = Instant::now();
    let stops = read_csv(&dir, "stops.txt");
    let stop_index: HashMap<String, u32> =
        stops.iter().enumerate().map(|(i, s)| (s["stop_id"].clone(), i as u32)).collect();
    let pos: Vec<(f64, f64)> =
        stops.iter().map(|s| (s["stop_lat"].parse().unwrap_or(0.0), s["stop_lon"].parse().unwrap_or(0.0))).collect();
    let zone: Vec<String> = stops.iter().map(|s| s.get("zone_id").cloned().unwrap_or_default()).collect();
    // Services running on `date`: calendar.txt by weekday and range, then calendar_dates exceptions.
    let weekday = {
        let (y, m, d) =
            (date[..4].parse::<i32>().unwrap(), date[4..6].parse::<u8>().unwrap(), date[6..].parse::<u8>().unwrap());
        time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d)
            .unwrap()
            .weekday()
            .to_string()
            .to_lowercase()
    };
    let mut services: std::collections::HashSet<String> = read_csv(&dir, "calendar.txt")
        .into_iter()
        .filter(|c| {
            c.get(&weekday).map(String::as_str) == Some("1")
                && c["start_date"].as_str() <= date
                && date <= c["end_date"].as_str()
        })
        .map(|c| c["service_id"].clone())
        .collect();
    for e in read_csv(&dir, "calendar_dates.txt").into_iter().filter(|e| e["date"] == date) {
        if e["exception_type"] == "1" {
            services.insert(e["service_id"].clone());
        } else {
            services.remove(&e["service_id"]);
        }
    }
    let trips: HashMap<String, u32> = read_csv(&dir, "trips.txt")
        .into_iter()
        .filter(|t| services.contains(&t["service_id"]))
        .enumerate()
        .map(|(i, t)| (t["trip_id"].clone(), i as u32))
        .collect();
    let mut by_trip: HashMap<u32, Vec<(u32, i64, i64, u32)>> = HashMap::new();
    for st in read_csv(&dir, "stop_times.txt") {
        let Some(&trip) = trips.get(&st["trip_id"]) else { continue };
        let (Some(arr), Some(dep)) = (seconds(&st["arrival_time"]), seconds(&st["departure_time"])) else { continue };
        by_trip.entry(trip).or_default().push((
            st["stop_sequence"].parse().unwrap_or(0),
            arr,
            dep,
            stop_index[&st["stop_id"]],
        ));
    }
    let fares: HashMap<String, i64> = read_csv(&dir, "fare_attributes.txt")
        .into_iter()
        .map(|f| (f["fare_id"].clone(), (f["price"].parse::<f64>().unwrap_or(0.0) * 100.0).round() as i64))
        .collect();
    let od: HashMap<(String, String), i64> = read_csv(&dir, "fare_rules.txt")
        .into_iter()
        .filter_map(|r| Some(((r["origin_id"].clone(), r["destination_id"].clone()), *fares.get(&r["fare_id"])?)))
        .collect();
    let mut conns = Vec::new();
    let mut prices = Vec::new();
    for (trip, mut st) in by_trip {
        st.sort_by_key(|s| s.0);
        for w in st.windows(2) {
            let (a, b) = (w[0].3, w[1].3);
            let price = od.get(&(zone[a as usize].clone(), zone[b as usize].clone())).copied().unwrap_or_else(|| {
                let km = handoff::domain::geo::great_circle_km(
                    handoff::domain::geo::LatLon { lat: pos[a as usize].0, lon: pos[a as usize].1 },
                    handoff::domain::geo::LatLon { lat: pos[b as usize].0, lon: pos[b as usize].1 },
                );
                (km * 10.0).round() as i64
            });
            conns.push(Connection { from: a, to: b, dep: w[0].2, arr: w[1].1, trip, id: prices.len() as u32 });
            prices.push(price);
        }
    }
    let n_conns = conns.len();
    let net = Network::new(conns, stops.len());
    let build = t0.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{zip}: {date} ({weekday}): {} stops, {} trips, {n_conns} legs, fares for {} stop pairs; read + built in {:.0} ms",
        stops.len(),
        net.n_trips(),
        od.len(),
        build.as_secs_f64() * 1000.0
    );
    let mut rng = StdRng::seed_from_u64(42);
    let used: Vec<u32> = {
        let mut s: Vec<u32> = net.connections().iter().flat_map(|c| [c.from, c.to]).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let queries: Vec<Query> = (0..QUERIES)
        .map(|_| {
            let o = used[rng.gen_range(0..used.len())];
            let mut d = o;
            while d == o {
                d = used[rng.gen_range(0..used.len())];
            }
            let dep = rng.gen_range(5 * 3600..20 * 3600);
            Query {
                origin: o,
                destination: d,
                depart_after: dep,
                arrive_before: dep + 6 * 3600,
                buffer: 600,
                max_trips: 3,
                first_mile: vec![],
                last_mile: vec![],
            }
        })
        .collect();
    let name = std::path::Path::new(zip).file_stem().unwrap().to_string_lossy().to_string();
    measure(&name, &net, &queries, &|c: &Connection| Some(prices[c.id as usize]));
    println!("peak memory {:.0} MiB", peak_rss_mib());
}

fn synthetic(legs: usize, places: usize) {
    let mut rng = StdRng::seed_from_u64(7);
    let t0 = Instant::now();
    let pos: Vec<(f64, f64)> = (0..places).map(|_| (rng.gen_range(0.0..1000.0), rng.gen_range(0.0..1000.0))).collect();
    // Each place's 30 nearest neighbours: trips hop between nearby places.
    let grid = 20usize;
    let mut cells: Vec<Vec<u32>> = vec![Vec::new(); grid * grid];
    let cell = |p: (f64, f64)| {
        ((p.0 / 1000.0 * grid as f64) as usize).min(grid - 1) * grid
            + ((p.1 / 1000.0 * grid as f64) as usize).min(grid - 1)
    };
    for (i, p) in pos.iter().enumerate() {
        cells[cell(*p)].push(i as u32);
    }
    let dist = |a: u32, b: u32| {
        ((pos[a as usize].0 - pos[b as usize].0).powi(2) + (pos[a as usize].1 - pos[b as usize].1).powi(2)).sqrt()
    };
    let near: Vec<Vec<u32>> = (0..places as u32)
        .map(|i| {
            let (cx, cy) = (cell(pos[i as usize]) / grid, cell(pos[i as usize]) % grid);
            let mut cand = Vec::new();
            for x in cx.saturating_sub(2)..=(cx + 2).min(grid - 1) {
                for y in cy.saturating_sub(2)..=(cy + 2).min(grid - 1) {
                    cand.extend(cells[x * grid + y].iter().copied().filter(|&j| j != i));
                }
            }
            cand.sort_by(|&a, &b| dist(i, a).total_cmp(&dist(i, b)));
            cand.truncate(30);
            cand
        })
        .collect();
    let mut conns = Vec::with_capacity(legs);
    // Per leg: its trip's (price per kg, minimum) and its distance share range.
    let mut pricing: Vec<(i64, i64, f64, f64)> = Vec::with_capacity(legs);
    let mut trip = 0u32;
    while conns.len() < legs {
        let n = rng.gen_range(1..=4usize).min(legs - conns.len());
        let speed = [60.0, 90.0, 250.0, 800.0][rng.gen_range(0..4)];
        let mut at = rng.gen_range(0..places as u32);
        let mut t = rng.gen_range(0..3 * 86_400i64);
        let mut hops = Vec::new();
        for _ in 0..n {
            let to = near[at as usize][rng.gen_range(0..near[at as usize].len())];
            let km = dist(at, to);
            let arr = t + 600 + (km / speed * 3600.0) as i64;
            hops.push((at, to, t, arr, km));
            at = to;
            t = arr + rng.gen_range(600..7200);
        }
        let total: f64 = hops.iter().map(|h| h.4).sum();
        let (per_kg, min) = (rng.gen_range(200..3000), rng.gen_range(300..3000));
        let mut before = 0.0;
        for (a, b, dep, arr, km) in hops {
            conns.push(Connection { from: a, to: b, dep, arr, trip, id: pricing.len() as u32 });
            pricing.push((per_kg, min, before / total, (before + km) / total));
            before += km;
        }
        trip += 1;
    }
    let net = Network::new(conns, places);
    println!(
        "synthetic: {places} places, {trip} trips, {legs} legs over 3 days; built in {:.0} ms",
        t0.elapsed().as_secs_f64() * 1000.0
    );
    let weight = 1500i64;
    let fare = |c: &Connection| {
        let (per_kg, min, from, to) = pricing[c.id as usize];
        let p = ((per_kg * weight + 999) / 1000).max(min) as f64;
        Some((p * to).round() as i64 - (p * from).round() as i64)
    };
    let mut rng = StdRng::seed_from_u64(42);
    let queries: Vec<Query> = (0..QUERIES)
        .map(|_| {
            // A destination within 300 km: a day or two of chained trips.
            let o = rng.gen_range(0..places as u32);
            let mut d = o;
            while d == o || dist(o, d) > 300.0 {
                d = rng.gen_range(0..places as u32);
            }
            let dep = rng.gen_range(0..86_400);
            Query {
                origin: o,
                destination: d,
                depart_after: dep,
                arrive_before: dep + 2 * 86_400,
                buffer: 7200,
                max_trips: 3,
                first_mile: vec![],
                last_mile: vec![],
            }
        })
        .collect();
    measure(&format!("synthetic {legs} legs"), &net, &queries, &fare);
    println!("peak memory {:.0} MiB", peak_rss_mib());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.first().map(String::as_str) {
        Some("gtfs") => gtfs(&args[1], &args[2]),
        Some("synthetic") => {
            synthetic(args[1].parse().unwrap(), args.get(2).map(|p| p.parse().unwrap()).unwrap_or(2000))
        }
        _ => eprintln!("usage: planner gtfs <feed.zip> <YYYYMMDD> | planner synthetic <legs> [places]"),
    }
}
