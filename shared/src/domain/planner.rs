//! The route planner: a multi-criteria Connection Scan over published legs.
//!
//! Every leg of every published trip is a *connection* (from, to, departure,
//! arrival, trip). Connections are sorted by departure once; a query scans
//! them in that order from `depart_after` to `arrive_before`, keeping at each
//! place a Pareto bag of labels over (arrival, price, handoffs, trips used)
//! and on each trip a bag of the parcels aboard over (price, handoffs, trips).
//! One pass, linear in the connections scanned — no loop over pairs of legs.
//!
//! Rules modelled:
//! - a parcel changes trip only at the same place, at least `buffer` seconds
//!   after it arrived (a handoff); staying on a trip needs no buffer;
//! - at most `max_trips` trips (3), and every leg must accept the parcel (the
//!   caller's `fare` answers `None` for a leg that does not);
//! - first mile: a courier brings the parcel from the origin to a place, ready
//!   at a given time; last mile: a courier takes it from a place to the
//!   destination inside its service hours. Each courier–traveler exchange is a
//!   handoff like a traveler–traveler one (same buffer); the sender's and the
//!   recipient's own exchanges are not counted.
//!
//! The answer is the Pareto set over (arrival, price, handoffs) at the
//! destination — every itinerary not beaten on all three by another — which
//! each sort then orders ([`Sort`]). Answers that tie on all three stay (two
//! travelers on the same flight at the same price are both offered) when they
//! differ in the trip that reaches the destination; ties earlier on are
//! settled by whichever was found first.
use serde::Serialize;
use std::cmp::Ordering;

/// One leg of a published trip, as the planner sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Connection {
    pub from: u32,
    pub to: u32,
    pub dep: i64,
    pub arr: i64,
    /// Dense trip index (0..n_trips).
    pub trip: u32,
    /// The caller's id for this leg (e.g. its index in the caller's list).
    pub id: u32,
}

/// Connections sorted by departure, with each trip's connections in order.
pub struct Network {
    conns: Vec<Connection>,
    /// Each trip's connection indices (into `conns`), in order.
    trip_conns: Vec<Vec<u32>>,
    /// Position of each connection in its trip.
    pos_in_trip: Vec<u32>,
    n_stops: usize,
}

impl Network {
    /// `n_stops` bounds the place indices; trips are dense indices.
    pub fn new(mut conns: Vec<Connection>, n_stops: usize) -> Self {
        conns.sort_by(|a, b| a.dep.cmp(&b.dep).then(a.arr.cmp(&b.arr)).then(a.trip.cmp(&b.trip)));
        let n_trips = conns.iter().map(|c| c.trip as usize + 1).max().unwrap_or(0);
        let mut trip_conns = vec![Vec::new(); n_trips];
        let mut pos_in_trip = vec![0; conns.len()];
        for (i, c) in conns.iter().enumerate() {
            pos_in_trip[i] = trip_conns[c.trip as usize].len() as u32;
            trip_conns[c.trip as usize].push(i as u32);
        }
        Self { conns, trip_conns, pos_in_trip, n_stops }
    }
    pub fn connections(&self) -> &[Connection] {
        &self.conns
    }
    pub fn n_trips(&self) -> usize {
        self.trip_conns.len()
    }
}

/// Local service hours of a courier, as UTC seconds of the day (the caller
/// applies the zone's offset for the query's date). `open == close` means all day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub open: i64,
    pub close: i64,
}

const DAY: i64 = 86_400;

impl Hours {
    /// When a job of `duration` seconds that can start at `t` is done: the
    /// job starts inside the hours and ends by closing time, else it waits
    /// for the next opening. `None` if it can never fit.
    pub fn finish(&self, t: i64, duration: i64) -> Option<i64> {
        if self.open == self.close {
            return Some(t + duration);
        }
        let len = (self.close - self.open).rem_euclid(DAY);
        if duration > len {
            return None;
        }
        // Windows start at day_start + open for each day; try the one containing t, then the next.
        let day_start = t.div_euclid(DAY) * DAY;
        for d in -1..=1 {
            let start = day_start + d * DAY + self.open;
            let end = start + len;
            let s = t.max(start);
            if s + duration <= end {
                return Some(s + duration);
            }
        }
        Some(day_start + 2 * DAY + self.open + duration)
    }
}

