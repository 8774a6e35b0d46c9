//! The writes that add and remove group members — ONE path for every dialect (Shiku
//! `/room/member/update`, SealTalk `group/add`, Minxing groups and `conversations/{id}/users`,
//! creation, joins, leaves, kicks, dismissal) — and the one read the invite rules need
//! ([`invite_facts`]). Who may invite and who is skipped is decided in services::rooms.
//!
//! Every MEMBER item moves, in the same transaction, the user's group counter (conditioned on
//! the cap, store/group_counts.rs) and the room's `memberCount` (conditioned on its capacity).
//! Transactions hold 100 items; an added member costs two (MEMBER + counter), so adds go in
//! transactions of [`MAX_IN_ONE_ADD`] members (a 1000-member invite is 21 transactions); a
//! removed one three (plus its tombstone, store/gone.rs), so removals go by [`MAX_IN_ONE_REMOVE`].

use super::conversations::{member_item, member_sk, pk, put, REFUSED_ROOM_FULL};
use super::group_counts::{counter, groups_key, member_count, too_many_groups};
use super::groups::{transact, transact_why, GroupEvent};
use super::rooms::{self, MEMBER};
use super::{Db, Item, ItemExt};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use std::collections::{HashMap, HashSet};

/// Members added or removed per transaction (two items each, plus META and the event).
pub const MAX_IN_ONE_ADD: usize = 49;
/// Members removed per transaction: three items each (MEMBER, counter, the removed user's
/// tombstone `GONE#group#<cid>`, store/gone.rs), plus META and the event.
pub const MAX_IN_ONE_REMOVE: usize = 32;

/// The tombstone of `uid`'s membership of `cid` (named `name`, "" when unknown), gone at `now`
/// (SealTalk sync: `isDeleted`).
fn gone(db: &Db, cid: &str, uid: UserId, role: &str, now: i64, name: &str) -> TransactWriteItem {
    let g = super::gone::Gone {
        kind: super::gone::GROUP.into(),
        other: cid.to_string(),
        at: now,
        name: name.to_string(),
        avatar: None,
        role: role.into(),
    };
    super::gone::put(db, uid, &g)
}

/// What the invite rules look at for `uids` invited by `inviter` (to `cid`, when the room
/// exists already): from consistent BatchGetItems of 100 keys, in parallel (profiles when
/// asked, their relation to the inviter, their group counter, their membership).
#[derive(Debug, Default)]
pub struct InviteFacts {
    /// Users with a profile (only filled when asked for).
    pub known: HashSet<UserId>,
    /// Members of the room already.
    pub members: HashSet<UserId>,
    /// Users who blacklisted the inviter.
    pub blocking: HashSet<UserId>,
    /// Group counters (the inviter's too); absent = 0.
    pub counts: HashMap<UserId, i64>,
}

pub async fn invite_facts(
    db: &Db,
    cid: Option<&str>,
    inviter: UserId,
    uids: &[UserId],
    profiles: bool,
) -> AppResult<InviteFacts> {
    let mut keys = vec![groups_key(inviter)];
    for u in uids {
        if profiles {
            keys.push(super::profiles::key(*u));
        }
        keys.push(super::relations::key(*u, inviter));
        keys.push(groups_key(*u));
        if let Some(cid) = cid {
            keys.push(Db::key(pk(cid), member_sk(*u)));
        }
    }
    // A 1000-user invite is 40 BatchGetItem calls of 100 keys: in parallel.
    let reads = keys.chunks(100).map(|c| super::batch_get_consistent(db, c.to_vec()));
    let items: Vec<Item> = futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect();
    let user_of = |it: &Item| it.str("pk")?.strip_prefix("USER#")?.parse().ok().map(UserId);
    let mut facts = InviteFacts::default();
    for it in &items {
        let sk = it.string("sk");
        if it.str("pk").is_some_and(|p| p.starts_with("CONV#")) {
            facts.members.extend(it.i64("uid").map(UserId));
        } else if sk == super::profiles::SK {
            facts.known.extend(user_of(it));
        } else if sk == super::keys::GROUPS_SK {
            if let Some(u) = user_of(it) {
                facts.counts.insert(u, it.i64("groupCount").unwrap_or(0));
            }
        } else if sk.starts_with("REL#") && it.bool("blacklist") == Some(true) {
            facts.blocking.extend(user_of(it));
        }
    }
    Ok(facts)
}

