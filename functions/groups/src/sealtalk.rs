//! SealTalk `/sealtalk/group/*` and `/sealtalk/user/groups`, in the original server's shapes:
//! ids as strings, roles 0 creator / 1 member / 2 manager, times ISO 8601, text fields
//! HTML-escaped on input, JSON bodies.

use crate::{profiles, require_users, user_ids};
use serde_json::{json, Value};
use shared::dialects::sealtalk::iso;
use shared::dialects::sealtalk::rooms::{dismissed_json, group_json, role_code as role};
use shared::dialects::sealtalk_escape as escape;
use shared::domain::rooms::{Changes, Field, GroupEvent, NewRoom, Settings, MAX_NOTICE};
use shared::http::Call;
use shared::ids::UserId;
use shared::services::rooms::{self as svc, avatar_url};
use shared::{AppError, AppResult, Reply};

const MIN_NAME: usize = 2;
const MAX_NAME: usize = 32;
const MAX_DISPLAY_NAME: usize = 32;
const MAX_PORTRAIT: usize = 256;
/// The original's `MAX_GROUP_MEMBER_COUNT` (group.coffee:86-87): more ids → 400.
const MAX_GROUP_MEMBERS: usize = 500;

/// An undecodable groupId is a bad parameter (400), as the original's "Empty groupId." (DIFF-2).
fn group_id(c: &Call<'_>) -> AppResult<String> {
    let id = c.params.req_str("groupId")?;
    if !shared::domain::chat::valid_id(&id) {
        return Err(AppError::invalid("groupId", "not a group id"));
    }
    Ok(id)
}

/// The original's creator-only updates answer 400 "Unknown group or not creator." whether the
/// group is unknown or the caller may not change it (group.coffee:636, 782, 851, 895).
fn not_creator(e: AppError) -> AppError {
    match e {
        AppError::NotFound(_) | AppError::Forbidden(_) => AppError::invalid("groupId", "Unknown group or not creator."),
        e => e,
    }
}

/// Not a member: 403 when the group exists, 404 "Unknown group." when it does not (the
/// original's member-only routes, group.coffee:445, 1037). Read only on the refusal path.
async fn not_member(c: &Call<'_>, gid: &str, e: AppError) -> AppError {
    if !matches!(e, AppError::NotFound(_)) {
        return e;
    }
    match svc::exists(&c.ctx.db, gid).await {
        Ok(true) => AppError::forbidden("Current user is not group member."),
        Ok(false) => e,
        Err(x) => x,
    }
}

/// Group name: 2–32 characters (counted before escaping), HTML-escaped.
fn group_name(c: &Call<'_>) -> AppResult<String> {
    let name = c.params.req_str("name")?;
    let len = name.chars().count();
    if !(MIN_NAME..=MAX_NAME).contains(&len) {
        return Err(AppError::invalid("name", format!("{MIN_NAME}-{MAX_NAME} characters")));
    }
    Ok(escape(&name))
}

/// `POST /group/create` `{name, memberIds}` → `{id}`. The caller is the creator and must be
/// listed, with at least one other member. SealTalk groups are not listed in Shiku's public rooms.
pub async fn create(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let name = group_name(c)?;
    if c.params.raw("memberIds").is_none() {
        return Err(AppError::missing("memberIds"));
    }
    let listed = user_ids(c, "memberIds")?;
    // group.coffee:84-87 and its bulkUpsert: at least 2 members, the creator among them, at
    // most 500 (DIFF-42/43/44).
    if listed.len() < 2 {
        return Err(AppError::invalid("memberIds", "Group's member count should be greater than 1 at least."));
    }
    if listed.len() > MAX_GROUP_MEMBERS {
        return Err(AppError::invalid(
            "memberIds",
            "Group's member count is out of max group member count limit (500).",
        ));
    }
    if !listed.contains(&me) {
        return Err(AppError::invalid("memberIds", "Creator is not in member list."));
    }
    let members: Vec<UserId> = listed.into_iter().filter(|u| *u != me).collect();
    require_users(c, &members).await?;
    let owner = svc::require_user(&c.ctx.db, me).await?;
    let now = c.ctx.now_ms();
    let settings = Settings::from([("isLook".to_string(), Field::Int(1))]);
    let new = NewRoom {
        id: None,
        name: name.clone(),
        owner: me,
        owner_nickname: owner.nickname,
        members: members.clone(),
        settings,
        idem: None,
    };
    let ids: Vec<i64> = members.iter().map(|u| u.0).collect();
    let ev = GroupEvent::new("created", me, json!({"name": name, "userIds": ids}));
    let room = svc::create_room(&c.ctx.db, now, new, &ev).await?;
    Ok(Reply::data(json!({"id": room.id})))
}

