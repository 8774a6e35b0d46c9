//! Profiles, the same in every dialect: reads as a viewer may see them (privacy), edits and
//! what follows a rename or avatar change (the relations' copies, the live frame), lookups by
//! login name, reports and push channels. Avatars (S3 keys and links): [`avatars`].

pub mod avatars;
pub mod check;

use crate::domain::geo::Point;
use crate::domain::settings::Settings;
use crate::domain::users::{Edit, Report, Shown, UserProfile};
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, UserId};
use crate::realtime::frames::profile_changed_frame;
use crate::services::privacy::{self, Seen};
use crate::store::{connections, conversations, lookups, profiles, relations, settings, users};
use crate::Ctx;

pub use avatars::avatar_url;

/// A profile with its loadable avatar link: the input of every dialect's user view.
#[derive(Debug, Clone)]
pub struct Card {
    pub profile: UserProfile,
    pub avatar_url: Option<String>,
}

impl std::ops::Deref for Card {
    type Target = UserProfile;
    fn deref(&self) -> &UserProfile {
        &self.profile
    }
}

impl Card {
    /// What `seen`'s viewer may see (services::privacy).
    pub fn shown(&self, seen: &Seen) -> Shown<'_> {
        let uid = self.user.uid;
        Shown {
            user: &self.user,
            avatar_url: self.avatar_url.as_deref(),
            updated_at: self.updated_at,
            phone: seen.phone_of(uid, self.shares_phone),
            is_self: seen.is_self(uid),
        }
    }

    /// The location as `seen`'s viewer may see it: exact for the owner, coarse for others.
    pub fn location_for(&self, seen: &Seen) -> Option<Point> {
        self.profile.location_for(seen.viewer)
    }
}

/// A profile with its avatar link resolved (a presign, no network call).
pub async fn card(ctx: &Ctx, profile: UserProfile) -> Card {
    let avatar_url = avatar_url(ctx, profile.user.avatar.as_deref()).await;
    Card { profile, avatar_url }
}

pub async fn cards(ctx: &Ctx, profiles: Vec<UserProfile>) -> Vec<Card> {
    let mut out = Vec::with_capacity(profiles.len());
    for p in profiles {
        out.push(card(ctx, p).await);
    }
    out
}

fn not_found(uid: UserId) -> AppError {
    AppError::not_found(format!("user {uid}"))
}

/// One profile as `viewer` may see it: the profile and the target's relation to the viewer
/// in one BatchGetItem; NotFound without a profile.
pub async fn view(ctx: &Ctx, viewer: UserId, uid: UserId) -> AppResult<(Card, Seen)> {
    let (c, seen, _) = view_with(ctx, viewer, uid, vec![]).await?;
    Ok((c, seen))
}

/// [`view`] and the target's settings, in the same BatchGetItem.
pub async fn view_with_settings(ctx: &Ctx, viewer: UserId, uid: UserId) -> AppResult<(Card, Seen, Settings)> {
    let (c, seen, extra) = view_with(ctx, viewer, uid, vec![settings::key(uid)]).await?;
    Ok((c, seen, settings::from_item(extra.first())))
}

/// One's own profile with its settings and wallet (Shiku `/user/get` of oneself, issue 14):
/// the WALLET item rides in the same BatchGetItem, so `money`/`moneyTotal` cost no call.
pub async fn view_own(ctx: &Ctx, me: UserId) -> AppResult<(Card, Seen, Settings, crate::domain::wallet::Wallet)> {
    let (c, seen, extra) = view_with(ctx, me, me, vec![settings::key(me), crate::store::wallet::key(me)]).await?;
    let wallet = crate::store::wallet::find(&extra);
    let st = extra.iter().find(|it| !crate::store::wallet::is_wallet(it));
    Ok((c, seen, settings::from_item(st), wallet))
}

async fn view_with(
    ctx: &Ctx,
    viewer: UserId,
    uid: UserId,
    extra: Vec<crate::store::Item>,
) -> AppResult<(Card, Seen, Vec<crate::store::Item>)> {
    let mut l = privacy::load(&ctx.db, &[uid], &[(uid, viewer)], extra).await?;
    let item = l.profiles.remove(&uid).ok_or_else(|| not_found(uid))?;
    let seen = l.seen_by(viewer);
    Ok((card(ctx, profiles::parse(&item)?).await, seen, l.extra))
}

/// One profile (one GetItem) or NotFound.
pub async fn require(ctx: &Ctx, uid: UserId) -> AppResult<Card> {
    let p = profiles::get(&ctx.db, uid).await?.ok_or_else(|| not_found(uid))?;
    Ok(card(ctx, p).await)
}

/// Profiles of many users (⌈n/100⌉ BatchGetItem), in the order asked, unknown ids dropped.
pub async fn many(ctx: &Ctx, uids: &[UserId]) -> AppResult<Vec<Card>> {
    Ok(cards(ctx, profiles::get_profiles(&ctx.db, uids).await?).await)
}

/// Accounts whose nickname starts with `prefix` (case-insensitive; hidden ones left out).
pub async fn search(ctx: &Ctx, prefix: &str) -> AppResult<Vec<Card>> {
    Ok(cards(ctx, profiles::search(&ctx.db, prefix).await?).await)
}

/// Accounts newest first, strictly older than `before`: one Query page of at most `limit`,
/// and whether more follow.
pub async fn newest(ctx: &Ctx, before: Option<UserId>, limit: i32) -> AppResult<(Vec<Card>, bool)> {
    let (ps, more) = profiles::newest(&ctx.db, before, limit).await?;
    Ok((cards(ctx, ps).await, more))
}