/// Which group event goes with an add.
pub enum Announce<'a> {
    Nothing,
    /// One event per transaction, naming its users.
    Each(&'a (dyn Fn(&[UserId]) -> GroupEvent + Sync)),
    /// One event, with the last transaction.
    Last(&'a GroupEvent),
}

/// Why an add transaction did not happen.
enum Refusal {
    /// Full, or gone.
    Room,
    AlreadyMember,
    AtCap(UserId),
}

/// One transaction: the places (`memberCount`), the MEMBER items (each only if absent), the
/// users' counters (each below the cap), the event.
async fn add_chunk(
    db: &Db,
    now: i64,
    cid: &str,
    (chunk, role, max): (&[UserId], &str, i64),
    event: Option<GroupEvent>,
) -> AppResult<Option<Refusal>> {
    let mut writes = vec![member_count(db, cid, chunk.len() as i64, Some(max))];
    for u in chunk {
        // No live connections: fan-out reads presence until the member is stamped (store/live.rs).
        writes.push(put(db, member_item(cid, *u, role, now), Some("attribute_not_exists(pk)")));
        writes.push(counter(db, *u, 1, true));
    }
    Ok(match transact_why(db, writes, cid, now, event.as_slice()).await? {
        None => None,
        Some(0) => Some(Refusal::Room),
        Some(i) if i % 2 == 1 => Some(Refusal::AlreadyMember),
        Some(i) => Some(Refusal::AtCap(chunk[(i - 2) / 2])),
    })
}

/// `count`: the room's member count, None when the room is gone.
fn full_or_gone(count: Option<i64>, cid: &str, max: i64) -> AppError {
    match count {
        None => AppError::not_found(format!("room {cid}")),
        Some(_) => AppError::Refused { code: REFUSED_ROOM_FULL, message: format!("the room is full ({max} members)") },
    }
}

/// Add members (callers pass non-members) within a room's capacity (`memberCount + n <= max`,
/// else [`REFUSED_ROOM_FULL`]) in transactions of [`MAX_IN_ONE_ADD`]. The capacity is checked
/// for the whole list first; a transaction refused midway (a race) leaves the earlier ones.
pub async fn add_members(
    db: &Db,
    now: i64,
    cid: &str,
    uids: &[UserId],
    role: &str,
    (max, count): (i64, Option<i64>),
    announce: Announce<'_>,
) -> AppResult<usize> {
    let mut uids = uids.to_vec();
    uids.sort();
    uids.dedup();
    if uids.is_empty() {
        return Ok(0);
    }
    // Several transactions: the capacity of the whole list first (one chunk is atomic anyway).
    if uids.len() > MAX_IN_ONE_ADD {
        let count = match count {
            Some(c) => Some(c),
            None => rooms::get(db, cid).await?.map(|r| r.member_count()),
        };
        if count.is_none_or(|c| c + uids.len() as i64 > max) {
            return Err(full_or_gone(count, cid, max));
        }
    }
    let chunks: Vec<&[UserId]> = uids.chunks(MAX_IN_ONE_ADD).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let event = match &announce {
            Announce::Nothing => None,
            Announce::Each(f) => Some(f(chunk)),
            Announce::Last(e) => (i + 1 == chunks.len()).then(|| (*e).clone()),
        };
        match add_chunk(db, now, cid, (chunk, role, max), event).await? {
            None => {}
            Some(Refusal::Room) => {
                return Err(full_or_gone(rooms::get(db, cid).await?.map(|r| r.member_count()), cid, max))
            }
            Some(Refusal::AlreadyMember) => {
                return Err(AppError::Conflict("membership changed meanwhile, try again".into()))
            }
            Some(Refusal::AtCap(u)) => return Err(too_many_groups(u)),
        }
    }
    Ok(uids.len())
}

/// [`add_members`] with at most one event, written with the last transaction.
pub async fn add_members_within(
    db: &Db,
    now: i64,
    cid: &str,
    uids: &[UserId],
    role: &str,
    max: i64,
    event: Option<&GroupEvent>,
) -> AppResult<usize> {
    let announce = match event {
        Some(e) => Announce::Last(e),
        None => Announce::Nothing,
    };
    add_members(db, now, cid, uids, role, (max, None), announce).await
}

