//! `feed` endpoints (routes: infra/template.yaml, `FeedFunction`): the Minxing work circle
//! `/api/v1/messages…` (posts, threads, likes, bookmarks; Yammer v1 names) and
//! `/api/v1/networks/notification_counts`. Rules: shared::services::feed; view:
//! shared::dialects::minxing::feed; decisions: docs/dialects.md "Minxing feed".

mod minxing;

use lambda_http::{Body, Request, Response};
use shared::http::{serve, Call};
use shared::services::feed::Mark;
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        ("GET", "/api/v1/messages") => minxing::network(&c).await,
        ("GET", "/api/v1/messages/following") => minxing::following(&c).await,
        ("GET", "/api/v1/messages/from_user/current") => minxing::from_user(&c, true).await,
        ("GET", "/api/v1/messages/from_user/{user_id}") => minxing::from_user(&c, false).await,
        ("GET", "/api/v1/messages/liked_by/current") => minxing::marked(&c, Mark::Like).await,
        ("GET", "/api/v1/messages/bookmarked_by/current") => minxing::marked(&c, Mark::Bookmark).await,
        ("GET", "/api/v1/messages/in_group/{group_id}") => minxing::in_group(&c).await,
        ("GET", "/api/v1/messages/in_thread/{message_id}") => minxing::in_thread(&c).await,
        ("POST", "/api/v1/messages") => minxing::post(&c).await,
        ("DELETE", "/api/v1/messages/{message_id}") => minxing::delete(&c).await,
        ("POST", "/api/v1/messages/liked_by/current") => minxing::mark(&c, Mark::Like, true).await,
        ("DELETE", "/api/v1/messages/liked_by/current") => minxing::mark(&c, Mark::Like, false).await,
        ("POST", "/api/v1/messages/bookmarked_by/current") => minxing::mark(&c, Mark::Bookmark, true).await,
        ("DELETE", "/api/v1/messages/bookmarked_by/current") => minxing::mark(&c, Mark::Bookmark, false).await,
        ("GET", "/api/v1/networks/notification_counts") => minxing::notification_counts(&c).await,
        _ => Err(c.not_found()),
    }
}
