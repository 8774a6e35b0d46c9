//! Minxing (敏行 v3) work-circle groups `/api/v1/groups…` and pending requests
//! `/api/v1/pendings/requests/{id}/approve|reject` (docs/dialects.md "Minxing groups").
//!
//! A group IS a room (store/rooms.rs): the same object as a Shiku room, a SealTalk group and a
//! Minxing multi-user conversation, with the same members, roles and capacity. Public groups
//! (`public`, the default) are open (`isNeedVerify = 0`) and listed (`isLook = 0`, GSI1
//! `PUBROOMS`); private ones have `isNeedVerify = 1`, `isLook = 1`: joining them makes a pending
//! request (store/requests.rs) that the owner or an admin approves or rejects. Groups created
//! here have `allowInviteFriend = 0`, so only owner/admins add people, in every dialect.
//! JSON: snake_case, epoch-ms timestamps.

use crate::{require_users, user_ids};
use serde_json::{json, Value};
use shared::dialects::minxing::rooms::{card_json, group_json, is_public, member_json, request_json};
use shared::domain::chat::{is_group, valid_id};
use shared::domain::join_requests::{parse_id, MAX_MESSAGE};
use shared::domain::rooms::{Changes, Field, GroupEvent, NewRoom, RoomMember, Settings, MAX_USERS};
use shared::error::refused;
use shared::http::Call;
use shared::ids::UserId;
use shared::services::join_requests::{self as requests, Joined};
use shared::services::privacy::{self, Seen};
use shared::services::profiles::{self, Card};
use shared::services::rooms as svc;
use shared::{AppError, AppResult, Reply};
use std::collections::HashMap;

/// Longest group name (as Shiku room names and Minxing conversation titles).
const MAX_NAME: usize = 64;
/// Longest description (the room's `desc`).
const MAX_DESCRIPTION: usize = 500;
/// `GET /api/v1/groups` reads at most this many directory entries (page × limit).
const MAX_LISTED: i64 = 5000;

fn not_found(cid: &str) -> AppError {
    AppError::not_found(format!("group {cid}"))
}

fn group_id(c: &Call<'_>) -> AppResult<String> {
    let cid = c.path_param("group_id")?;
    if !valid_id(&cid) || !is_group(&cid) {
        return Err(not_found(&cid));
    }
    Ok(cid)
}

/// Profiles of `uids` with their avatar links, by id (⌈n/100⌉ BatchGetItem; none for none).
async fn cards(c: &Call<'_>, uids: &[UserId]) -> AppResult<HashMap<UserId, Card>> {
    let mut uids = uids.to_vec();
    uids.sort();
    uids.dedup();
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(profiles::many(c.ctx, &uids).await?.into_iter().map(|c| (c.user.uid, c)).collect())
}

/// A boolean parameter: true/false or 1/0.
fn flag(c: &Call<'_>, name: &str) -> AppResult<Option<bool>> {
    match c.params.str(name)?.as_deref() {
        None => Ok(None),
        Some("true") | Some("1") => Ok(Some(true)),
        Some("false") | Some("0") => Ok(Some(false)),
        Some(_) => Err(AppError::invalid(name, "true or false")),
    }
}

/// An opaque paging cursor (an offset or a page number, as this module wrote it).
fn cursor(c: &Call<'_>, min: usize) -> AppResult<Option<usize>> {
    match c.params.str("cursor")? {
        None => Ok(None),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|v| *v >= min)
            .map(Some)
            .ok_or_else(|| AppError::invalid("cursor", "unknown cursor")),
    }
}