/// Join a room: one transaction puts the MEMBER item (only if absent), takes a place
/// (`memberCount < maxUserSize`) and counts the group for the user (below the cap).
/// Ok(false): already a member (nothing written).
pub async fn join(db: &Db, now: i64, cid: &str, uid: UserId, max: i64, event: &GroupEvent) -> AppResult<bool> {
    match add_chunk(db, now, cid, (&[uid], MEMBER, max), Some(event.clone())).await? {
        None => Ok(true),
        Some(Refusal::AlreadyMember) => Ok(false),
        Some(Refusal::AtCap(u)) => Err(too_many_groups(u)),
        Some(Refusal::Room) => {
            // Already a member of a full room is not a refusal.
            if rooms::member(db, cid, uid).await?.is_some() {
                return Ok(false);
            }
            Err(full_or_gone(rooms::get(db, cid).await?.map(|r| r.member_count()), cid, max))
        }
    }
}

fn delete_member(db: &Db, cid: &str, uid: UserId) -> TransactWriteItem {
    let del = Delete::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), member_sk(uid))))
        .condition_expression("attribute_exists(pk)")
        .build()
        .expect("key set");
    TransactWriteItem::builder().delete(del).build()
}

/// Remove members (leave, kick) with their `event`, in one transaction per
/// [`MAX_IN_ONE_REMOVE`] (each chunk carries its own copy of the event; counters go down and
/// tombstones are written with the member items). Ok(false): one of them was not a member (nothing of that chunk was
/// written).
pub async fn remove_members(db: &Db, now: i64, cid: &str, uids: &[UserId], event: &GroupEvent) -> AppResult<bool> {
    for chunk in uids.chunks(MAX_IN_ONE_REMOVE) {
        let mut writes: Vec<TransactWriteItem> = vec![];
        for u in chunk {
            writes.push(delete_member(db, cid, *u));
            writes.push(counter(db, *u, -1, false));
            writes.push(gone(db, cid, *u, MEMBER, now, ""));
        }
        writes.push(member_count(db, cid, -(chunk.len() as i64), None));
        if !transact(db, writes, cid, now, std::slice::from_ref(event)).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Remove one member with its event. Returns false when they were not a member.
pub async fn remove_member(db: &Db, now: i64, cid: &str, uid: UserId, event: &GroupEvent) -> AppResult<bool> {
    remove_members(db, now, cid, &[uid], event).await
}

/// Dismiss a group. One transaction deletes META, leaves the `DISMISSED` marker (the id is
/// never used again, so its messages stay unreachable) and writes the event (to every former
/// member); then the member items go with their counters and tombstones (the dismisser's
/// says "owner"), [`MAX_IN_ONE_REMOVE`] per transaction. A room without
/// META is gone for every reader (membership checks read META too), so a failure there leaves
/// nothing visible. Returns the former members; not found when the group is already gone.
pub async fn dismiss(db: &Db, now: i64, cid: &str, event: GroupEvent) -> AppResult<Vec<UserId>> {
    let Some((room, members)) = rooms::with_members(db, cid).await? else {
        return Err(AppError::not_found(format!("conversation {cid}")));
    };
    let uids: Vec<UserId> = members.iter().map(|m| m.uid).collect();
    let by = event.by;
    let name = room.name();
    let meta = Delete::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), super::keys::META_SK)))
        .condition_expression("attribute_exists(pk)")
        .build()
        .expect("key set");
    let marker = rooms::dismissed_item(cid, &room, &uids, now, event.by);
    let writes = vec![TransactWriteItem::builder().delete(meta).build(), put(db, marker, None)];
    if !transact(db, writes, cid, now, &[event.also_to(&uids)]).await? {
        return Err(AppError::not_found(format!("conversation {cid}")));
    }
    super::stats::add_rooms(db, -1).await;
    for chunk in uids.chunks(MAX_IN_ONE_REMOVE) {
        let mut left = chunk.to_vec();
        // A member item that went meanwhile cancels its chunk: retry with those still there.
        for _ in 0..3 {
            let role = |u: UserId| if u == by { super::rooms::OWNER } else { MEMBER };
            let writes = left
                .iter()
                .flat_map(|u| {
                    [delete_member(db, cid, *u), counter(db, *u, -1, false), gone(db, cid, *u, role(*u), now, &name)]
                })
                .collect();
            if transact(db, writes, cid, now, &[]).await? {
                break;
            }
            left = rooms::members_among(db, cid, &left).await?.into_iter().map(|m| m.uid).collect();
        }
    }
    Ok(uids)
}