/// The account a login name belongs to. Telephone names (plain or md5, found or not) first
/// take one lookup of the caller's allowance (store/lookups.rs), so nobody walks the number
/// space. Whether the caller may see it: [`reachable`].
pub async fn find_login(ctx: &Ctx, me: UserId, name: &LoginName) -> AppResult<Option<UserId>> {
    if by_phone(name) {
        lookups::take(&ctx.db, me, ctx.now_secs()).await?;
    }
    users::find_login(&ctx.db, name).await
}

fn by_phone(name: &LoginName) -> bool {
    matches!(name, LoginName::Phone(_) | LoginName::PhoneMd5(_) | LoginName::PhoneMd5OrBare(_))
}

/// May `me` find `p` by `name`? Not by telephone when `p` turned `phoneSearch` off.
pub fn reachable(me: UserId, name: &LoginName, p: &UserProfile) -> bool {
    !by_phone(name) || p.found_by_phone(me)
}

/// Apply an edit of my profile and answer the new profile. A nickname or avatar change then
/// refreshes the copies on relations and records the live frame ([`after_change`]).
pub async fn edit(ctx: &Ctx, me: UserId, e: &Edit) -> AppResult<Card> {
    edit_with(ctx, me, e, vec![]).await
}

/// [`edit`] with the caller's `extra` items (the console's audit entry) in the profile
/// write's transaction.
pub async fn edit_with(
    ctx: &Ctx,
    me: UserId,
    e: &Edit,
    extra: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
) -> AppResult<Card> {
    let p = profiles::update_with(&ctx.db, me, ctx.now_ms(), e, extra).await?;
    after_change(ctx, e, &p, true).await;
    Ok(card(ctx, p).await)
}

/// After a nickname or avatar change: refresh the denormalised copy on the relations of
/// everyone who follows or befriended the user (store/relations), and with `live` record the
/// change for live delivery to them. The profile itself is already saved, so a failure here
/// is logged, not answered.
pub(crate) async fn after_change(ctx: &Ctx, e: &Edit, p: &UserProfile, live: bool) {
    if !e.changes_card() {
        return;
    }
    let (uid, nickname, avatar) = (p.user.uid, &p.user.nickname, p.user.avatar.as_deref());
    if let Err(e) = relations::refresh_profile(&ctx.db, uid, nickname, avatar).await {
        tracing::warn!(%uid, error = %e, "could not refresh relations after a profile change");
    }
    if e.nickname.is_some() {
        // the org directory's nickname copies (one GSI1 Query + one UpdateItem per company)
        if let Err(e) = crate::services::org::refresh_nickname(ctx, uid, nickname).await {
            tracing::warn!(%uid, error = %e, "could not refresh org nicknames after a profile change");
        }
    }
    if !live {
        return;
    }
    let link = avatar_url(ctx, avatar).await;
    let frame = profile_changed_frame(uid, nickname, link.as_deref(), ctx.now_ms());
    if let Err(e) = profiles::record_change_event(&ctx.db, uid, &frame, ctx.now_ms()).await {
        tracing::warn!(%uid, error = %e, "could not record the profile change event");
    }
}

/// Is `uid` online (a live WebSocket connection)? NotFound for unknown users.
pub async fn online(ctx: &Ctx, uid: UserId) -> AppResult<bool> {
    let (p, on) = tokio::join!(profiles::get(&ctx.db, uid), connections::is_online(&ctx.db, uid));
    if p?.is_none() {
        return Err(not_found(uid));
    }
    on
}

/// (online, all accounts): counters kept on connect/disconnect and registration.
pub async fn presence_counts(ctx: &Ctx) -> AppResult<(i64, i64)> {
    let c = crate::store::stats::counts(&ctx.db, &crate::clock::utc_day(ctx.now_ms())).await?;
    Ok((c.online, c.accounts))
}

/// File a report about a user or a room: one of them, never oneself, and it must exist.
pub async fn report(ctx: &Ctx, r: &Report) -> AppResult<()> {
    if r.to_user.is_none() && r.room_id.is_none() {
        return Err(AppError::missing("toUserId"));
    }
    if r.to_user == Some(r.reporter) {
        return Err(AppError::invalid("toUserId", "cannot report yourself"));
    }
    if let Some(u) = r.to_user {
        profiles::get(&ctx.db, u).await?.ok_or_else(|| not_found(u))?;
    }
    if let Some(room) = &r.room_id {
        let found = conversations::valid_id(room) && conversations::get(&ctx.db, room).await?.is_some();
        if !found {
            return Err(AppError::not_found(format!("room {room}")));
        }
    }
    profiles::put_report(&ctx.db, ctx.now_ms(), r).await?;
    Ok(())
}

/// Store a push channel id per device type (3 = iOS, 4 = Android).
pub async fn set_push_channel(ctx: &Ctx, me: UserId, device: i64, channel: &str) -> AppResult<()> {
    profiles::set_channel(&ctx.db, me, ctx.now_ms(), device, channel).await
}

/// Store a WeChat authorisation code (no WeChat API is reachable to exchange it).
pub async fn bind_wechat(ctx: &Ctx, me: UserId, code: &str) -> AppResult<()> {
    profiles::set_wx_code(&ctx.db, me, ctx.now_ms(), code).await
}
