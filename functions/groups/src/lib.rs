//! `groups` endpoints (routes: infra/template.yaml, `GroupsFunction`): Shiku `/room/*` and
//! SealTalk `/sealtalk/group/*`, `/sealtalk/user/groups`. A room is a group conversation
//! (shared/src/store/rooms.rs), so a room made in one dialect is a group in the others and its
//! messages flow through the same conversation. Minxing `/api/v1/groups…` (work-circle groups,
//! minxing.rs) are the same rooms; joining a private one (`isNeedVerify = 1`) makes a pending
//! request (store/requests.rs) decided through `/api/v1/pendings/requests/{id}/approve|reject`.
//!
//! Rules every dialect shares live in shared::services::rooms (docs/dialects.md "Rooms"): only
//! members see a room (others get
//! not-found); owner/admins change settings, notices and mutes and remove members; only the
//! owner transfers, dismisses and appoints admins; every change members should see is one
//! group event item (`GroupEvent`), written in the change's own transaction and pushed by
//! `delivery`.

mod minxing;
mod sealtalk;
mod shiku;

use lambda_http::{Body, Request, Response};
use shared::domain::rooms::MAX_USERS;
use shared::domain::users::User;
use shared::http::{serve, Call};
use shared::ids::UserId;
use shared::{AppResult, Ctx, Reply};
use std::collections::HashMap;

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        (_, "/room/add") => shiku::add(&c).await,
        (_, "/room/delete") => shiku::delete(&c).await,
        (_, "/room/update") => shiku::update(&c).await,
        (_, "/room/transfer") => shiku::transfer(&c).await,
        (_, "/room/get") => shiku::get(&c).await,
        (_, "/room/list") => shiku::list(&c).await,
        (_, "/room/member/update") => shiku::member_update(&c).await,
        (_, "/room/member/delete") => shiku::member_delete(&c).await,
        (_, "/room/member/get") => shiku::member_get(&c).await,
        (_, "/room/member/list") => shiku::member_list(&c).await,
        (_, "/room/notice/list") => shiku::notice_list(&c).await,
        (_, "/room/notice/delete") => shiku::notice_delete(&c).await,
        (_, "/room/get/call") => shiku::get_call(&c).await,
        (_, "/room/join") => shiku::join(&c).await,
        (_, "/room/leave") => shiku::leave(&c).await,
        (_, "/room/list/his") => shiku::list_his(&c).await,
        (_, "/room/set/admin") => shiku::set_admin(&c).await,
        (_, "/room/member/setOfflineNoPushMsg") => shiku::set_offline_no_push(&c).await,
        (_, "/room/copyRoom") => shiku::copy(&c).await,
        ("GET", "/sealtalk/user/groups") => sealtalk::user_groups(&c).await,
        ("POST", "/sealtalk/group/create") => sealtalk::create(&c).await,
        ("POST", "/sealtalk/group/add") => sealtalk::add(&c).await,
        ("POST", "/sealtalk/group/join") => sealtalk::join(&c).await,
        ("POST", "/sealtalk/group/kick") => sealtalk::kick(&c).await,
        ("POST", "/sealtalk/group/quit") => sealtalk::quit(&c).await,
        ("POST", "/sealtalk/group/dismiss") => sealtalk::dismiss(&c).await,
        ("POST", "/sealtalk/group/transfer") => sealtalk::transfer(&c).await,
        ("POST", "/sealtalk/group/rename") => sealtalk::rename(&c).await,
        ("POST", "/sealtalk/group/set_bulletin") => sealtalk::set_bulletin(&c).await,
        ("POST", "/sealtalk/group/set_portrait_uri") => sealtalk::set_portrait_uri(&c).await,
        ("POST", "/sealtalk/group/set_display_name") => sealtalk::set_display_name(&c).await,
        ("GET", "/sealtalk/group/{id}") => sealtalk::get(&c).await,
        ("GET", "/sealtalk/group/{id}/members") => sealtalk::members(&c).await,
        ("POST", "/api/v1/pendings/requests/{request_id}/approve") => minxing::approve(&c).await,
        ("POST", "/api/v1/pendings/requests/{request_id}/reject") => minxing::reject(&c).await,
        ("GET", "/api/v1/groups") => minxing::list(&c).await,
        ("POST", "/api/v1/groups") => minxing::create(&c).await,
        ("PUT", "/api/v1/groups/{group_id}") => minxing::update(&c).await,
        ("DELETE", "/api/v1/groups/{group_id}") => minxing::delete(&c).await,
        ("GET", "/api/v1/groups/{group_id}/members") => minxing::members(&c).await,
        ("GET", "/api/v1/groups/{group_id}/members/{user_id}") => minxing::member(&c).await,
        ("POST", "/api/v1/groups/{group_id}/members") => minxing::join(&c).await,
        ("DELETE", "/api/v1/groups/{group_id}/members") => minxing::leave(&c).await,
        _ => Err(c.not_found()),
    }
}

/// Largest invitation / kick list in one request (a whole room).
pub(crate) const MAX_IDS: usize = MAX_USERS as usize;

/// User ids from a list parameter (JSON array, JSON text or comma-separated), deduplicated,
/// at most [`MAX_IDS`] (shared::params::user_ids).
pub(crate) fn user_ids(c: &Call<'_>, name: &str) -> AppResult<Vec<UserId>> {
    shared::params::user_ids(&c.params, name, MAX_IDS)
}

/// Profiles of `uids` (⌈n/100⌉ BatchGetItem); an unknown id is a not-found error.
pub(crate) async fn require_users(c: &Call<'_>, uids: &[UserId]) -> AppResult<HashMap<UserId, User>> {
    shared::services::rooms::require_profiles(&c.ctx.db, uids).await
}

pub(crate) async fn profiles(c: &Call<'_>, uids: &[UserId]) -> AppResult<HashMap<UserId, User>> {
    shared::services::rooms::profiles(&c.ctx.db, uids).await
}
