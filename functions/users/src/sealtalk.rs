//! SealTalk: nickname and portrait, IM/upload tokens, user lookups. Ids are
//! strings; text inputs are HTML-escaped on input as the original server does.

use serde_json::{json, Value};
use shared::auth::token_from_request;
use shared::dialects::sealtalk::input;
use shared::dialects::sealtalk::users::{self as sealtalk_users, Fields};
use shared::domain::chat::Kind;
use shared::domain::relations::ListKind;
use shared::domain::users::Edit;
use shared::http::Call;
use shared::ids::LoginName;
use shared::services::profiles::{self, avatars, Card};
use shared::services::{chat, relations, rooms};
use shared::{AppError, AppResult, Reply, UserId};

pub const NICKNAME_MAX: usize = 32;

fn user_json(v: &Card) -> Value {
    sealtalk_users::user_json(v.user.uid, Some(&v.user), v.avatar_url.as_deref(), Fields::Basic)
}

fn parse_id(name: &str, raw: &str) -> AppResult<UserId> {
    UserId::parse(name, raw)
}

pub async fn set_nickname(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.params.req_str("nickname")?;
    // Escaped as `Utility.xss(nickname, 32)`, then counted (user.coffee:383-386).
    let nickname = input::xss(&raw, NICKNAME_MAX);
    if nickname.chars().count() > NICKNAME_MAX || raw.chars().any(char::is_control) {
        return Err(AppError::invalid("nickname", format!("1-{NICKNAME_MAX} characters")));
    }
    let edit = Edit { nickname: Some(nickname), ..Default::default() };
    profiles::edit(c.ctx, me, &edit).await?;
    Ok(Reply::empty())
}

/// `portraitUri`: an http(s) URL of 12-256 characters (`isURL`, user.coffee:444-450), or the
/// `key` of an upload made with get_image_token (an S3 key under the caller's own avatar prefix).
pub async fn set_portrait_uri(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let uri = c.params.req_str("portraitUri")?;
    if uri.contains("://") || uri.starts_with("http") {
        input::check_portrait_url("portraitUri", &uri)?;
    }
    avatars::set_avatar(c.ctx, me, "portraitUri", uri).await?;
    Ok(Reply::empty())
}

/// The IM token: our session token, usable on the WebSocket API.
pub async fn get_token(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let token = token_from_request(c.dialect, &c.req, &c.params).ok_or(AppError::TokenMissing)?;
    Ok(Reply::data(json!({"userId": me.to_string(), "token": token})))
}

/// Upload credentials: a presigned S3 PUT for a fresh key under the caller's avatar prefix
/// (`target: "s3"`); after the PUT, pass `key` to set_portrait_uri. The URL signs the
/// content type (`contentType`, default image/jpeg: the PUT must send it as `headers` says)
/// and, when the client gives `size`, the exact length; S3 refuses any other PUT.
pub async fn get_image_token(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let ct = c.params.str("contentType")?;
    let size = c.params.i64("size")?;
    let up = avatars::upload_url(c.ctx, me, ct, size).await?;
    Ok(Reply::data(json!({
        "target": "s3",
        "domain": c.ctx.bucket,
        "token": up.put_url,
        "method": "PUT",
        "headers": {"Content-Type": up.content_type},
        "maxSize": avatars::MAX_IMAGE_BYTES,
        "key": up.key,
        "url": up.url,
    })))
}

/// `id` repeated (or a comma list), at most 100: one BatchGetItem. Unknown and malformed ids
/// are left out, no id at all answers `[]` (user.coffee:885-903).
pub async fn batch(c: &Call<'_>) -> AppResult<Reply> {
    c.session().await?;
    let raw = c.params.list("id")?;
    if raw.len() > 100 {
        return Err(AppError::invalid("id", "at most 100 ids"));
    }
    let uids: Vec<UserId> = raw.iter().filter_map(|r| parse_id("id", r).ok()).collect();
    if uids.is_empty() {
        return Ok(Reply::data(json!([])));
    }
    let views = profiles::many(c.ctx, &uids).await?;
    Ok(Reply::data(Value::Array(views.iter().map(user_json).collect())))
}

pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    // `/user/get_sms_img_code` lands here. The original exempts it from the login and always
    // fails (500, user.coffee:602-612): answer 404 (not implemented) without a session.
    if c.path_param("id")? == "get_sms_img_code" {
        return Err(AppError::not_found("get_sms_img_code"));
    }
    c.session().await?;
    // A malformed id is an unknown user (404 "Unknown user.", user.coffee:923-924).
    let uid = parse_id("id", &c.path_param("id")?).map_err(|_| AppError::not_found("user"))?;
    let v = profiles::require(c.ctx, uid).await?;
    Ok(Reply::data(user_json(&v)))
}

/// Find by telephone; 404 for unknown numbers and for people who turned
/// `phoneSearch` off (indistinguishable). Each lookup uses the caller's allowance
/// (store/lookups.rs, shared with Shiku getByAccount): over it → `{code: 5000}`.
pub async fn find(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let phone = input::phone_of(Some(&c.path_param("region")?), &c.path_param("phone")?)?;
    let nf = || AppError::not_found("user");
    let name = LoginName::Phone(phone);
    let uid = profiles::find_login(c.ctx, me, &name).await?.ok_or_else(nf)?;
    let v =
        profiles::require(c.ctx, uid).await.map_err(|e| if matches!(e, AppError::NotFound(_)) { nf() } else { e })?;
    if !profiles::reachable(me, &name, &v) {
        return Err(nf());
    }
    Ok(Reply::data(user_json(&v)))
}

