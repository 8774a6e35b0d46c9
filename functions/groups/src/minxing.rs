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
use shared::http::Call;
use shared::ids::UserId;
use shared::privacy::{self, Seen};
use shared::services::rooms::{self as svc, require_admin};
use shared::store::requests::{self, JoinRequest, APPROVED, REJECTED};
use shared::store::rooms::{self, Changes, Field, GroupEvent, NewRoom, Room, RoomMember, Settings};
use shared::store::{conversations as convs, events, profiles, users, Item, ItemExt};
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
    if !convs::valid_id(&cid) || !convs::is_group(&cid) {
        return Err(not_found(&cid));
    }
    Ok(cid)
}

/// Anyone may join at once (and see the members); otherwise joining is a request.
fn is_public(r: &Room) -> bool {
    r.flag("isNeedVerify") == 0
}

pub fn group_json(r: &Room, me: Option<&RoomMember>) -> Value {
    json!({
        "id": r.id,
        "name": r.name(),
        "description": r.text("desc"),
        "public": is_public(r),
        "creator_id": r.owner().0,
        "member_count": r.member_count(),
        "max_member_count": r.max_users(),
        "is_member": me.is_some(),
        "is_admin": me.is_some_and(RoomMember::is_admin),
        "role": me.map(|m| m.role.clone()),
        "created_at": r.created_at(),
        "updated_at": r.modified_at(),
    })
}

fn request_json(r: &JoinRequest) -> Value {
    json!({
        "id": r.id(),
        "type": "group_join",
        "group_id": r.cid,
        "user_id": r.uid.0,
        "status": r.state,
        "message": r.message,
        "decided_by": r.decided_by.map(|u| u.0),
        "created_at": r.at,
        "updated_at": r.updated_at,
    })
}

/// A user as the Minxing users endpoints render it (shared::dialects::minxing; phone as `seen` allows).
async fn user_json(c: &Call<'_>, it: &Item, seen: &Seen) -> Option<Value> {
    let u = users::from_item(it)?;
    let avatar = profiles::avatar_url(c.ctx, it.str("avatar")).await;
    let shown = shared::domain::users::Shown {
        user: &u,
        avatar_url: avatar.as_deref(),
        updated_at: it.i64("updatedAt").unwrap_or(u.created_at),
        phone: seen.phone(it),
        is_self: seen.is_self(u.uid),
    };
    Some(shared::dialects::minxing::user_json(&shown))
}

/// A member: the user, plus `role` (owner/admin/member), `display_name` (name in the group)
/// and `joined_at`.
async fn member_json(c: &Call<'_>, m: &RoomMember, profile: Option<&Item>, seen: &Seen) -> Value {
    let user = match profile {
        Some(it) => user_json(c, it, seen).await,
        None => None,
    };
    let mut o = user.unwrap_or_else(|| json!({"id": m.uid.0, "name": ""}));
    let display = if m.nickname.is_empty() { o["name"].clone() } else { json!(m.nickname) };
    o["display_name"] = display;
    o["role"] = json!(m.role);
    o["joined_at"] = json!(m.joined_at);
    o
}

