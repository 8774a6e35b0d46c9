//! Tombstones: what a user lost — a friendship, a block, a group membership — kept
//! [`GONE_TTL_SECS`] under `USER#<uid>` / `GONE#<kind>#<other>` so SealTalk's `/user/sync`
//! can report removals (its original keeps the rows with a status, user.coffee:741-882).
//! Written only inside the transaction of the removal ([`put`] gives the transaction item);
//! read with one Query ([`of_user`]). No list reads them, so the other dialects never see them.

use super::keys::{gone_sk, user_pk, GONE_PREFIX, GONE_TTL_SECS};
use super::{expired, n, s, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

pub use crate::domain::relations::{Gone, GONE_BLOCK as BLOCK, GONE_FRIEND as FRIEND, GONE_GROUP as GROUP};

/// The tombstone item of `owner` (unconditional Put: a newer removal replaces an older one).
pub fn item(owner: UserId, g: &Gone) -> Item {
    let mut it = Db::key(user_pk(owner), gone_sk(&g.kind, &g.other));
    it.insert("kind".into(), s(&g.kind));
    it.insert("other".into(), s(&g.other));
    it.insert("at".into(), n(g.at));
    it.insert("name".into(), s(&g.name));
    if let Some(a) = &g.avatar {
        it.insert("avatar".into(), s(a));
    }
    if !g.role.is_empty() {
        it.insert("role".into(), s(&g.role));
    }
    it.insert("ttl".into(), n(g.at / 1000 + GONE_TTL_SECS));
    it
}

/// The transaction item that writes `owner`'s tombstone `g`.
pub fn put(db: &Db, owner: UserId, g: &Gone) -> TransactWriteItem {
    let p = Put::builder().table_name(&db.table).set_item(Some(item(owner, g)));
    TransactWriteItem::builder().put(p.build().expect("table and item set")).build()
}

fn from_item(it: &Item) -> Option<Gone> {
    Some(Gone {
        kind: it.str("kind")?.to_string(),
        other: it.str("other")?.to_string(),
        at: it.i64("at")?,
        name: it.string("name"),
        avatar: it.str("avatar").map(str::to_string),
        role: it.string("role"),
    })
}

/// Every live tombstone of `owner` newer than `since` (one Query on `GONE#`; expired ones skipped).
pub async fn of_user(db: &Db, owner: UserId, since: i64, now_secs: i64) -> AppResult<Vec<Gone>> {
    let items = super::query_all(db, None, user_pk(owner), Some(GONE_PREFIX), None).await?;
    Ok(items.iter().filter(|it| !expired(it, now_secs)).filter_map(from_item).filter(|g| g.at > since).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tombstone_round_trip() {
        let g = Gone {
            kind: FRIEND.into(),
            other: "7".into(),
            at: 5_000,
            name: "Ann".into(),
            avatar: None,
            role: String::new(),
        };
        let it = item(UserId(3), &g);
        assert_eq!(it.str("pk"), Some("USER#3"));
        assert_eq!(it.str("sk"), Some("GONE#friend#7"));
        assert_eq!(it.i64("ttl"), Some(5 + GONE_TTL_SECS));
        assert_eq!(from_item(&it), Some(g));
    }
}