/// `POST /group/add` `{groupId, memberIds}`: any member invites (unless the room is
/// invitation-by-admins only); one already in → 400, as the original (DIFF-48).
pub async fn add(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = group_id(c)?;
    let ids = user_ids(c, "memberIds")?;
    if ids.is_empty() {
        return Err(AppError::missing("memberIds"));
    }
    svc::as_member(&c.ctx.db, &gid, me).await?;
    if !svc::members_among(&c.ctx.db, &gid, &ids).await?.is_empty() {
        return Err(AppError::invalid("memberIds", "Should not add exist member to the group."));
    }
    svc::invite(&c.ctx.db, c.ctx.now_ms(), me, &gid, &ids).await?;
    Ok(Reply::empty())
}

/// `POST /group/join` `{groupId}`: already a member → 400, as the original (DIFF-49).
pub async fn join(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = group_id(c)?;
    if svc::member(&c.ctx.db, &gid, me).await?.is_some() {
        return Err(AppError::invalid("groupId", "Should not add exist member to the group."));
    }
    svc::join(&c.ctx.db, c.ctx.now_ms(), me, &gid).await?;
    Ok(Reply::empty())
}

/// `POST /group/kick` `{groupId, memberIds}` (creator or managers). In the original's order
/// (group.coffee:319-354): yourself → 400, unknown group → 404, not allowed → 403, a target
/// who is not a member → 400.
pub async fn kick(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = group_id(c)?;
    let ids = user_ids(c, "memberIds")?;
    if ids.is_empty() {
        return Err(AppError::missing("memberIds"));
    }
    if ids.contains(&me) {
        return Err(AppError::invalid("memberIds", "Can not kick yourself."));
    }
    let mine = match svc::as_member(&c.ctx.db, &gid, me).await {
        Ok((_, m)) => m,
        Err(e) => return Err(not_member(c, &gid, e).await),
    };
    svc::require_admin(&mine)?;
    if svc::members_among(&c.ctx.db, &gid, &ids).await?.len() < ids.len() {
        return Err(AppError::invalid("memberIds", "Can not kick none-member from the group."));
    }
    svc::kick(&c.ctx.db, c.ctx.now_ms(), me, &gid, &ids).await?;
    Ok(Reply::empty())
}

/// `POST /group/quit`: the creator's group passes to the next member (dismissed if none).
pub async fn quit(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = group_id(c)?;
    if let Err(e) = svc::leave(&c.ctx.db, c.ctx.now_ms(), me, &gid).await {
        return Err(not_member(c, &gid, e).await);
    }
    Ok(Reply::empty())
}

/// `POST /group/dismiss` (creator only; else 400 "Unknown group or not creator.").
pub async fn dismiss(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    svc::dismiss(&c.ctx.db, c.ctx.now_ms(), me, &group_id(c)?).await.map_err(not_creator)?;
    Ok(Reply::empty())
}

/// `POST /group/transfer` `{groupId, userId}` (creator only). As the original
/// (group.coffee:686-704): yourself → 403; unknown group, not the creator, or a target who is
/// not a member → 400.
pub async fn transfer(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = group_id(c)?;
    let to = UserId::parse("userId", &c.params.req_str("userId")?)?;
    if to == me {
        return Err(AppError::forbidden("Can not transfer creator role to yourself."));
    }
    let invalid = |e| match e {
        AppError::NotFound(_) | AppError::Forbidden(_) => AppError::invalid("groupId", "Invalid groupId or userId."),
        e => e,
    };
    svc::transfer(&c.ctx.db, c.ctx.now_ms(), me, &gid, to).await.map_err(invalid)?;
    Ok(Reply::empty())
}

/// `POST /group/rename` `{groupId, name}` (creator or managers).
pub async fn rename(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = group_id(c)?;
    let name = group_name(c)?;
    let ev = GroupEvent::new("renamed", me, json!({"name": name}));
    let ch: Changes = vec![("name".into(), Some(Field::from(name.as_str())))];
    svc::update_as_admin(&c.ctx.db, c.ctx.now_ms(), me, &gid, ch, &[ev]).await.map_err(not_creator)?;
    Ok(Reply::empty())
}

/// `POST /group/set_bulletin` `{groupId, bulletin}` (≤ 1024 characters): a room notice.
pub async fn set_bulletin(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = group_id(c)?;
    let text = c.params.str_max("bulletin", MAX_NOTICE)?.unwrap_or_default();
    let (_, mine) = svc::as_member(&c.ctx.db, &gid, me).await.map_err(not_creator)?;
    svc::post_notice(&c.ctx.db, c.ctx.now_ms(), me, &mine, &gid, &escape(&text)).await.map_err(not_creator)?;
    Ok(Reply::empty())
}

