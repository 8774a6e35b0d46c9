//! Minxing JSON views of ocus (public accounts; shapes in docs/dialects.md "Public accounts").

use crate::domain::ocus::Ocu;
use crate::domain::users::User;
use serde_json::{json, Value};

/// Menus: `[{id, name, type: view|click|menu, url, key, sub_menus}]`.
pub fn menus_json(o: &Ocu) -> Value {
    let entry = |m: &crate::domain::ocus::MenuItem, subs: Vec<Value>| json!({"id": m.id, "name": m.name, "type": o.kind(m).name(), "url": m.url, "key": m.key, "sub_menus": subs});
    Value::Array(
        o.tree()
            .into_iter()
            .map(|(top, kids)| entry(top, kids.into_iter().map(|k| entry(k, vec![])).collect()))
            .collect(),
    )
}

/// An ocu in a list: `{id, name, description, avatar_url, subscribed, created_at}`.
pub fn ocu_json(uid: i64, name: &str, avatar: Option<&str>, o: &Ocu, subscribed: bool) -> Value {
    json!({
        "id": uid,
        "name": name,
        "description": o.description,
        "avatar_url": avatar,
        "subscribed": subscribed,
        "created_at": o.created_at,
    })
}

/// One ocu: the list shape plus `subscriber_count`, `conversation_id`, `menus`.
pub fn ocu_page_json(u: &User, o: &Ocu, subscribed: bool, fans: i64, conversation_id: &str) -> Value {
    let mut v = ocu_json(u.uid.0, &u.nickname, u.avatar.as_deref(), o, subscribed);
    v["subscriber_count"] = json!(fans);
    v["conversation_id"] = json!(conversation_id);
    v["menus"] = menus_json(o);
    v
}