/// A courier bringing the parcel from the origin to a place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FirstMile {
    pub stop: u32,
    /// When the parcel is ready at `stop`.
    pub ready_at: i64,
    pub price: i64,
    /// The caller's courier id.
    pub courier: u32,
}

/// A courier taking the parcel from a place to the destination.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastMile {
    pub stop: u32,
    pub duration: i64,
    pub price: i64,
    pub hours: Hours,
    pub courier: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub origin: u32,
    pub destination: u32,
    pub depart_after: i64,
    pub arrive_before: i64,
    /// Least time between arriving at a place and leaving on another trip.
    pub buffer: i64,
    pub max_trips: u8,
    pub first_mile: Vec<FirstMile>,
    pub last_mile: Vec<LastMile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub enum Segment {
    /// Courier from the origin to `stop` (index into the query's first_mile).
    FirstMile { option: u32 },
    /// On one trip from its connection `board` to `alight` (network indices, inclusive).
    Ride { trip: u32, conns: Vec<u32> },
    /// Courier from a place to the destination, picked up at `pickup`, delivered at `deliver`.
    LastMile { option: u32, pickup: i64, deliver: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Itinerary {
    pub arrive: i64,
    pub price: i64,
    pub handoffs: u8,
    pub trips: u8,
    pub segments: Vec<Segment>,
}

/// The orders results come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Price, then arrival, then handoffs.
    Cheapest,
    /// Arrival, then price, then handoffs.
    Quickest,
    /// By score = arrival rank + price rank + 0.25 × handoffs, where each rank
    /// is the value's position between the set's best (0) and worst (1);
    /// ties by arrival. Balanced: one handoff weighs a quarter of the spread.
    Best,
}

pub fn sort(items: &mut [Itinerary], sort: Sort) {
    match sort {
        Sort::Cheapest => items.sort_by_key(|a| (a.price, a.arrive, a.handoffs)),
        Sort::Quickest => items.sort_by_key(|a| (a.arrive, a.price, a.handoffs)),
        Sort::Best => {
            let span = |f: fn(&Itinerary) -> i64| {
                let min = items.iter().map(f).min().unwrap_or(0);
                let max = items.iter().map(f).max().unwrap_or(0);
                (min, (max - min).max(1) as f64)
            };
            let (amin, aspan) = span(|i| i.arrive);
            let (pmin, pspan) = span(|i| i.price);
            let score = |i: &Itinerary| {
                (i.arrive - amin) as f64 / aspan + (i.price - pmin) as f64 / pspan + 0.25 * i.handoffs as f64
            };
            items.sort_by(|a, b| {
                score(a)
                    .partial_cmp(&score(b))
                    .unwrap_or(Ordering::Equal)
                    .then((a.arrive, a.price).cmp(&(b.arrive, b.price)))
            });
        }
    }
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
enum How {
    Source,
    FirstMile(u32),
    /// Alighted from a ride that boarded at connection `board`, after label `from`.
    Ride {
        from: u32,
        board: u32,
        alight: u32,
    },
    LastMile {
        from: u32,
        option: u32,
        pickup: i64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Label {
    arr: i64,
    price: i64,
    handoffs: u8,
    trips: u8,
    /// The trip the parcel arrived on (NONE otherwise).
    trip: u32,
    how: How,
}

impl Label {
    /// Still with the sender: the next carrier takes it without a handoff.
    fn fresh(&self) -> bool {
        matches!(self.how, How::Source)
    }
    /// At least as good on every criterion (arrival, price, handoffs, trips,
    /// and not owing a handoff the other does not owe).
    fn covers(&self, o: &Label) -> bool {
        self.arr <= o.arr
            && self.price <= o.price
            && self.handoffs <= o.handoffs
            && self.trips <= o.trips
            && (self.fresh() || !o.fresh())
    }
}

#[derive(Debug, Clone, Copy)]
struct Aboard {
    price: i64,
    handoffs: u8,
    trips: u8,
    from: u32,
    board: u32,
}

impl Aboard {
    fn covers(&self, o: &Aboard) -> bool {
        self.price <= o.price && self.handoffs <= o.handoffs && self.trips <= o.trips
    }
}

/// Reusable scratch space for queries over one network.
pub struct Planner<'n> {
    net: &'n Network,
    labels: Vec<Label>,
    stop_bags: Vec<Vec<u32>>,
    trip_bags: Vec<Vec<Aboard>>,
    touched_stops: Vec<u32>,
    touched_trips: Vec<u32>,
    target: Vec<u32>,
    /// Last-mile options by stop (indices into the query's list).
    last_at: Vec<Vec<u32>>,
    query_arrive_before: i64,
}

impl<'n> Planner<'n> {
    pub fn new(net: &'n Network) -> Self {
        Self {
            net,
            labels: Vec::new(),
            stop_bags: vec![Vec::new(); net.n_stops],
            trip_bags: vec![Vec::new(); net.n_trips()],
            touched_stops: Vec::new(),
            touched_trips: Vec::new(),
            target: Vec::new(),
            last_at: vec![Vec::new(); net.n_stops],
            query_arrive_before: i64::MAX,
        }
    }

    fn reset(&mut self) {
        for s in self.touched_stops.drain(..) {
            self.stop_bags[s as usize].clear();
            self.last_at[s as usize].clear();
        }
        for t in self.touched_trips.drain(..) {
            self.trip_bags[t as usize].clear();
        }
        self.labels.clear();
        self.target.clear();
    }

    /// A waiting label no better than an answer can only lead to answers that
    /// arrive later (every leg takes time): drop it.
    fn dominated_by_target(&self, l: &Label) -> bool {
        self.target.iter().any(|&t| {
            let t = &self.labels[t as usize];
            t.arr <= l.arr && t.price <= l.price && t.handoffs <= l.handoffs
        })
    }

    /// Answers are kept unless another is strictly better: equal ones stay,
    /// so several travelers offering the same times and price are all listed.
    fn add_target(&mut self, l: Label) {
        let strictly = |a: &Label, b: &Label| {
            a.arr <= b.arr
                && a.price <= b.price
                && a.handoffs <= b.handoffs
                && (a.arr, a.price, a.handoffs) != (b.arr, b.price, b.handoffs)
        };
        if l.arr > self.query_arrive_before || self.target.iter().any(|&t| strictly(&self.labels[t as usize], &l)) {
            return;
        }
        let labels = &self.labels;
        self.target.retain(|&t| !strictly(&l, &labels[t as usize]));
        self.labels.push(l);
        self.target.push(self.labels.len() as u32 - 1);
    }

    /// Records a label reaching `stop`: it may end an itinerary there (or
    /// hand over to a last-mile courier), whatever else is at the stop, and it
    /// waits there for further trips unless something there (or at the
    /// target) already covers it.
    fn arrive(&mut self, stop: u32, l: Label, q: &Query) {
        self.labels.push(l);
        let idx = self.labels.len() as u32 - 1;
        self.reached(stop, idx, q);
        if self.dominated_by_target(&l) {
            return;
        }
        let bag = &self.stop_bags[stop as usize];
        if bag.iter().any(|&i| self.labels[i as usize].covers(&l)) {
            return;
        }
        if bag.is_empty() && self.last_at[stop as usize].is_empty() {
            self.touched_stops.push(stop);
        }
        let labels = &self.labels;
        self.stop_bags[stop as usize].retain(|&i| !l.covers(&labels[i as usize]));
        self.stop_bags[stop as usize].push(idx);
    }

    /// A label reached `stop`: at the destination it is an answer; where a
    /// last-mile courier serves it, the courier's delivery is one too.
    fn reached(&mut self, stop: u32, idx: u32, q: &Query) {
        let l = self.labels[idx as usize];
        if l.trips == 0 {
            // Couriers alone are not an itinerary (a same-city delivery is another product).
            return;
        }
        if stop == q.destination {
            self.add_target(l);
        }
        for k in 0..self.last_at[stop as usize].len() {
            let option = self.last_at[stop as usize][k];
            let lm = &q.last_mile[option as usize];
            let pickup = l.arr + q.buffer;
            if let Some(deliver) = lm.hours.finish(pickup, lm.duration) {
                let start = deliver - lm.duration;
                self.add_target(Label {
                    arr: deliver,
                    price: l.price + lm.price,
                    handoffs: l.handoffs + 1,
                    trips: l.trips,
                    trip: NONE,
                    how: How::LastMile { from: idx, option, pickup: start },
                });
            }
        }
    }

    /// The Pareto set of itineraries for `q`; `fare` prices a connection for
    /// this parcel, or refuses it (`None`).
    pub fn plan(&mut self, q: &Query, fare: impl Fn(&Connection) -> Option<i64>) -> Vec<Itinerary> {
        self.reset();
        self.query_arrive_before = q.arrive_before;
        for (i, lm) in q.last_mile.iter().enumerate() {
            let s = lm.stop as usize;
            if self.stop_bags[s].is_empty() && self.last_at[s].is_empty() {
                self.touched_stops.push(lm.stop);
            }
            self.last_at[s].push(i as u32);
        }
        let src = Label { arr: q.depart_after, price: 0, handoffs: 0, trips: 0, trip: NONE, how: How::Source };
        self.arrive(q.origin, src, q);
        for (k, fm) in q.first_mile.iter().enumerate() {
            if fm.ready_at <= q.arrive_before {
                let l = Label {
                    arr: fm.ready_at,
                    price: fm.price,
                    handoffs: 0,
                    trips: 0,
                    trip: NONE,
                    how: How::FirstMile(k as u32),
                };
                self.arrive(fm.stop, l, q);
            }
        }
        let conns = &self.net.conns;
        let start = conns.partition_point(|c| c.dep < q.depart_after);
        let mut boarding: Vec<Aboard> = Vec::new();
        for (ci, &c) in conns.iter().enumerate().skip(start) {
            if c.dep > q.arrive_before {
                break;
            }
            let trip = c.trip as usize;
            if c.arr > q.arrive_before
                || (self.trip_bags[trip].is_empty() && self.stop_bags[c.from as usize].is_empty())
            {
                continue;
            }
            let Some(price) = fare(&c) else {
                // A leg that refuses the parcel: nobody stays aboard through it.
                self.trip_bags[trip].clear();
                continue;
            };
            // Those aboard ride this leg too.
            for a in self.trip_bags[trip].iter_mut() {
                a.price += price;
            }
            // Board from labels waiting here long enough.
            boarding.clear();
            for &li in &self.stop_bags[c.from as usize] {
                let l = &self.labels[li as usize];
                let fresh = l.fresh();
                let ready = if fresh { l.arr } else { l.arr + q.buffer };
                if l.trips < q.max_trips && l.trip != c.trip && ready <= c.dep {
                    boarding.push(Aboard {
                        price: l.price + price,
                        handoffs: l.handoffs + u8::from(!fresh),
                        trips: l.trips + 1,
                        from: li,
                        board: ci as u32,
                    });
                }
            }
            for b in boarding.drain(..) {
                let bag = &mut self.trip_bags[trip];
                if bag.iter().any(|a| a.covers(&b)) {
                    continue;
                }
                if bag.is_empty() {
                    self.touched_trips.push(c.trip);
                }
                bag.retain(|a| !b.covers(a));
                bag.push(b);
            }
            // Alight here.
            for k in 0..self.trip_bags[trip].len() {
                let a = self.trip_bags[trip][k];
                let l = Label {
                    arr: c.arr,
                    price: a.price,
                    handoffs: a.handoffs,
                    trips: a.trips,
                    trip: c.trip,
                    how: How::Ride { from: a.from, board: a.board, alight: ci as u32 },
                };
                self.arrive(c.to, l, q);
            }
        }
        let mut out: Vec<Itinerary> = self.target.iter().map(|&t| self.itinerary(t)).collect();
        out.sort_by_key(|a| (a.arrive, a.price, a.handoffs));
        let mut seen: Vec<Vec<Segment>> = Vec::with_capacity(out.len());
        out.retain(|i| {
            let fresh = !seen.contains(&i.segments);
            if fresh {
                seen.push(i.segments.clone());
            }
            fresh
        });
        out
    }

    fn itinerary(&self, t: u32) -> Itinerary {
        let end = self.labels[t as usize];
        let mut segments = Vec::new();
        let mut cur = t;
        loop {
            let l = self.labels[cur as usize];
            match l.how {
                How::Source => break,
                How::FirstMile(k) => {
                    segments.push(Segment::FirstMile { option: k });
                    break;
                }
                How::Ride { from, board, alight } => {
                    let trip = self.net.conns[board as usize].trip;
                    let (b, a) =
                        (self.net.pos_in_trip[board as usize] as usize, self.net.pos_in_trip[alight as usize] as usize);
                    segments.push(Segment::Ride { trip, conns: self.net.trip_conns[trip as usize][b..=a].to_vec() });
                    cur = from;
                }
                How::LastMile { from, option, pickup } => {
                    segments.push(Segment::LastMile { option, pickup, deliver: l.arr });
                    cur = from;
                }
            }
        }
        segments.reverse();
        Itinerary { arrive: end.arr, price: end.price, handoffs: end.handoffs, trips: end.trips, segments }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    const H: i64 = 3600;

    fn conn(from: u32, to: u32, dep: i64, arr: i64, trip: u32, id: u32) -> Connection {
        Connection { from, to, dep: dep * H, arr: arr * H, trip, id }
    }

    fn query(origin: u32, destination: u32) -> Query {
        Query {
            origin,
            destination,
            depart_after: 0,
            arrive_before: 100 * H,
            buffer: 2 * H,
            max_trips: 3,
            first_mile: vec![],
            last_mile: vec![],
        }
    }

    #[test]
    fn finds_direct_and_connecting_itineraries_on_the_pareto_front() {
        // Trip 0: A(0) → B(1) → C(2), expensive and quick. Trip 1: A → B cheap;
        // trip 2: B → C cheap, leaving 3 h after trip 1 arrives.
        let net = Network::new(
            vec![conn(0, 1, 1, 2, 0, 0), conn(1, 2, 2, 3, 0, 1), conn(0, 1, 1, 2, 1, 2), conn(1, 2, 5, 6, 2, 3)],
            3,
        );
        let prices = [50, 50, 10, 10];
        let mut p = Planner::new(&net);
        let r = p.plan(&query(0, 2), |c| Some(prices[c.id as usize]));
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!((r[0].arrive, r[0].price, r[0].handoffs, r[0].trips), (3 * H, 100, 0, 1));
        assert_eq!((r[1].arrive, r[1].price, r[1].handoffs, r[1].trips), (6 * H, 20, 1, 2));
        // The buffer: trip 2 leaving 1 h after arrival is too soon.
        let mut q = query(0, 2);
        q.buffer = 4 * H;
        assert_eq!(p.plan(&q, |c| Some(prices[c.id as usize])).len(), 1);
        // A leg refusing the parcel takes its trip out.
        let r = p.plan(&query(0, 2), |c| (c.trip != 0).then_some(prices[c.id as usize]));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].price, 20);
        let mut sorted = p.plan(&query(0, 2), |c| Some(prices[c.id as usize]));
        sort(&mut sorted, Sort::Cheapest);
        assert_eq!(sorted[0].price, 20);
        sort(&mut sorted, Sort::Quickest);
        assert_eq!(sorted[0].arrive, 3 * H);
    }

    #[test]
    fn travelers_tying_on_everything_are_all_offered() {
        // Two travelers on the same flight at the same price.
        let net = Network::new(vec![conn(0, 1, 1, 2, 0, 0), conn(0, 1, 1, 2, 1, 1)], 2);
        let r = Planner::new(&net).plan(&query(0, 1), |_| Some(10));
        assert_eq!(r.len(), 2);
        assert_ne!(r[0].segments, r[1].segments);
    }

    #[test]
    fn couriers_cover_the_first_and_last_mile_inside_their_hours() {
        let net = Network::new(vec![conn(1, 2, 10, 12, 0, 0)], 4);
        let mut q = query(0, 3);
        q.first_mile = vec![FirstMile { stop: 1, ready_at: 7 * H, price: 5, courier: 0 }];
        // Open 08:00–18:00 UTC; the parcel is at 2 at 12:00, handed over at 14:00, 1 h ride.
        q.last_mile =
            vec![LastMile { stop: 2, duration: H, price: 7, hours: Hours { open: 8 * H, close: 18 * H }, courier: 1 }];
        let r = Planner::new(&net).plan(&q, |_| Some(100));
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].arrive, r[0].price, r[0].handoffs), (15 * H, 112, 2));
        assert!(matches!(r[0].segments[0], Segment::FirstMile { option: 0 }));
        assert!(
            matches!(r[0].segments[2], Segment::LastMile { option: 0, pickup, deliver } if pickup == 14 * H && deliver == 15 * H)
        );
        // Closed in the evening: delivered the next morning.
        q.last_mile[0].hours = Hours { open: 8 * H, close: 13 * H };
        let r = Planner::new(&net).plan(&q, |_| Some(100));
        assert_eq!(r[0].arrive, 24 * H + 9 * H);
    }

    #[test]
    fn hours_wrap_past_midnight() {
        let night = Hours { open: 22 * H, close: 6 * H };
        assert_eq!(night.finish(23 * H, H), Some(24 * H));
        assert_eq!(night.finish(12 * H, H), Some(23 * H));
        assert_eq!(night.finish(24 * H + 5 * H + 1800, H), Some(24 * H + 23 * H));
        assert_eq!(Hours { open: 0, close: 0 }.finish(5, 10), Some(15));
        assert_eq!(Hours { open: 8 * H, close: 9 * H }.finish(0, 2 * H), None);
    }

    /// Every journey, by depth-first search: (arrival, price, handoffs).
    fn brute(net: &Network, q: &Query, fare: &dyn Fn(&Connection) -> Option<i64>) -> Vec<(i64, i64, u8)> {
        let mut out = Vec::new();
        #[allow(clippy::too_many_arguments)]
        fn go(
            net: &Network,
            q: &Query,
            fare: &dyn Fn(&Connection) -> Option<i64>,
            stop: u32,
            t: i64,
            price: i64,
            hand: u8,
            trips: u8,
            fresh: bool,
            last: u32,
            out: &mut Vec<(i64, i64, u8)>,
        ) {
            if trips > 0 {
                if stop == q.destination {
                    out.push((t, price, hand));
                }
                for lm in q.last_mile.iter().filter(|l| l.stop == stop) {
                    if let Some(d) = lm.hours.finish(t + q.buffer, lm.duration) {
                        if d <= q.arrive_before {
                            out.push((d, price + lm.price, hand + 1));
                        }
                    }
                }
            }
            if trips >= q.max_trips {
                return;
            }
            let ready = if fresh { t } else { t + q.buffer };
            for (trip, cs) in net.trip_conns.iter().enumerate() {
                if trip as u32 == last {
                    continue;
                }
                for i in 0..cs.len() {
                    let c = net.conns[cs[i] as usize];
                    if c.from != stop || c.dep < ready || c.dep < q.depart_after {
                        continue;
                    }
                    let mut p = price;
                    for &j in &cs[i..] {
                        let cj = net.conns[j as usize];
                        let Some(f) = fare(&cj) else { break };
                        if cj.arr > q.arrive_before {
                            break;
                        }
                        p += f;
                        go(net, q, fare, cj.to, cj.arr, p, hand + u8::from(!fresh), trips + 1, false, trip as u32, out);
                    }
                }
            }
        }
        go(net, q, fare, q.origin, q.depart_after, 0, 0, 0, true, NONE, &mut out);
        for fm in &q.first_mile {
            if fm.ready_at <= q.arrive_before {
                go(net, q, fare, fm.stop, fm.ready_at, fm.price, 0, 0, false, NONE, &mut out);
            }
        }
        out
    }

    fn pareto(v: &[(i64, i64, u8)]) -> BTreeSet<(i64, i64, u8)> {
        v.iter().filter(|a| !v.iter().any(|b| b.0 <= a.0 && b.1 <= a.1 && b.2 <= a.2 && b != *a)).copied().collect()
    }

    /// Checks an itinerary against the network and the query; its (arrival, price, handoffs).
    fn verify(net: &Network, q: &Query, it: &Itinerary, fare: &dyn Fn(&Connection) -> Option<i64>) -> (i64, i64, u8) {
        let (mut stop, mut t, mut price, mut hand, mut fresh, mut trips) =
            (q.origin, q.depart_after, 0, 0u8, true, 0u8);
        for (k, s) in it.segments.iter().enumerate() {
            match s {
                Segment::FirstMile { option } => {
                    assert_eq!(k, 0);
                    let fm = q.first_mile[*option as usize];
                    (stop, t, price, fresh) = (fm.stop, fm.ready_at, fm.price, false);
                }
                Segment::Ride { trip, conns } => {
                    let first = net.conns[conns[0] as usize];
                    assert_eq!(first.from, stop, "boards where the parcel is");
                    assert!(first.dep >= if fresh { t } else { t + q.buffer }, "waits the buffer");
                    assert!(first.dep >= q.depart_after);
                    let cs = &net.trip_conns[*trip as usize];
                    let i = cs.iter().position(|c| *c == conns[0]).unwrap();
                    assert_eq!(&cs[i..i + conns.len()], &conns[..], "consecutive legs of one trip");
                    for c in conns {
                        price += fare(&net.conns[*c as usize]).expect("every leg accepts the parcel");
                    }
                    let last = net.conns[*conns.last().unwrap() as usize];
                    hand += u8::from(!fresh);
                    (stop, t, fresh) = (last.to, last.arr, false);
                    trips += 1;
                }
                Segment::LastMile { option, pickup, deliver } => {
                    assert_eq!(k, it.segments.len() - 1);
                    let lm = q.last_mile[*option as usize];
                    assert_eq!(lm.stop, stop);
                    assert!(*pickup >= t + q.buffer);
                    assert_eq!(lm.hours.finish(t + q.buffer, lm.duration), Some(*deliver));
                    (stop, t, price, hand) = (q.destination, *deliver, price + lm.price, hand + 1);
                }
            }
        }
        assert_eq!(stop, q.destination);
        assert!(t <= q.arrive_before);
        assert!(trips >= 1 && trips <= q.max_trips);
        assert_eq!((t, price, hand, trips), (it.arrive, it.price, it.handoffs, it.trips));
        (t, price, hand)
    }

    fn network() -> impl Strategy<Value = (Vec<Connection>, Vec<Option<Vec<i64>>>)> {
        // Up to 10 trips over 6 places, 1–3 legs each, within 30 hours.
        prop::collection::vec(
            (
                0u32..6,
                prop::collection::vec((1u32..6, 0i64..4, 1i64..4, 0i64..60), 1..4),
                0i64..20,
                prop::bool::weighted(0.9),
            ),
            1..10,
        )
        .prop_map(|trips| {
            let mut conns = Vec::new();
            let mut fares = Vec::new();
            for (ti, (start, legs, t0, accepts)) in trips.into_iter().enumerate() {
                let (mut at, mut t) = (start, t0 * H);
                let mut prices = Vec::new();
                for (hop, wait, dur, price) in legs {
                    let to = (at + hop) % 6;
                    let dep = t + wait * H / 2;
                    let arr = dep + dur * H;
                    conns.push(Connection { from: at, to, dep, arr, trip: ti as u32, id: conns.len() as u32 });
                    prices.push(price);
                    (at, t) = (to, arr);
                }
                fares.push(accepts.then_some(prices));
            }
            (conns, fares)
        })
    }

    fn access() -> impl Strategy<Value = (Vec<FirstMile>, Vec<LastMile>)> {
        let fm = prop::collection::vec((0u32..6, 0i64..10, 0i64..30), 0..3).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (stop, at, price))| FirstMile { stop, ready_at: at * H, price, courier: i as u32 })
                .collect()
        });
        let lm = prop::collection::vec((0u32..6, 1i64..3, 0i64..30, prop::option::of((0i64..24, 4i64..14))), 0..3)
            .prop_map(|v| {
                v.into_iter()
                    .enumerate()
                    .map(|(i, (stop, d, price, hours))| LastMile {
                        stop,
                        duration: d * H,
                        price,
                        hours: hours
                            .map(|(o, len)| Hours { open: o * H, close: ((o + len) % 24) * H })
                            .unwrap_or(Hours { open: 0, close: 0 }),
                        courier: i as u32,
                    })
                    .collect()
            });
        (fm, lm)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn the_planner_answers_exactly_the_pareto_front((conns, fares) in network(), (fm, lm) in access(), origin in 0u32..6, dest_offset in 1u32..6, after in 0i64..6, buffer in 0i64..3, max_trips in 1u8..4) {
            let dest = (origin + dest_offset) % 6;
            let lookup: Vec<Option<i64>> = {
                let mut by_id = vec![None; conns.len()];
                let mut k = 0;
                for (t, f) in fares.iter().enumerate() {
                    let n = conns.iter().filter(|c| c.trip == t as u32).count();
                    for j in 0..n {
                        by_id[k + j] = f.as_ref().map(|p| p[j]);
                    }
                    k += n;
                }
                by_id
            };
            let fare = |c: &Connection| lookup[c.id as usize];
            let net = Network::new(conns, 6);
            let q = Query { origin, destination: dest, depart_after: after * H, arrive_before: 40 * H, buffer: buffer * H, max_trips, first_mile: fm, last_mile: lm };
            let got = Planner::new(&net).plan(&q, fare);
            // Feasible, and no duplicates.
            let vectors: Vec<_> = got.iter().map(|it| verify(&net, &q, it, &fare)).collect();
            let set: BTreeSet<_> = vectors.iter().copied().collect();
            for (i, a) in got.iter().enumerate() {
                prop_assert!(got[i + 1..].iter().all(|b| b.segments != a.segments), "the same itinerary twice: {:?}", a);
            }
            // Exactly the Pareto front of all journeys: nothing found by brute
            // force dominates a result, and every front point is answered.
            let all = brute(&net, &q, &fare);
            prop_assert_eq!(&set, &pareto(&all));
            // Each sort puts the brute-force optimum first.
            if !got.is_empty() {
                let mut c = got.clone();
                sort(&mut c, Sort::Cheapest);
                prop_assert_eq!(c[0].price, all.iter().map(|v| v.1).min().unwrap());
                prop_assert!(c.windows(2).all(|w| (w[0].price, w[0].arrive) <= (w[1].price, w[1].arrive)));
                sort(&mut c, Sort::Quickest);
                prop_assert_eq!(c[0].arrive, all.iter().map(|v| v.0).min().unwrap());
                prop_assert!(c.windows(2).all(|w| (w[0].arrive, w[0].price) <= (w[1].arrive, w[1].price)));
                sort(&mut c, Sort::Best);
                prop_assert_eq!(c.len(), got.len());
            }
        }
    }
}