/// `POST /group/set_portrait_uri` `{groupId, portraitUri}` (an http(s) URL with a host, 12–256).
pub async fn set_portrait_uri(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = group_id(c)?;
    let uri = c.params.str_max("portraitUri", MAX_PORTRAIT)?.ok_or_else(|| AppError::missing("portraitUri"))?;
    // As the user's portrait (group.coffee:877-880: isURL with a host, 12–256 characters).
    shared::dialects::sealtalk::input::check_portrait_url("portraitUri", &uri)?;
    let ev = GroupEvent::new("portrait", me, json!({"portraitUri": uri}));
    let ch: Changes = vec![("portrait".into(), Some(Field::from(uri.as_str())))];
    svc::update_as_admin(&c.ctx.db, c.ctx.now_ms(), me, &gid, ch, &[ev]).await.map_err(not_creator)?;
    Ok(Reply::empty())
}

/// `POST /group/set_display_name` `{groupId, displayName}`: my name in the group (≤ 32).
pub async fn set_display_name(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = group_id(c)?;
    let name = c.params.str_max("displayName", MAX_DISPLAY_NAME)?.map(|x| escape(&x)).unwrap_or_default();
    let now = c.ctx.now_ms();
    let ch: Changes = vec![("nickname".into(), if name.is_empty() { None } else { Some(Field::from(name.as_str())) })];
    let ev = GroupEvent::new("member", me, json!({"userId": me.0, "nickname": name}));
    if !svc::update_member(&c.ctx.db, now, &gid, me, ch, &[ev]).await? {
        return Err(AppError::not_found(format!("group {gid}")));
    }
    Ok(Reply::empty())
}

/// `GET /group/{id}` (members only).
pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = c.path_param("id")?;
    match svc::as_member(&c.ctx.db, &gid, me).await {
        Ok((room, _)) => Ok(Reply::data(group_json(&room))),
        // As the original (paranoid: false, group.coffee:969): a dismissed group still
        // answers, with `deletedAt`; here to its former members only (DIFF-60).
        Err(AppError::NotFound(m)) => match svc::dismissed_seen_by(&c.ctx.db, &gid, me).await? {
            Some(d) => Ok(Reply::data(dismissed_json(&d))),
            None => Err(AppError::NotFound(m)),
        },
        Err(e) => Err(e),
    }
}

/// `GET /group/{id}/members` (members only: 403 to others, 404 for an unknown group): `[{displayName, role, createdAt, updatedAt, user: {id, nickname,
/// portraitUri}}]`. One Query (room + members) + ⌈members/100⌉ BatchGetItem of profiles.
pub async fn members(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let gid = c.path_param("id")?;
    let not_found = || AppError::not_found(format!("group {gid}"));
    let Some((_, _, mut members)) = svc::members_as_seen_by(&c.ctx.db, &gid, me).await? else {
        return Err(not_member(c, &gid, not_found()).await);
    };
    members.sort_by_key(|m| (m.rank(), m.joined_at, m.uid));
    let uids: Vec<UserId> = members.iter().map(|m| m.uid).collect();
    let profiles = profiles(c, &uids).await?;
    let mut out = Vec::with_capacity(members.len());
    for m in &members {
        let p = profiles.get(&m.uid);
        let portrait = avatar_url(c.ctx, p.and_then(|p| p.avatar.as_deref())).await.unwrap_or_default();
        out.push(json!({
            "displayName": m.nickname,
            "role": role(m),
            "createdAt": iso(m.joined_at),
            "updatedAt": iso(m.modified_at),
            "user": {"id": m.uid.to_string(), "nickname": p.map(|p| p.nickname.clone()).unwrap_or_default(), "portraitUri": portrait},
        }));
    }
    Ok(Reply::data(Value::Array(out)))
}

/// `GET /user/groups`: my groups, each flat (`id, name, portraitUri, creatorId, memberCount`,
/// as the API document shows) with `role` and the same under `group` (as the original
/// server answers). One GSI1 Query + ⌈groups/100⌉ BatchGetItem.
pub async fn user_groups(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mut mine = svc::of_user(&c.ctx.db, me).await?;
    mine.sort_by_key(|(r, _)| (r.created_at(), r.id.clone()));
    let out: Vec<Value> = mine
        .iter()
        .map(|(r, m)| {
            let mut g = group_json(r);
            g["role"] = json!(role(m));
            g["displayName"] = json!(m.nickname);
            g["group"] = group_json(r);
            g
        })
        .collect();
    Ok(Reply::data(Value::Array(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(escape("<b>x</b> & 'y'"), "&lt;b&gt;x&lt;/b&gt; & 'y'");
    }
}
