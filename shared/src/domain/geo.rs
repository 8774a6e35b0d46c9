//! Locations: a checked latitude/longitude and how other users see it (coarse).

use crate::error::{AppError, AppResult};

/// Other users see a location rounded to this many decimals of a degree (0.01° ≈ 1.1 km).
pub const COARSE_DECIMALS: i32 = 2;

/// Latitude/longitude checked for range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lng: f64,
}

impl Point {
    pub fn new(lat: f64, lng: f64) -> AppResult<Point> {
        if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
            return Err(AppError::invalid("latitude", "must be between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&lng) || !lng.is_finite() {
            return Err(AppError::invalid("longitude", "must be between -180 and 180"));
        }
        Ok(Point { lat, lng })
    }

    /// The point as other users see it: latitude and longitude rounded to
    /// `COARSE_DECIMALS` (a ~1.1 km grid). Distances shown to others are measured to this
    /// point, so querying from many places cannot triangulate the exact one.
    pub fn coarse(&self) -> Point {
        let f = 10f64.powi(COARSE_DECIMALS);
        Point { lat: (self.lat * f).round() / f, lng: (self.lng * f).round() / f }
    }

    /// Great-circle distance in metres.
    pub fn distance_m(&self, o: &Point) -> f64 {
        let r = 6_371_000.0_f64;
        let (la1, la2) = (self.lat.to_radians(), o.lat.to_radians());
        let dla = la2 - la1;
        let dlo = (o.lng - self.lng).to_radians();
        let a = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * r * a.sqrt().min(1.0).asin()
    }
}

/// A user's last reported location.
#[derive(Debug, Clone)]
pub struct Located {
    pub uid: crate::ids::UserId,
    pub point: Point,
    /// When the location was last reported (epoch seconds).
    pub at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_measures_distance() {
        assert!(Point::new(91.0, 0.0).is_err());
        assert!(Point::new(0.0, -180.5).is_err());
        assert!(Point::new(f64::NAN, 0.0).is_err());
        let a = Point::new(22.61, 114.06).unwrap();
        let b = Point::new(22.62, 114.06).unwrap();
        let d = a.distance_m(&b);
        assert!((1100.0..1120.0).contains(&d), "{d}");
    }

    #[test]
    fn coarse_points_have_two_decimals() {
        let c = Point::new(22.613456, -114.067891).unwrap().coarse();
        assert_eq!((c.lat, c.lng), (22.61, -114.07));
        assert_eq!(serde_json::json!(c.lat).to_string(), "22.61");
        let e = Point::new(89.999, 179.996).unwrap().coarse();
        assert!(Point::new(e.lat, e.lng).is_ok(), "stays in range: {e:?}");
    }
}
