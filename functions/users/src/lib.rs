//! `users` endpoints: profiles, privacy settings, search, nearby, presence,
//! favourites, reports and key pairs in the Shiku, Minxing and SealTalk dialects.
//! Routes: infra/template.yaml, `UsersFunction`. One profile item serves every
//! dialect, so an edit through one shows in all.

pub mod crypto;
mod minxing;
mod nearby;
mod sealtalk;
mod shiku;

use lambda_http::{Body, Request, Response};
use shared::domain::users::Shown;
use shared::http::{serve, Call};
use shared::privacy::{self, Seen};
use shared::store::geo::Point;
use shared::store::{profiles, users, Item, ItemExt};
use shared::{AppError, AppResult, Ctx, Params, Reply, UserId};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        (_, "/user/get") => shiku::get(&c).await,
        (_, "/user/update") => shiku::update(&c).await,
        (_, "/user/getByAccount") => shiku::get_by_account(&c).await,
        (_, "/user/query") => shiku::query(&c).await,
        (_, "/user/settings") => shiku::settings(&c).await,
        (_, "/user/settings/update") => shiku::settings_update(&c).await,
        (_, "/user/getUserStatusCount") => shiku::status_count(&c).await,
        (_, "/user/getOnLine") => shiku::online(&c).await,
        (_, "/user/report") => shiku::report(&c).await,
        (_, "/user/channelId/set") => shiku::channel_id(&c).await,
        (_, "/user/bind/wxcode") => shiku::bind_wx(&c).await,
        (_, "/user/uploadKey") => shiku::upload_key(&c).await,
        (_, "/emoji/add") => shiku::emoji_add(&c).await,
        (_, "/emoji/list") => shiku::emoji_list(&c).await,
        (_, "/collection/list") => shiku::collection_list(&c).await,
        (_, "/emoji/delete") => shiku::emoji_delete(&c).await,
        (_, "/nearby/user") => nearby::nearby(&c).await,
        (_, "/nearby/newUser") => nearby::new_users(&c).await,
        (_, "/authkeys/getPayPrivateKey") => shiku::get_pay_private_key(&c).await,
        (_, "/authkeys/uploadPayKey") => shiku::upload_pay_key(&c).await,
        (_, "/authkeys/uploadMsgKey") => shiku::upload_msg_key(&c).await,
        (_, "/authkeys/uploadDhMsgKey") => shiku::upload_single_key(&c, shared::store::keypairs::Kind::Dh).await,
        (_, "/authkeys/uploadRsaMsgKey") => shiku::upload_single_key(&c, shared::store::keypairs::Kind::Rsa).await,
        (_, "/authkeys/getDHMsgKeyList") => shiku::dh_key_list(&c).await,
        ("GET", "/api/v1/users/{user_id}") => minxing::get(&c).await,
        ("POST", "/api/v1/users") => minxing::update(&c).await,
        ("POST", "/sealtalk/user/set_nickname") => sealtalk::set_nickname(&c).await,
        ("POST", "/sealtalk/user/set_portrait_uri") => sealtalk::set_portrait_uri(&c).await,
        ("GET", "/sealtalk/user/get_token") => sealtalk::get_token(&c).await,
        ("GET", "/sealtalk/user/get_image_token") => sealtalk::get_image_token(&c).await,
        ("GET", "/sealtalk/user/batch") => sealtalk::batch(&c).await,
        ("GET", "/sealtalk/user/{id}") => sealtalk::get(&c).await,
        ("GET", "/sealtalk/user/find/{region}/{phone}") => sealtalk::find(&c).await,
        ("GET", "/sealtalk/user/sync/{version}") => sealtalk::sync(&c).await,
        _ => Err(c.not_found()),
    }
}

/// A profile item with its parsed account and a loadable avatar URL.
pub(crate) struct View {
    pub user: users::User,
    pub item: Item,
    pub avatar_url: Option<String>,
}

impl View {
    pub async fn of(ctx: &Ctx, item: Item) -> AppResult<View> {
        let user = users::from_item(&item).ok_or_else(|| AppError::internal("malformed profile item"))?;
        let avatar_url = profiles::avatar_url(ctx, item.str("avatar")).await;
        Ok(View { user, item, avatar_url })
    }

    pub async fn many(ctx: &Ctx, items: Vec<Item>) -> AppResult<Vec<View>> {
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            out.push(View::of(ctx, it).await?);
        }
        Ok(out)
    }

    /// The exact location: for the owner, and for measuring (never rendered to others).
    pub fn location(&self) -> Option<Point> {
        Some(Point { lat: self.item.f64("latitude")?, lng: self.item.f64("longitude")? })
    }

    /// The location as `seen`'s viewer may see it: exact for the owner, coarse for others.
    pub fn location_for(&self, seen: &Seen) -> Option<Point> {
        let p = self.location()?;
        Some(if seen.is_self(self.user.uid) { p } else { p.coarse() })
    }

    pub fn updated_at(&self) -> i64 {
        self.item.i64("updatedAt").unwrap_or(self.user.created_at)
    }

    /// The input of the dialect user views: what `seen`'s viewer may see (shared::privacy).
    pub fn shown(&self, seen: &Seen) -> Shown<'_> {
        Shown {
            user: &self.user,
            avatar_url: self.avatar_url.as_deref(),
            updated_at: self.updated_at(),
            phone: seen.phone(&self.item),
            is_self: seen.is_self(self.user.uid),
        }
    }
}

