//! Shiku JSON views of public accounts (`/mp/*`, `/public/menu/list`): the menu tree with the
//! seed's fields exactly (`id, name, parentId, url, userId, menuList`), fans without phones,
//! the home page.

use crate::domain::ocus::{MenuItem, Ocu};
use crate::domain::relations::Relation;
use crate::domain::users::User;
use serde_json::{json, Value};

fn menu_json(o: &Ocu, m: &MenuItem, children: Option<Vec<Value>>) -> Value {
    let mut v = json!({
        "id": m.id,
        "name": m.name,
        "parentId": m.parent_id,
        "url": m.url.clone().unwrap_or_default(),
        "userId": o.uid.0,
    });
    if let Some(c) = children {
        v["menuList"] = Value::Array(c);
    }
    v
}

/// The menu tree: top-level entries, each with `menuList` (its children).
pub fn menu_tree_json(o: &Ocu) -> Value {
    Value::Array(
        o.tree()
            .into_iter()
            .map(|(top, kids)| menu_json(o, top, Some(kids.into_iter().map(|k| menu_json(o, k, None)).collect())))
            .collect(),
    )
}

/// A fan: who subscribed and when (seconds); never a phone number.
pub fn fan_json(r: &Relation, u: Option<&User>) -> Value {
    json!({
        "userId": r.owner.0,
        "nickname": u.map(|u| u.nickname.as_str()).unwrap_or(""),
        "toUserId": r.other.0,
        "createTime": r.create_time / 1000,
        "modifyTime": r.modify_time / 1000,
    })
}

/// `/mp/home`: `{account, fansCount, menu, unreadCount}`.
pub fn home_json(u: &User, o: &Ocu, fans: i64, unread: i64) -> Value {
    json!({
        "account": {
            "userId": u.uid.0,
            "nickname": u.nickname,
            "userType": 2,
            "description": o.description,
            "listed": i32::from(o.listed),
            "createTime": o.created_at / 1000,
        },
        "fansCount": fans,
        "menu": menu_tree_json(o),
        "unreadCount": unread,
    })
}

/// The user an account replies to (`/mp/msg/reply`): no phone.
pub fn peer_json(u: &User) -> Value {
    json!({"userId": u.uid.0, "nickname": u.nickname, "userType": u.profile.user_type.unwrap_or(1)})
}