/// Room flags of a public or private group.
fn visibility(public: bool) -> [(&'static str, i64); 2] {
    let v = if public { 0 } else { 1 };
    [("isLook", v), ("isNeedVerify", v)]
}

/// `POST /api/v1/groups`: `name` (required, ≤ 64), `description` (≤ 500), `public` (default
/// true), `user_ids` (initial members). 201 with the group.
pub async fn create(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let name = c.params.str_max("name", MAX_NAME)?.ok_or_else(|| AppError::missing("name"))?;
    let description = c.params.str_max("description", MAX_DESCRIPTION)?;
    let public = flag(c, "public")?.unwrap_or(true);
    let members: Vec<UserId> = user_ids(c, "user_ids")?.into_iter().filter(|u| *u != me).collect();
    if members.len() as i64 >= MAX_USERS {
        return Err(AppError::Refused {
            code: refused::ROOM_FULL,
            message: format!("a group holds at most {MAX_USERS} members"),
        });
    }
    // The members and the creator in one BatchGetItem; unknown ids refuse the whole call.
    let mut all = members.clone();
    all.push(me);
    let found = require_users(c, &all).await?;
    let mut settings = Settings::new();
    for (f, v) in visibility(public) {
        settings.insert(f.into(), Field::Int(v));
    }
    settings.insert("allowInviteFriend".into(), Field::Int(0));
    if let Some(d) = &description {
        settings.insert("desc".into(), Field::from(d.as_str()));
    }
    let db = &c.ctx.db;
    let now = c.ctx.now_ms();
    let new = NewRoom {
        id: None,
        name: name.clone(),
        owner: me,
        owner_nickname: found.get(&me).map(|u| u.nickname.clone()).unwrap_or_default(),
        members: members.clone(),
        settings,
        idem: None,
    };
    let ids: Vec<i64> = members.iter().map(|u| u.0).collect();
    let ev = GroupEvent::new("created", me, json!({"name": name, "userIds": ids}));
    let room = svc::create_room(db, now, new, &ev).await?;
    Ok(Reply::data(group_json(&room, Some(&svc::fresh_owner(me, now)))).status(201))
}

/// `GET /api/v1/groups`: my groups (newest first), then the public directory (newest first,
/// rooms I am in left out), each with `is_member`. `limit` (1–100, 20), `page` (from 1) or the
/// `cursor` of the previous answer, `q` = name contains (case-insensitive).
/// `{items, next_cursor}`. One Query of my memberships + BatchGetItem of their rooms, one
/// Query of the directory (in parallel).
pub async fn list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let limit = c.params.i64_in("limit", 1, 100, 20)?;
    let page = match cursor(c, 1)? {
        Some(p) => p as i64,
        None => c.params.i64_in("page", 1, MAX_LISTED, 1)?,
    };
    let end = page.saturating_mul(limit);
    if end > MAX_LISTED {
        return Err(AppError::invalid("page", format!("page × limit must not exceed {MAX_LISTED}")));
    }
    let q = c.params.str_max("q", MAX_NAME)?.map(|q| q.to_lowercase());
    let db = &c.ctx.db;
    // Public rooms sort after mine, so the first page×limit+1 of them fill this page.
    let (mine, public) = tokio::join!(svc::of_user(db, me), svc::public(db, (end + 1) as i32, q.as_deref()));
    let mut mine = mine?;
    if let Some(q) = &q {
        mine.retain(|(r, _)| r.name().to_lowercase().contains(q.as_str()));
    }
    mine.sort_by_key(|(r, _)| std::cmp::Reverse((r.created_at(), r.id.clone())));
    let mut all: Vec<Value> = mine.iter().map(|(r, m)| group_json(r, Some(m))).collect();
    let joined: std::collections::HashSet<&str> = mine.iter().map(|(r, _)| r.id.as_str()).collect();
    all.extend(public?.iter().filter(|r| !joined.contains(r.id.as_str())).map(|r| group_json(r, None)));
    let start = ((page - 1) * limit) as usize;
    let more = all.len() > end as usize;
    let items: Vec<Value> = all.into_iter().skip(start).take(limit as usize).collect();
    Ok(Reply::data(json!({"items": items, "next_cursor": more.then(|| (page + 1).to_string())})))
}

/// `PUT /api/v1/groups/{group_id}` (owner/admins): `name` (≤ 64), and optionally
/// `description`, `public`. Answers the group.
pub async fn update(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = group_id(c)?;
    let name = c.params.str_max("name", MAX_NAME)?;
    let description = c.params.str_max("description", MAX_DESCRIPTION)?;
    let public = flag(c, "public")?;
    if name.is_none() && description.is_none() && public.is_none() {
        return Err(AppError::missing("name"));
    }
    let db = &c.ctx.db;
    let (room, mine) = svc::as_admin(db, &cid, me).await.map_err(|e| hide_room(e, &cid))?;
    let mut ch: Changes = vec![];
    let mut settings = serde_json::Map::new();
    if let Some(nm) = &name {
        ch.push(("name".into(), Some(Field::from(nm.as_str()))));
    }
    if let Some(d) = &description {
        ch.push(("desc".into(), Some(Field::from(d.as_str()))));
        settings.insert("desc".into(), json!(d));
    }
    if let Some(p) = public {
        for (f, v) in visibility(p) {
            ch.push((f.into(), Some(Field::Int(v))));
            settings.insert(f.into(), json!(v));
        }
    }
    let now = c.ctx.now_ms();
    let mut events = vec![];
    if let Some(nm) = &name {
        events.push(GroupEvent::new("renamed", me, json!({"name": nm})));
    }
    if !settings.is_empty() {
        events.push(GroupEvent::new("updated", me, json!({"settings": settings})));
    }
    svc::update_settings(db, now, me, &cid, ch, &events).await?;
    // The group as read before, with the changes just written (no read after the write).
    let mut out = group_json(&room, Some(&mine));
    if let Some(nm) = name {
        out["name"] = json!(nm);
    }
    if let Some(d) = description {
        out["description"] = json!(d);
    }
    if let Some(p) = public {
        out["public"] = json!(p);
    }
    out["updated_at"] = json!(now);
    Ok(Reply::data(out))
}

