//! Who joins a group, and the writes that add and remove members — ONE path for every
//! dialect (Shiku `/room/member/update`, SealTalk `group/add`, Minxing groups and
//! `conversations/{id}/users`, creation, joins, leaves, kicks, dismissal):
//! - invite rules: a plain member invites only when the room has `allowInviteFriend = 1` and
//!   `isNeedVerify = 0` (private rooms take members from their admins or by approved request);
//! - a user who blacklisted the inviter is skipped (never added, no error: the others still
//!   are), on creation as on invitations;
//! - every user has a group counter, `USER#<uid>/GROUPS` `groupCount`, moved in the same
//!   transaction as the MEMBER item it counts; an add is conditioned on `groupCount < cap`
//!   ([`max_groups`], env `MAX_GROUPS_PER_USER`, default 2000). A user at the cap is skipped
//!   when invited and refused ([`REFUSED_TOO_MANY_GROUPS`]) when joining or creating.
//!
//! Transactions hold 100 items; a member costs two (MEMBER + counter), so adds and removals go
//! in transactions of [`MAX_IN_ONE_ADD`] members (a 1000-member invite is 21 transactions).

use super::conversations::{member_ids, member_item, member_sk, pk, put, REFUSED_ROOM_FULL};
use super::groups::{transact, transact_why, GroupEvent, DISMISSED};
use super::rooms::{self, Room, RoomMember, MEMBER};
use super::{n, Db, Item, ItemExt};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use std::collections::{HashMap, HashSet};

/// Join or creation refused: the user is in [`max_groups`] groups already.
pub use crate::error::refused::TOO_MANY_GROUPS as REFUSED_TOO_MANY_GROUPS;

/// Members added or removed per transaction (two items each, plus META and the event).
pub const MAX_IN_ONE_ADD: usize = 49;

/// Most groups one user may be in (env `MAX_GROUPS_PER_USER`, default 2000): it bounds the
/// per-group work of `$connect`.
pub fn max_groups() -> i64 {
    static CAP: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *CAP.get_or_init(|| {
        std::env::var("MAX_GROUPS_PER_USER").ok().and_then(|v| v.parse().ok()).filter(|v| *v > 0).unwrap_or(2000)
    })
}

pub fn too_many_groups(uid: UserId) -> AppError {
    AppError::Refused {
        code: REFUSED_TOO_MANY_GROUPS,
        message: format!("user {uid} is in {} groups already", max_groups()),
    }
}

fn groups_key(uid: UserId) -> Item {
    Db::key(super::users::pk(uid), "GROUPS")
}

/// The user's group counter moved by `delta`; `capped`: only while below [`max_groups`].
pub(crate) fn counter(db: &Db, uid: UserId, delta: i64, capped: bool) -> TransactWriteItem {
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(groups_key(uid)))
        .update_expression("ADD groupCount :d")
        .expression_attribute_values(":d", n(delta));
    if capped {
        u = u
            .condition_expression("attribute_not_exists(groupCount) OR groupCount < :cap")
            .expression_attribute_values(":cap", n(max_groups()));
    }
    TransactWriteItem::builder().update(u.build().expect("key and expression set")).build()
}

/// How many groups the user is in (one GetItem).
pub async fn group_count(db: &Db, uid: UserId) -> AppResult<i64> {
    Ok(db.get(super::users::pk(uid), "GROUPS").await?.and_then(|it| it.i64("groupCount")).unwrap_or(0))
}

/// Set the counter (operators and tests; the request paths only move it).
pub async fn set_group_count(db: &Db, uid: UserId, count: i64) -> AppResult<()> {
    let mut it = groups_key(uid);
    it.insert("groupCount".into(), n(count));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(())
}

