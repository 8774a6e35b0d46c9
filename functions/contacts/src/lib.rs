//! `contacts` endpoints: friends, follows, blacklists and friend requests in every dialect.
//! Routes: infra/template.yaml, `ContactsFunction`. The data model is
//! `shared::store::relations` (one relation per ordered pair, friend requests, live events), the
//! rules `shared::services::relations`;
//! a friendship made in one dialect is the same friendship in the others.

mod minxing;
mod sealtalk;
mod shiku;

use lambda_http::{Body, Request, Response};
use shared::domain::relations::Op;
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        // Shiku (any method)
        (_, "/friends/attention/add") => shiku::attention_add(&c).await,
        (_, "/friends/attention/batchAdd") => shiku::attention_batch_add(&c).await,
        (_, "/friends/add") => shiku::relation_op(&c, Op::Follow(String::new())).await,
        (_, "/friends/addAllFriendsSys") => shiku::add_system(&c).await,
        (_, "/friends/attention/delete") => shiku::relation_op(&c, Op::Unfollow).await,
        (_, "/friends/delete") => shiku::relation_op(&c, Op::Unfriend).await,
        (_, "/friends/blacklist/add") => shiku::relation_op(&c, Op::Block).await,
        (_, "/friends/blacklist/delete") => shiku::relation_op(&c, Op::Unblock).await,
        (_, "/friends/update") => shiku::update(&c).await,
        (_, "/friends/remark") => shiku::remark(&c).await,
        (_, "/friends/update/OfflineNoPushMsg") => shiku::offline_no_push(&c).await,
        (_, "/friends/blacklist") => shiku::blacklist(&c).await,
        (_, "/friends/fans/list") => shiku::fans(&c).await,
        (_, "/friends/attention/list") => shiku::attention_list(&c).await,
        (_, "/friends/get") => shiku::get(&c).await,
        (_, "/friends/list") => shiku::list(&c).await,
        (_, "/friends/page") => shiku::page(&c).await,
        (_, "/friends/friendsAndAttention") => shiku::friends_and_attention(&c).await,
        (_, "/friends/newFriend/list") => shiku::new_friends(&c).await,
        // Minxing
        ("POST", "/api/v1/subscriptions/users/{user_id}") => minxing::subscribe(&c).await,
        ("GET", "/api/v1/subscriptions/users") => minxing::subscriptions(&c).await,
        // SealTalk
        ("POST", "/sealtalk/user/add_to_blacklist") => sealtalk::block(&c).await,
        ("POST", "/sealtalk/user/remove_from_blacklist") => sealtalk::unblock(&c).await,
        ("GET", "/sealtalk/user/blacklist") => sealtalk::blacklist(&c).await,
        ("POST", "/sealtalk/friendship/invite") => sealtalk::invite(&c).await,
        ("POST", "/sealtalk/friendship/agree") => sealtalk::friendship_op(&c, Op::Accept).await,
        ("POST", "/sealtalk/friendship/ignore") => sealtalk::friendship_op(&c, Op::Ignore).await,
        ("POST", "/sealtalk/friendship/delete") => sealtalk::friendship_op(&c, Op::Unfriend).await,
        ("POST", "/sealtalk/friendship/set_display_name") => sealtalk::set_display_name(&c).await,
        ("GET", "/sealtalk/friendship/all") => sealtalk::all(&c).await,
        ("GET", "/sealtalk/friendship/{friendId}/profile") => sealtalk::profile(&c).await,
        _ => Err(c.not_found()),
    }
}