/// `DELETE /api/v1/groups/{group_id}`: the owner dismisses the group. 204.
pub async fn delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = group_id(c)?;
    svc::dismiss(&c.ctx.db, c.ctx.now_ms(), me, &cid).await.map_err(|e| hide_room(e, &cid))?;
    Ok(Reply::empty())
}

/// The shared helpers name a missing room "room …"; Minxing says "group …".
fn hide_room(e: AppError, cid: &str) -> AppError {
    match e {
        AppError::NotFound(what) if what.starts_with("room ") => not_found(cid),
        other => other,
    }
}

/// `GET /api/v1/groups/{group_id}/members`: members of a group I am in, or of a public one
/// (private groups: 404 for non-members). Owner, admins, then by joining time; `showMember =
/// 0` shows ordinary members only the owner, admins and themselves. `limit` (1–1000, 100),
/// `cursor`. `{items, next_cursor}`. One Query (room + members) + BatchGetItem of the page's
/// profiles. `status=pending` (owner/admins): the pending join requests instead, each with
/// its `user`.
pub async fn members(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = group_id(c)?;
    let db = &c.ctx.db;
    match c.params.str("status")?.as_deref() {
        None | Some("active") => {}
        Some("pending") => return pending(c, me, &cid).await,
        Some(_) => return Err(AppError::invalid("status", "active or pending")),
    }
    let limit = c.params.i64_in("limit", 1, 1000, 100)? as usize;
    let offset = cursor(c, 0)?.unwrap_or(0);
    let (room, mut list) = svc::with_members(db, &cid).await?.ok_or_else(|| not_found(&cid))?;
    let mine = list.iter().find(|m| m.uid == me).cloned();
    if mine.is_none() && !is_public(&room) {
        return Err(not_found(&cid));
    }
    svc::visible(&room, mine.as_ref(), &mut list);
    list.sort_by_key(|m| (m.rank(), m.joined_at, m.uid));
    let more = list.len() > offset.saturating_add(limit);
    let page: Vec<RoomMember> = list.into_iter().skip(offset).take(limit).collect();
    let uids: Vec<UserId> = page.iter().map(|m| m.uid).collect();
    let found = cards(c, &uids).await?;
    // Lists read no relations: others' phones stay hidden (services::privacy).
    let seen = Seen::own_only(me);
    let items: Vec<Value> = page.iter().map(|m| member_json(m, found.get(&m.uid), &seen)).collect();
    Ok(Reply::data(json!({"items": items, "next_cursor": more.then(|| (offset + limit).to_string())})))
}

/// Pending join requests of a group (owner/admins), oldest first, each with its `user`: one
/// BatchGetItem (room + my membership), one Query of the requests, one BatchGetItem of the
/// requesters.
async fn pending(c: &Call<'_>, me: UserId, cid: &str) -> AppResult<Reply> {
    let list = requests::pending(&c.ctx.db, me, cid).await.map_err(|e| hide_room(e, cid))?;
    let uids: Vec<UserId> = list.iter().map(|r| r.uid).collect();
    let found = cards(c, &uids).await?;
    let seen = Seen::own_only(me);
    let items: Vec<Value> = list
        .iter()
        .map(|r| {
            let mut o = request_json(r);
            o["user"] = found.get(&r.uid).map_or(Value::Null, |card| card_json(card, &seen));
            o
        })
        .collect();
    Ok(Reply::data(json!({"items": items, "next_cursor": null})))
}