/// META `memberCount` moved by `delta`, only while the group exists and, with `max`, while
/// it stays within `max` members (joins, invitations, leaves all count through this).
pub(crate) fn member_count(db: &Db, cid: &str, delta: i64, max: Option<i64>) -> TransactWriteItem {
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression("ADD memberCount :n")
        .expression_attribute_values(":n", n(delta));
    u = match max {
        Some(max) => u
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(memberCount) OR memberCount <= :room)",
            )
            .expression_attribute_values(":room", n(max - delta)),
        None => u.condition_expression("attribute_exists(pk)"),
    };
    TransactWriteItem::builder().update(u.build().expect("key and expressions set")).build()
}

/// Who of `uids` may be added by `inviter`, from one consistent BatchGetItem per 25 users
/// (profile, their relation to the inviter, their group counter, their membership).
struct Screen {
    unknown: Vec<UserId>,
    admitted: Vec<UserId>,
    /// The inviter's own group count.
    inviter_count: i64,
}

async fn screen(db: &Db, cid: Option<&str>, inviter: UserId, uids: &[UserId], profiles: bool) -> AppResult<Screen> {
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
    let (mut known, mut out, mut counts) = (HashSet::new(), HashSet::new(), HashMap::new());
    for it in &items {
        let sk = it.string("sk");
        if it.str("pk").is_some_and(|p| p.starts_with("CONV#")) {
            out.extend(it.i64("uid").map(UserId)); // already a member
        } else if sk == super::profiles::SK {
            known.extend(user_of(it));
        } else if sk == "GROUPS" {
            if let Some(u) = user_of(it) {
                counts.insert(u, it.i64("groupCount").unwrap_or(0));
            }
        } else if sk.starts_with("REL#") && it.bool("blacklist") == Some(true) {
            out.extend(user_of(it)); // blacklisted the inviter
        }
    }
    let cap = max_groups();
    let unknown: Vec<UserId> = uids.iter().copied().filter(|u| profiles && !known.contains(u)).collect();
    let admitted =
        uids.iter().copied().filter(|u| !out.contains(u) && counts.get(u).copied().unwrap_or(0) < cap).collect();
    let inviter_count = counts.get(&inviter).copied().unwrap_or(0);
    Ok(Screen { unknown, admitted, inviter_count })
}

fn sorted(uids: &[UserId], without: UserId) -> Vec<UserId> {
    let mut v: Vec<UserId> = uids.iter().copied().filter(|u| *u != without).collect();
    v.sort();
    v.dedup();
    v
}

/// The initial members of a new room that `owner` may add (blacklists, caps); an owner at the
/// cap is refused. One consistent BatchGetItem (per 50 members).
pub async fn screen_new_room(db: &Db, owner: UserId, members: &[UserId]) -> AppResult<Vec<UserId>> {
    let screened = screen(db, None, owner, &sorted(members, owner), false).await?;
    if screened.inviter_count >= max_groups() {
        return Err(too_many_groups(owner));
    }
    Ok(screened.admitted)
}

/// May `me` invite to `room`: owner/admins always; plain members when the room lets them.
pub fn may_invite(room: &Room, me: &RoomMember) -> AppResult<()> {
    if !me.is_admin() && (room.flag("allowInviteFriend") == 0 || room.flag("isNeedVerify") == 1) {
        return Err(AppError::forbidden("only the room's owner or admins may invite to this room"));
    }
    Ok(())
}

