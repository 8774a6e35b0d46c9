//! Shiku JSON view of a user (the one place a user is rendered in this dialect).

use crate::domain::users::{age, Shown};
use crate::store::geo::Point;
use serde_json::{json, Value};

/// Shiku's User entity as clients render it. Counters are not kept (0), see docs/dialects.md.
/// Telephone only when `s.phone`, login names only to the user; `loc` is the location as the
/// viewer may see it (exact for the owner, coarse for others: the caller decides).
pub fn user_json(s: &Shown, loc: Option<Point>, now_secs: i64) -> Value {
    let u = s.user;
    let p = &u.profile;
    let avatar = s.avatar_url.unwrap_or_default();
    let mut o = json!({
        "userId": u.uid.0,
        "nickname": u.nickname,
        "sex": p.sex.unwrap_or(0),
        "birthday": p.birthday.unwrap_or(0),
        "description": p.description.clone().unwrap_or_default(),
        "countryId": p.country_id.unwrap_or(0),
        "provinceId": p.province_id.unwrap_or(0),
        "cityId": p.city_id.unwrap_or(0),
        "areaId": p.area_id.unwrap_or(0),
        "createTime": u.created_at / 1000,
        "modifyTime": s.updated_at / 1000,
        "userType": p.user_type.unwrap_or(1),
        "status": 1,
        "level": 0,
        "vip": 0,
        "isAuth": 0,
        "fansCount": 0,
        "attCount": 0,
        "friendsCount": 0,
        "headImg": avatar,
        "headThumImg": avatar,
    });
    if let Some(b) = p.birthday {
        o["age"] = json!(age(b, now_secs));
    }
    if let Some(t) = u.telephone.as_ref().filter(|_| s.phone) {
        o["telephone"] = json!(t.number);
        o["areaCode"] = json!(t.area);
        o["phone"] = json!(t.full());
    }
    if s.is_self {
        if let Some(n) = &u.username {
            o["account"] = json!(n);
        }
        if let Some(e) = &u.email {
            o["email"] = json!(e);
        }
    }
    if let Some(pt) = loc {
        o["loc"] = json!({"lat": pt.lat, "lng": pt.lng});
    }
    o
}
