//! Locations for "nearby": USER#<uid>/GEO with GSI1 `GEO#<5-char geohash>` /
//! `<9-char geohash>#<uid>`. A 5-character cell is about 4.9 km × 4.9 km; nearby
//! reads the cell of the point and its 8 neighbours (9 Queries, in parallel).

use super::{n, s, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;

pub const CELL_LEN: usize = 5;
pub const HASH_LEN: usize = 9;
/// Items read per cell at most (one Query page each).
pub const PER_CELL: i32 = 200;

pub use crate::domain::geo::{Located, Point, COARSE_DECIMALS};

const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// Standard geohash (base32, interleaved longitude/latitude bits).
pub fn encode(p: Point, len: usize) -> String {
    let (mut lat, mut lng) = ((-90.0_f64, 90.0_f64), (-180.0_f64, 180.0_f64));
    let mut out = String::with_capacity(len);
    let (mut bits, mut ch, mut even) = (0, 0usize, true);
    while out.len() < len {
        let (range, v) = if even { (&mut lng, p.lng) } else { (&mut lat, p.lat) };
        let mid = (range.0 + range.1) / 2.0;
        ch <<= 1;
        if v >= mid {
            ch |= 1;
            range.0 = mid;
        } else {
            range.1 = mid;
        }
        even = !even;
        bits += 1;
        if bits == 5 {
            out.push(BASE32[ch] as char);
            bits = 0;
            ch = 0;
        }
    }
    out
}

/// Centre and half-size (lat, lng) of a geohash cell.
fn decode(hash: &str) -> Option<(Point, f64, f64)> {
    let (mut lat, mut lng) = ((-90.0_f64, 90.0_f64), (-180.0_f64, 180.0_f64));
    let mut even = true;
    for c in hash.bytes() {
        let v = BASE32.iter().position(|b| *b == c)?;
        for i in (0..5).rev() {
            let bit = (v >> i) & 1 == 1;
            let range = if even { &mut lng } else { &mut lat };
            let mid = (range.0 + range.1) / 2.0;
            if bit {
                range.0 = mid;
            } else {
                range.1 = mid;
            }
            even = !even;
        }
    }
    Some((
        Point { lat: (lat.0 + lat.1) / 2.0, lng: (lng.0 + lng.1) / 2.0 },
        (lat.1 - lat.0) / 2.0,
        (lng.1 - lng.0) / 2.0,
    ))
}

/// The cell of `p` and its 8 neighbours (deduplicated near the poles).
pub fn cells_around(p: Point) -> Vec<String> {
    let cell = encode(p, CELL_LEN);
    let (c, hlat, hlng) = decode(&cell).expect("own encoding");
    let mut out = vec![];
    for dy in [-1.0, 0.0, 1.0] {
        for dx in [-1.0, 0.0, 1.0] {
            let lat = (c.lat + dy * 2.0 * hlat).clamp(-89.999_999, 89.999_999);
            let mut lng = c.lng + dx * 2.0 * hlng;
            if lng > 180.0 {
                lng -= 360.0;
            } else if lng < -180.0 {
                lng += 360.0;
            }
            let h = encode(Point { lat, lng }, CELL_LEN);
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    out
}

/// The GEO item for a location (written with the profile's copy in one transaction).
pub fn item(uid: UserId, p: Point, now_secs: i64) -> Item {
    let hash = encode(p, HASH_LEN);
    let mut it = Db::key(super::keys::user_pk(uid), super::keys::GEO_SK);
    it.insert("uid".into(), n(uid.0));
    it.insert("lat".into(), n(p.lat));
    it.insert("lng".into(), n(p.lng));
    it.insert("at".into(), n(now_secs));
    it.insert("gsi1pk".into(), s(super::keys::geo_cell_pk(&hash[..CELL_LEN])));
    it.insert("gsi1sk".into(), s(format!("{hash}#{uid}")));
    it
}

fn from_item(it: &Item) -> Option<Located> {
    Some(Located {
        uid: UserId(it.i64("uid")?),
        point: Point { lat: it.f64("lat")?, lng: it.f64("lng")? },
        at: it.i64("at").unwrap_or(0),
    })
}

/// Everyone located in the 9 cells around `p`: 9 Queries (one page each) in parallel.
pub async fn around(db: &Db, p: Point) -> AppResult<Vec<Located>> {
    let queries = cells_around(p).into_iter().map(|cell| {
        let db = db.clone();
        async move {
            db.client
                .query()
                .table_name(&db.table)
                .index_name(super::GSI1)
                .key_condition_expression("gsi1pk = :p")
                .expression_attribute_values(":p", s(super::keys::geo_cell_pk(&cell)))
                .limit(PER_CELL)
                .send()
                .await
        }
    });
    let mut out = vec![];
    for r in futures_util::future::join_all(queries).await {
        out.extend(r?.items().iter().filter_map(from_item));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_known_hashes() {
        // Reference values from the geohash definition (Wikipedia example, Shenzhen).
        assert_eq!(encode(Point::new(42.6, -5.6).unwrap(), 5), "ezs42");
        assert_eq!(encode(Point::new(57.64911, 10.40744).unwrap(), 11), "u4pruydqqvj");
        assert_eq!(encode(Point::new(0.0, 0.0).unwrap(), 1), "s");
    }

    #[test]
    fn neighbours_surround_the_cell() {
        let p = Point::new(22.61, 114.06).unwrap();
        let cells = cells_around(p);
        assert_eq!(cells.len(), 9);
        assert_eq!(cells[4], encode(p, 5));
        // A point just across a cell edge is in one of the neighbours.
        let (c, hlat, _) = decode(&cells[4]).unwrap();
        let q = Point::new(c.lat + hlat * 1.01, c.lng).unwrap();
        assert!(cells.contains(&encode(q, 5)));
        // Wraps around the antimeridian.
        let e = cells_around(Point::new(0.0, 179.99).unwrap());
        assert!(e.iter().any(|h| h.starts_with('2') || h.starts_with('8') || h.starts_with('0')));
    }
}
