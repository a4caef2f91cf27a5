//! Great-circle distances and local times: pure functions over coordinates
//! and IANA zones.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Haversine distance in kilometres.
pub fn great_circle_km(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// A UTC instant (unix seconds) shown in an IANA zone, RFC 3339 with the
/// zone's offset, e.g. `2026-12-01T09:30:00+01:00`. `None` for an unknown zone.
pub fn local_time(unix: i64, zone: &str) -> Option<String> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let ts = jiff::Timestamp::from_second(unix).ok()?;
    Some(ts.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

/// The zone's offset from UTC (seconds) at a UTC instant.
pub fn utc_offset(unix: i64, zone: &str) -> Option<i64> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let ts = jiff::Timestamp::from_second(unix).ok()?;
    Some(tz.to_offset(ts).seconds() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_known_routes() {
        let jfk = LatLon { lat: 40.63993, lon: -73.77869 };
        let lhr = LatLon { lat: 51.4706, lon: -0.461941 };
        let d = great_circle_km(jfk, lhr);
        assert!((d - 5540.0).abs() < 15.0, "JFK–LHR is about 5,540 km, got {d}");
        assert_eq!(great_circle_km(jfk, jfk), 0.0);
    }

    #[test]
    fn local_time_uses_the_zone_and_its_daylight_saving() {
        // 2026-07-01T12:00:00Z and 2026-12-01T12:00:00Z
        assert_eq!(local_time(1_782_907_200, "Europe/Zurich").unwrap(), "2026-07-01T14:00:00+02:00");
        assert_eq!(local_time(1_796_126_400, "Europe/Zurich").unwrap(), "2026-12-01T13:00:00+01:00");
        assert_eq!(local_time(1_796_126_400, "America/New_York").unwrap(), "2026-12-01T07:00:00-05:00");
        assert!(local_time(0, "Mars/Olympus").is_none());
    }
}