/// After a nickname or avatar change: refresh the denormalised copy on the relations
/// of everyone who follows or befriended the user (store/relations.rs). The profile
/// itself is already saved, so a failure here is logged, not answered.
pub(crate) async fn propagate_profile(ctx: &Ctx, edit: &profiles::Edit, item: &Item) {
    if edit.nickname.is_none() && edit.avatar.is_none() {
        return;
    }
    let Some(uid) = item.i64("uid").map(UserId) else { return };
    let nickname = item.string("nickname");
    if let Err(e) = shared::store::relations::refresh_profile(&ctx.db, uid, &nickname, item.str("avatar")).await {
        tracing::warn!(%uid, error = %e, "could not refresh relations after a profile change");
    }
    let avatar = profiles::avatar_url(ctx, item.str("avatar")).await;
    let frame = shared::realtime::frames::profile_changed_frame(uid, &nickname, avatar.as_deref(), ctx.now_ms());
    if let Err(e) = profiles::record_change_event(&ctx.db, uid, &frame, ctx.now_ms()).await {
        tracing::warn!(%uid, error = %e, "could not record the profile change event");
    }
}

/// One profile as `viewer` may see it: the profile, the target's relation to the viewer
/// (shared::privacy) and the `extra` keys in one BatchGetItem; NotFound without a profile.
pub(crate) async fn profile_for(
    ctx: &Ctx,
    viewer: UserId,
    uid: UserId,
    extra: Vec<Item>,
) -> AppResult<(View, Seen, Vec<Item>)> {
    let mut l = privacy::load(&ctx.db, &[uid], &[(uid, viewer)], extra).await?;
    let item = l.profiles.remove(&uid).ok_or_else(|| AppError::not_found(format!("user {uid}")))?;
    let seen = l.seen_by(viewer);
    Ok((View::of(ctx, item).await?, seen, l.extra))
}

/// Load one profile or answer NotFound.
pub(crate) async fn require_profile(ctx: &Ctx, uid: UserId) -> AppResult<View> {
    let it = profiles::get(&ctx.db, uid).await?.ok_or_else(|| AppError::not_found(format!("user {uid}")))?;
    View::of(ctx, it).await
}

/// A user id parameter, or the caller when absent.
pub(crate) fn uid_or_me(p: &Params, name: &str, me: UserId) -> AppResult<UserId> {
    match p.str(name)? {
        Some(v) => UserId::parse(name, &v),
        None => Ok(me),
    }
}

/// Shared validation of profile fields.
pub(crate) mod check {
    use super::*;

    pub const NICKNAME_MAX: usize = 64;
    pub const DESCRIPTION_MAX: usize = 256;

    pub fn nickname(name: &str, raw: Option<String>, max: usize) -> AppResult<Option<String>> {
        match raw {
            None => Ok(None),
            Some(n) if n.chars().count() > max => Err(AppError::invalid(name, format!("1-{max} characters"))),
            Some(n) if n.chars().any(char::is_control) => Err(AppError::invalid(name, "control characters")),
            Some(n) => Ok(Some(n)),
        }
    }

    pub fn sex(name: &str, v: Option<i64>) -> AppResult<Option<i64>> {
        match v {
            Some(s) if ![0, 1].contains(&s) => Err(AppError::invalid(name, "must be 0 or 1")),
            v => Ok(v),
        }
    }

    /// Birthday in epoch seconds, not in the future (milliseconds are accepted and converted).
    pub fn birthday(name: &str, v: Option<i64>, now_secs: i64) -> AppResult<Option<i64>> {
        match v {
            None => Ok(None),
            Some(b) => {
                // Milliseconds when implausibly large as seconds (unsigned_abs: i64::MIN has no abs).
                let b = if b.unsigned_abs() > 100_000_000_000 { b / 1000 } else { b };
                if b > now_secs || b < -5_000_000_000 {
                    return Err(AppError::invalid(name, "not a plausible birthday"));
                }
                Ok(Some(b))
            }
        }
    }

    pub fn region_id(p: &Params, name: &str) -> AppResult<Option<i64>> {
        match p.i64(name)? {
            Some(v) if !(0..=99_999_999).contains(&v) => Err(AppError::invalid(name, "not a region id")),
            v => Ok(v),
        }
    }

    /// `latitude` + `longitude`, both or neither.
    pub fn location(p: &Params) -> AppResult<Option<Point>> {
        match (p.f64("latitude")?, p.f64("longitude")?) {
            (None, None) => Ok(None),
            (Some(lat), Some(lng)) => Point::new(lat, lng).map(Some),
            (None, Some(_)) => Err(AppError::missing("latitude")),
            (Some(_), None) => Err(AppError::missing("longitude")),
        }
    }

    /// Opaque client strings (urls, ids, keys): bounded, no control characters.
    pub fn text(p: &Params, name: &str, max: usize) -> AppResult<Option<String>> {
        match p.str(name)? {
            Some(v) if v.len() > max => Err(AppError::invalid(name, format!("longer than {max} bytes"))),
            Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r') => {
                Err(AppError::invalid(name, "control characters"))
            }
            v => Ok(v),
        }
    }

    pub fn req_text(p: &Params, name: &str, max: usize) -> AppResult<String> {
        text(p, name, max)?.ok_or_else(|| AppError::missing(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_checks() {
        let now = 1_700_000_000;
        assert_eq!(shared::domain::users::age(now - 30 * 365 * 86_400 - 20 * 86_400, now), 30);
        assert_eq!(shared::domain::users::age(now + 10, now), 0);
        assert!(check::sex("sex", Some(2)).is_err());
        assert_eq!(check::sex("sex", Some(1)).unwrap(), Some(1));
        assert!(check::birthday("birthday", Some(now + 100), now).is_err());
        assert_eq!(check::birthday("birthday", Some(now * 1000 - 5000), now).unwrap(), Some(now - 5));
        assert!(check::nickname("nickname", Some("x".repeat(65)), 64).is_err());
        assert!(check::nickname("nickname", Some("a\u{7}".into()), 64).is_err());
    }
}