/// `GET /api/v1/groups/{group_id}/members/{user_id}` (also `current`): one member, with the
/// visibility of the member list; not a member → 404. Room and both memberships read in
/// parallel, then the profile.
pub async fn member(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = group_id(c)?;
    let raw = c.path_param("user_id")?;
    let target = if raw == "current" { me } else { UserId::parse("user_id", &raw)? };
    let db = &c.ctx.db;
    let who = if target == me { vec![me] } else { vec![me, target] };
    let (room, found) = tokio::join!(svc::get(db, &cid), svc::members_among(db, &cid, &who));
    let room = room?.ok_or_else(|| not_found(&cid))?;
    let found = found?;
    let mine = found.iter().find(|m| m.uid == me);
    if mine.is_none() && !is_public(&room) {
        return Err(not_found(&cid));
    }
    let theirs =
        found.iter().find(|m| m.uid == target).ok_or_else(|| AppError::not_found(format!("member {target}")))?;
    let viewer_admin = mine.is_some_and(RoomMember::is_admin);
    if room.flag("showMember") == 0 && !viewer_admin && !theirs.is_admin() && target != me {
        return Err(AppError::not_found(format!("member {target}")));
    }
    let (profile, seen) = privacy::profile_seen(db, me, target).await?;
    let card = match profile {
        Some(p) => Some(profiles::card(c.ctx, p).await),
        None => None,
    };
    Ok(Reply::data(member_json(theirs, card.as_ref(), &seen)))
}

/// `POST /api/v1/groups/{group_id}/members`: without `user_ids` I join — a public group at
/// once (200 with the group; already a member changes nothing), a private one by a pending
/// request (202 with the request; asking again answers the same request), optional `message`.
/// With `user_ids` the owner/an admin adds those users (`allowInviteFriend = 0` groups; rooms
/// made elsewhere follow their own setting): 200 with the group and `added_user_ids`.
pub async fn join(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = group_id(c)?;
    let db = &c.ctx.db;
    // `user_ids` naming only me is a join like no `user_ids` at all.
    let adds: Vec<UserId> = user_ids(c, "user_ids")?.into_iter().filter(|u| *u != me).collect();
    if !adds.is_empty() {
        let added = svc::invite(&c.ctx.db, c.ctx.now_ms(), me, &cid, &adds).await.map_err(|e| hide_room(e, &cid))?;
        let (room, mine) = svc::as_member(db, &cid, me).await.map_err(|e| hide_room(e, &cid))?;
        let mut out = group_json(&room, Some(&mine));
        out["added_user_ids"] = added.iter().map(|u| u.0).collect();
        return Ok(Reply::data(out));
    }
    let message = c.params.str_max("message", MAX_MESSAGE)?.unwrap_or_default();
    match requests::ask(db, c.ctx.now_ms(), me, &cid, &message).await.map_err(|e| hide_room(e, &cid))? {
        Joined::Member(room, mine) => Ok(Reply::data(group_json(&room, Some(&mine)))),
        Joined::Asked(req, _) => Ok(Reply::data(request_json(&req)).status(202)),
    }
}

/// `DELETE /api/v1/groups/{group_id}/members`: I leave (the owner hands the group to the
/// longest-standing admin, else member; the last one out dismisses it); with `user_ids` (or
/// `user_id`) naming others, the owner/an admin removes them. 204.
pub async fn leave(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = group_id(c)?;
    let mut targets = user_ids(c, "user_ids")?;
    if targets.is_empty() {
        if let Some(u) = c.params.str("user_id")? {
            targets.push(UserId::parse("user_id", &u)?);
        }
    }
    let r = if targets.is_empty() || targets == [me] {
        svc::leave(&c.ctx.db, c.ctx.now_ms(), me, &cid).await
    } else {
        svc::kick(&c.ctx.db, c.ctx.now_ms(), me, &cid, &targets).await.map(|_| ())
    };
    r.map_err(|e| hide_room(e, &cid))?;
    Ok(Reply::empty())
}

/// `POST /api/v1/pendings/requests/{request_id}/approve`.
pub async fn approve(c: &Call<'_>) -> AppResult<Reply> {
    decide(c, true).await
}

/// `POST /api/v1/pendings/requests/{request_id}/reject`.
pub async fn reject(c: &Call<'_>) -> AppResult<Reply> {
    decide(c, false).await
}

/// Approve or reject a join request (services::join_requests::decide): unknown → 404; not the
/// group's owner/an admin → 403; already decided (or asked again since) → 409; a full or
/// dismissed group puts the request back to pending and answers the error. Answers the
/// decided request.
async fn decide(c: &Call<'_>, approve: bool) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let id = c.path_param("request_id")?;
    let cid = parse_id(&id).map(|(cid, _, _)| cid).unwrap_or_default();
    let decided =
        requests::decide(&c.ctx.db, c.ctx.now_ms(), me, &id, approve).await.map_err(|e| hide_room(e, &cid))?;
    Ok(Reply::data(request_json(&decided)))
}
