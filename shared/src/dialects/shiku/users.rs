//! Shiku JSON view of a user (the one place a user is rendered in this dialect).

use crate::domain::favorites::Favorite;
use crate::domain::geo::Point;
use crate::domain::settings::Settings;
use crate::domain::users::{age, Shown};
use serde_json::{json, Map, Value};

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

/// Settings as Shiku clients read them (every setting, defaults filled in).
pub fn settings_json(st: &Settings) -> Value {
    let mut m = Map::new();
    for (k, v) in &st.flags {
        m.insert((*k).into(), Value::from(*v));
    }
    for (k, v) in &st.durations {
        m.insert((*k).into(), Value::from(*v));
    }
    Value::Object(m)
}

/// A favourite (emoji or collection item).
pub fn favorite_json(f: &Favorite) -> Value {
    json!({
        "emojiId": f.id,
        "userId": f.owner.0,
        "type": f.kind,
        "url": f.url.clone().unwrap_or_default(),
        "msg": f.msg.clone().unwrap_or_default(),
        "msgId": f.msg_id.clone().unwrap_or_default(),
        "roomJid": f.room_jid.clone().unwrap_or_default(),
        "fileName": f.file_name.clone().unwrap_or_default(),
        "fileSize": f.file_size.unwrap_or(0),
        "createTime": f.created_at / 1000,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    #[test]
    fn favourite_json_shape() {
        let f = Favorite {
            id: "x-6".into(),
            owner: UserId(7),
            kind: 6,
            url: Some("http://a/b.gif".into()),
            msg: None,
            msg_id: None,
            room_jid: None,
            file_name: None,
            file_size: None,
            created_at: 5000,
        };
        let j = favorite_json(&f);
        assert_eq!(
            (j["emojiId"].clone(), j["createTime"].clone(), j["msgId"].clone()),
            (json!("x-6"), json!(5), json!(""))
        );
    }

    #[test]
    fn settings_defaults() {
        let v = settings_json(&Settings::default());
        assert_eq!(v["allowAtt"], 1);
        assert_eq!(v["friendsVerify"], 0);
        assert_eq!(v["phoneSearch"], 1);
        assert_eq!(v["showTelephone"], 1);
        assert_eq!(v["chatRecordTimeOut"], -1.0);
    }
}