/// Invite `uids` to room `cid` (THE invite path of every dialect): the inviter must be a
/// member allowed to invite ([`may_invite`]); an unknown user refuses the whole call
/// (not found); members already in, users who blacklisted the inviter and users at the group
/// cap are skipped; the room's capacity (`maxUserSize`) holds for the rest. `event` names the
/// users of each transaction (one per [`MAX_IN_ONE_ADD`]). Returns the users added.
/// Calls: one BatchGetItem (room + my membership), ⌈4n/100⌉ BatchGetItem, one presence read,
/// ⌈n/49⌉ TransactWriteItems, one UpdateItem per added member online.
pub async fn invite(
    db: &Db,
    now: i64,
    cid: &str,
    inviter: UserId,
    uids: &[UserId],
    event: &(dyn Fn(&[UserId]) -> GroupEvent + Sync),
) -> AppResult<Vec<UserId>> {
    let (room, mine) = rooms::as_member(db, cid, inviter).await?;
    may_invite(&room, &mine)?;
    let uids = sorted(uids, inviter);
    if uids.is_empty() {
        return Ok(uids);
    }
    let screened = screen(db, Some(cid), inviter, &uids, true).await?;
    if let Some(u) = screened.unknown.first() {
        return Err(AppError::not_found(format!("user {u}")));
    }
    let limits = (room.max_users(), Some(room.member_count()));
    add_members(db, now, cid, &screened.admitted, MEMBER, limits, Announce::Each(event)).await?;
    Ok(screened.admitted)
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
    live: &HashMap<UserId, Vec<String>>,
    event: Option<GroupEvent>,
) -> AppResult<Option<Refusal>> {
    let mut writes = vec![member_count(db, cid, chunk.len() as i64, Some(max))];
    for u in chunk {
        let item = super::live::with_conns(member_item(cid, *u, role, now), cid, *u, live);
        writes.push(put(db, item, Some("attribute_not_exists(pk)")));
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
    let live = super::live::presence_of(db, &uids).await?;
    let chunks: Vec<&[UserId]> = uids.chunks(MAX_IN_ONE_ADD).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let event = match &announce {
            Announce::Nothing => None,
            Announce::Each(f) => Some(f(chunk)),
            Announce::Last(e) => (i + 1 == chunks.len()).then(|| (*e).clone()),
        };
        match add_chunk(db, now, cid, (chunk, role, max), &live, event).await? {
            None => super::live::attach_new_members(db, cid, chunk, &live).await?,
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
    let live = super::live::presence_of(db, &[uid]).await?;
    match add_chunk(db, now, cid, (&[uid], MEMBER, max), &live, Some(event.clone())).await? {
        None => {
            super::live::attach_new_members(db, cid, &[uid], &live).await?;
            Ok(true)
        }
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
/// [`MAX_IN_ONE_ADD`] (each chunk carries its own copy of the event; counters go down with
/// the member items). Ok(false): one of them was not a member (nothing of that chunk was
/// written).
pub async fn remove_members(db: &Db, now: i64, cid: &str, uids: &[UserId], event: &GroupEvent) -> AppResult<bool> {
    for chunk in uids.chunks(MAX_IN_ONE_ADD) {
        let mut writes: Vec<TransactWriteItem> = vec![];
        for u in chunk {
            writes.push(delete_member(db, cid, *u));
            writes.push(counter(db, *u, -1, false));
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
/// member); then the member items go with their counters, 50 per transaction. A room without
/// META is gone for every reader (membership checks read META too), so a failure there leaves
/// nothing visible. Returns the former members; not found when the group is already gone.
pub async fn dismiss(db: &Db, now: i64, cid: &str, event: GroupEvent) -> AppResult<Vec<UserId>> {
    let uids = member_ids(db, cid).await?;
    let meta = Delete::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .condition_expression("attribute_exists(pk)")
        .build()
        .expect("key set");
    let mut marker = Db::key(pk(cid), DISMISSED);
    marker.insert("at".into(), n(now));
    marker.insert("by".into(), n(event.by.0));
    let writes = vec![TransactWriteItem::builder().delete(meta).build(), put(db, marker, None)];
    if !transact(db, writes, cid, now, &[event.also_to(&uids)]).await? {
        return Err(AppError::not_found(format!("conversation {cid}")));
    }
    for chunk in uids.chunks(50) {
        let mut left = chunk.to_vec();
        // A member item that went meanwhile cancels its chunk: retry with those still there.
        for _ in 0..3 {
            let writes = left.iter().flat_map(|u| [delete_member(db, cid, *u), counter(db, *u, -1, false)]).collect();
            if transact(db, writes, cid, now, &[]).await? {
                break;
            }
            left = rooms::members_among(db, cid, &left).await?.into_iter().map(|m| m.uid).collect();
        }
    }
    Ok(uids)
}