/// Profile items of `uids` by id (⌈n/100⌉ BatchGetItem).
async fn profile_items(c: &Call<'_>, uids: &[UserId]) -> AppResult<HashMap<UserId, Item>> {
    let mut uids = uids.to_vec();
    uids.sort();
    uids.dedup();
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    let items = profiles::get_many(&c.ctx.db, &uids).await?;
    Ok(items.into_iter().filter_map(|it| Some((UserId(it.i64("uid")?), it))).collect())
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
    if members.len() as i64 >= rooms::MAX_USERS {
        return Err(AppError::Refused {
            code: rooms::REFUSED_ROOM_FULL,
            message: format!("a group holds at most {} members", rooms::MAX_USERS),
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
    };
    let ids: Vec<i64> = members.iter().map(|u| u.0).collect();
    let ev = GroupEvent::new("created", me, json!({"name": name, "userIds": ids}));
    let room = shared::services::rooms::create_room(db, now, new, &ev).await?;
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
    let (mine, public) = tokio::join!(rooms::of_user(db, me), rooms::public(db, (end + 1) as i32, q.as_deref()));
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
    let (room, mine) = rooms::as_member(db, &cid, me).await.map_err(|e| hide_room(e, &cid))?;
    require_admin(&mine)?;
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
    shared::store::room_writes::update(db, now, &cid, me, ch, &events).await?;
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
    let (room, mut list) = rooms::with_members(db, &cid).await?.ok_or_else(|| not_found(&cid))?;
    let mine = list.iter().find(|m| m.uid == me).cloned();
    if mine.is_none() && !is_public(&room) {
        return Err(not_found(&cid));
    }
    shared::services::rooms::visible(&room, mine.as_ref(), &mut list);
    list.sort_by_key(|m| (m.rank(), m.joined_at, m.uid));
    let more = list.len() > offset.saturating_add(limit);
    let page: Vec<RoomMember> = list.into_iter().skip(offset).take(limit).collect();
    let uids: Vec<UserId> = page.iter().map(|m| m.uid).collect();
    let found = profile_items(c, &uids).await?;
    // Lists read no relations: others' phones stay hidden (shared::privacy).
    let seen = Seen::own_only(me);
    let mut items = Vec::with_capacity(page.len());
    for m in &page {
        items.push(member_json(c, m, found.get(&m.uid), &seen).await);
    }
    Ok(Reply::data(json!({"items": items, "next_cursor": more.then(|| (offset + limit).to_string())})))
}

/// Pending join requests of a group (owner/admins), oldest first: one BatchGetItem (room +
/// my membership), one Query of the requests, one BatchGetItem of the requesters.
async fn pending(c: &Call<'_>, me: UserId, cid: &str) -> AppResult<Reply> {
    let db = &c.ctx.db;
    let (room, mine) = rooms::as_member(db, cid, me).await.map_err(|e| hide_room(e, cid))?;
    require_admin(&mine)?;
    let list = requests::pending(db, cid, room.created_at()).await?;
    let uids: Vec<UserId> = list.iter().map(|r| r.uid).collect();
    let found = profile_items(c, &uids).await?;
    let mut items = Vec::with_capacity(list.len());
    for r in &list {
        let mut o = request_json(r);
        o["user"] = match found.get(&r.uid) {
            Some(it) => user_json(c, it, &Seen::own_only(me)).await.unwrap_or(Value::Null),
            None => Value::Null,
        };
        items.push(o);
    }
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
    let (room, found) = tokio::join!(rooms::get(db, &cid), rooms::members_among(db, &cid, &who));
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
    let loaded = privacy::load(db, &[target], &[(target, me)], vec![]).await?;
    let seen = loaded.seen_by(me);
    Ok(Reply::data(member_json(c, theirs, loaded.profiles.get(&target), &seen).await))
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
        let (room, mine) = rooms::as_member(db, &cid, me).await.map_err(|e| hide_room(e, &cid))?;
        let mut out = group_json(&room, Some(&mine));
        out["added_user_ids"] = added.iter().map(|u| u.0).collect();
        return Ok(Reply::data(out));
    }
    let message = c.params.str_max("message", requests::MAX_MESSAGE)?.unwrap_or_default();
    match svc::join(&c.ctx.db, c.ctx.now_ms(), me, &cid).await {
        Ok(()) => {
            let (room, mine) = rooms::as_member(db, &cid, me).await.map_err(|e| hide_room(e, &cid))?;
            Ok(Reply::data(group_json(&room, Some(&mine))))
        }
        Err(AppError::Refused { code, .. }) if code == rooms::REFUSED_NEEDS_VERIFY => {
            let room = rooms::get(db, &cid).await?.ok_or_else(|| not_found(&cid))?;
            let now = c.ctx.now_ms();
            let (req, new) = requests::ask(db, now, &cid, room.created_at(), me, &message).await?;
            if new {
                let approvers = requests::approvers(db, &cid).await?;
                let extra = json!({"requestId": req.id(), "userId": me.0, "message": message});
                let frame = shared::realtime::frames::group_event("joinRequested", &cid, me, now, extra);
                events::put_user_events(db, now, &approvers, &frame).await?;
            }
            Ok(Reply::data(request_json(&req)).status(202))
        }
        Err(e) => Err(hide_room(e, &cid)),
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

/// Approve or reject a join request: unknown → 404; not the group's owner/an admin → 403;
/// already decided (or asked again since) → 409. The decision is a conditional write, so of
/// two deciders one wins. Approval then joins the user (capacity as every join; a full or
/// dismissed group puts the request back to pending and answers the error) and emits the
/// group's `joined` event; rejection sends the requester a `joinRejected` group frame.
/// Reads: request, room and my membership in parallel (3 GetItem).
async fn decide(c: &Call<'_>, approve: bool) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let id = c.path_param("request_id")?;
    let unknown = || AppError::not_found(format!("request {id}"));
    let (cid, uid, at) = requests::parse_id(&id).ok_or_else(unknown)?;
    let db = &c.ctx.db;
    let now = c.ctx.now_ms();
    let (req, room, mine) =
        tokio::join!(requests::current(db, now, &cid, uid), rooms::get(db, &cid), rooms::member(db, &cid, me));
    // A newer request by the same user replaced this one after it was decided.
    let req = req?.filter(|r| r.at >= at).ok_or_else(unknown)?;
    let room = room?;
    if !mine?.is_some_and(|m| m.is_admin()) {
        return Err(AppError::forbidden("only the group's owner or an admin may decide its requests"));
    }
    let room = room.filter(|r| r.created_at() == req.room_at).ok_or_else(|| not_found(&cid))?;
    let conflict = || AppError::Conflict(format!("request {id} was already decided"));
    if req.at != at || !req.is_pending() {
        return Err(conflict());
    }
    let state = if approve { APPROVED } else { REJECTED };
    if !requests::decide(db, now, &req, state, me).await? {
        return Err(conflict());
    }
    if approve {
        let ev = GroupEvent::new("joined", me, json!({"userIds": [uid.0], "inviter": me.0, "requestId": id}));
        match shared::store::invites::join(db, now, &cid, uid, room.max_users(), &ev).await {
            Ok(_) => {} // Ok(false): joined meanwhile (invited)
            Err(e) => {
                if let Err(undo) = requests::reopen(db, &req, me).await {
                    tracing::warn!(request = %id, error = %undo, "could not reopen a request whose join failed");
                }
                return Err(hide_room(e, &cid));
            }
        }
    } else {
        let frame = shared::realtime::frames::group_event(
            "joinRejected",
            &cid,
            me,
            now,
            json!({"requestId": id, "userId": uid.0}),
        );
        events::put_user_events(db, now, &[uid], &frame).await?;
    }
    let decided = JoinRequest { state: state.into(), decided_by: Some(me), updated_at: now, ..req };
    Ok(Reply::data(request_json(&decided)))
}