/// Everything that changed since `version` (epoch ms; 0 or negative = all): my profile,
/// friends, blacklist, groups and their members — SealTalk's offline catch-up. As the
/// original (user.coffee:741-882): `version` is null when nothing changed, `group_members`
/// null when no group changed; removals since `version` come from the tombstones
/// (`relations::gone_since`): an ended friendship is a friend row with status 30
/// (friendship:323-345), an unblock a blacklist row `status:false` (user:540-565), a group
/// left, kicked from or dismissed a group row `isDeleted:true`. Rows carry `user`
/// `{id, nickname, portraitUri}` (friends and blacklist: the copy kept on the relation).
/// Costs: session, profile, two relation Queries, the tombstone Query, one membership Query
/// and a META BatchGetItem; when groups changed, one member Query per changed group and the
/// members' profiles (⌈n/100⌉ BatchGetItem).
pub async fn sync(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.path_param("version")?;
    let since: i64 = raw
        .strip_prefix('+')
        .unwrap_or(&raw)
        .parse::<i64>()
        .map_err(|_| AppError::invalid("version", "must be an integer (a timestamp in ms)"))?
        .max(0);
    let db = &c.ctx.db;
    let mine = profiles::require(c.ctx, me).await?;
    let (following, blocked, convs, gone) = tokio::try_join!(
        relations::list(db, me, ListKind::Following, None, None),
        relations::list(db, me, ListKind::Blacklist, None, None),
        chat::conversations_of(db, me),
        relations::gone_since(db, me, since, c.ctx.now_secs()),
    )?;
    let mut version: Option<i64> = None;
    let mut bump = |t: i64| version = Some(version.map_or(t, |v| v.max(t)));
    let user = (mine.updated_at > since).then(|| {
        bump(mine.updated_at);
        let mut u = user_json(&mine);
        u["timestamp"] = json!(mine.updated_at);
        u
    });
    let other_json = |id: &str, nickname: &str, avatar: Option<&str>| json!({"id": id, "nickname": nickname, "portraitUri": avatar.unwrap_or_default()});
    // A tombstone of something live again (befriended, blocked, joined anew) is not reported.
    let gone_of = |kind: &str, live: &dyn Fn(&str) -> bool| {
        gone.iter().filter(|g| g.kind == kind && !live(&g.other)).cloned().collect::<Vec<_>>()
    };
    let mut friends = vec![];
    for r in following.items.iter().filter(|r| r.modify_time > since) {
        bump(r.modify_time);
        let id = r.other.to_string();
        let status = if r.status == relations::Status::Friends { 20 } else { 10 };
        let user = other_json(&id, &r.to_nickname, r.to_avatar.as_deref());
        friends.push(json!({"friendId": id, "displayName": r.remark, "status": status, "timestamp": r.modify_time, "user": user}));
    }
    for g in gone_of(relations::gone::FRIEND, &|id| following.items.iter().any(|r| r.other.to_string() == id)) {
        bump(g.at);
        let user = other_json(&g.other, &g.name, g.avatar.as_deref());
        friends.push(json!({"friendId": g.other, "displayName": "", "status": 30, "timestamp": g.at, "user": user}));
    }
    let mut blacklist = vec![];
    for r in blocked.items.iter().filter(|r| r.modify_time > since) {
        bump(r.modify_time);
        let id = r.other.to_string();
        let user = other_json(&id, &r.to_nickname, r.to_avatar.as_deref());
        blacklist.push(json!({"friendId": id, "status": true, "timestamp": r.modify_time, "user": user}));
    }
    for g in gone_of(relations::gone::BLOCK, &|id| blocked.items.iter().any(|r| r.other.to_string() == id)) {
        bump(g.at);
        let user = other_json(&g.other, &g.name, g.avatar.as_deref());
        blacklist.push(json!({"friendId": g.other, "status": false, "timestamp": g.at, "user": user}));
    }
    let mut groups = vec![];
    let mut members_of = vec![];
    for (conv, m) in convs.iter().filter(|(conv, _)| conv.kind == Kind::Group) {
        let changed = conv.created_at.max(m.joined_at);
        if changed <= since {
            continue;
        }
        bump(changed);
        let role = if m.role == "owner" { 0 } else { 1 };
        groups.push(json!({
            "groupId": conv.id, "displayName": "", "role": role, "isDeleted": false,
            "group": {"id": conv.id, "name": conv.name, "portraitUri": "", "timestamp": conv.created_at},
        }));
        // One Query (META + members); showMember = 0 hides plain members as in every member list.
        // The group is new to me (created or joined since `version`): all its members are.
        if let Some((_, _, members)) = rooms::members_as_seen_by(db, &conv.id, m.uid).await? {
            members_of.push((conv.id.clone(), members));
        }
    }
    for g in gone_of(relations::gone::GROUP, &|cid| convs.iter().any(|(conv, _)| conv.id == cid)) {
        bump(g.at);
        let role = if g.role == "owner" { 0 } else { 1 };
        groups.push(json!({
            "groupId": g.other, "displayName": "", "role": role, "isDeleted": true,
            "group": {"id": g.other, "name": g.name, "portraitUri": "", "timestamp": g.at},
        }));
    }
    let uids: Vec<UserId> = members_of.iter().flat_map(|(_, ms)| ms.iter().map(|m| m.uid)).collect();
    let cards = if uids.is_empty() { vec![] } else { profiles::many(c.ctx, &uids).await? };
    let mut group_members = vec![];
    for (gid, members) in &members_of {
        for member in members {
            let user = match cards.iter().find(|k| k.user.uid == member.uid) {
                Some(k) => user_json(k),
                None => other_json(&member.uid.to_string(), "", None),
            };
            group_members.push(json!({
                "groupId": gid, "memberId": member.uid.to_string(), "displayName": member.nickname,
                "role": if member.role == "owner" { 0 } else { 1 }, "isDeleted": false,
                "timestamp": member.joined_at.max(member.modified_at), "user": user,
            }));
        }
    }
    let group_members = if groups.is_empty() { Value::Null } else { json!(group_members) };
    Ok(Reply::data(json!({
        "version": version,
        "user": user,
        "blacklist": blacklist,
        "friends": friends,
        "groups": groups,
        "group_members": group_members,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(input::xss("<a>hi</a> & 'x'", 32), "&lt;a&gt;hi&lt;/a&gt; & 'x'");
    }
}
