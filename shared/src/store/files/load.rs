//! One consistent BatchGetItem for what a files request checks: rooms (META + my MEMBER),
//! file records, my follows and my nickname — so share, copy and list requests read once.

use super::from_item_at;
use crate::domain::rooms::{Room, RoomMember};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::conversations::valid_id as valid_room;
use crate::store::keys::{conv_pk, followfile_sk, member_sk, user_pk, FOLLOWFILE_PREFIX, PROFILE_SK};
use crate::store::rooms::{member_from, room_from};
use crate::store::{batch_get_consistent, Db, Item, ItemExt};
use std::collections::{HashMap, HashSet};

/// A room as `me` sees it: None room = unknown or dismissed; `member` = my membership.
#[derive(Debug, Clone, Default)]
pub struct RoomSeen {
    pub room: Option<Room>,
    pub member: Option<RoomMember>,
}

#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub rooms: HashMap<String, RoomSeen>,
    pub files: HashMap<String, super::FileRecord>,
    /// Ids of the asked files `me` follows.
    pub followed: HashSet<String>,
    /// My nickname, when asked for.
    pub nickname: Option<String>,
}

/// Read in one BatchGetItem (per 100 keys; none when nothing is asked): `rooms` with my
/// membership, `files` (live ones), which of `follows` I follow, my nickname if `profile`.
pub async fn load(
    db: &Db,
    me: UserId,
    rooms: &[String],
    files: &[String],
    follows: &[String],
    profile: bool,
    now_s: i64,
) -> AppResult<Loaded> {
    let mut keys: Vec<Item> = vec![];
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut add = |pk: String, sk: String, keys: &mut Vec<Item>| {
        if seen.insert((pk.clone(), sk.clone())) {
            keys.push(Db::key(pk, sk));
        }
    };
    let file_sk = crate::store::keys::FILE_SK;
    for r in rooms.iter().filter(|r| valid_room(r)) {
        add(conv_pk(r), "META".into(), &mut keys);
        add(conv_pk(r), member_sk(me), &mut keys);
    }
    for f in files.iter().filter(|f| super::valid_id(f)) {
        add(crate::store::keys::file_pk(f), file_sk.into(), &mut keys);
    }
    for f in follows.iter().filter(|f| super::valid_id(f)) {
        add(user_pk(me), followfile_sk(f), &mut keys);
    }
    if profile {
        add(user_pk(me), PROFILE_SK.into(), &mut keys);
    }
    let mut out = Loaded::default();
    for r in rooms.iter().filter(|r| valid_room(r)) {
        out.rooms.insert(r.clone(), RoomSeen::default());
    }
    if keys.is_empty() {
        return Ok(out);
    }
    for it in batch_get_consistent(db, keys).await? {
        let pk = it.string("pk");
        let sk = it.string("sk");
        if let Some(cid) = pk.strip_prefix("CONV#") {
            let Some(entry) = out.rooms.get_mut(cid) else { continue };
            if let Some(m) = member_from(&it) {
                entry.member = Some(m);
            } else if let Some(r) = room_from(it) {
                entry.room = Some(r);
            }
        } else if pk.starts_with("FILE#") {
            if let Some(f) = from_item_at(&it, now_s) {
                out.files.insert(f.id.clone(), f);
            }
        } else if let Some(fid) = sk.strip_prefix(FOLLOWFILE_PREFIX) {
            out.followed.insert(fid.to_string());
        } else if sk == PROFILE_SK {
            out.nickname = Some(it.string("nickname"));
        }
    }
    // A membership without its room (dismissed) counts for nothing.
    for r in out.rooms.values_mut() {
        if r.room.is_none() {
            r.member = None;
        }
    }
    Ok(out)
}
