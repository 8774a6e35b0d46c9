//! `chat` endpoints: conversations and messages in every dialect.
//! Routes: infra/template.yaml, `ChatFunction`.
//!
//! A Minxing `to_user` conversation, a Shiku single chat and a SealTalk
//! PRIVATE conversation between the same two people are one conversation
//! (`s_<low id>_<high id>`); history is one partition, paged by `seq`.

mod crypto;
mod minxing;
mod sealtalk;
mod shiku;

use lambda_http::{Body, Request, Response};
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        ("GET", "/api/v1/conversations2/from_last_seen") => minxing::from_last_seen(&c).await,
        ("GET", "/api/v1/conversations2/{conversation_id}") => minxing::detail(&c).await,
        ("POST", "/api/v1/conversations2/to_user/{user_id}") => minxing::to_user(&c).await,
        ("POST", "/api/v1/conversations2") => minxing::create_group(&c).await,
        ("POST", "/api/v1/conversations2/{conversation_id}/messages") => minxing::send(&c).await,
        ("POST", "/api/v1/conversations2/mark_seen") => minxing::mark_seen(&c).await,
        ("POST", "/api/v1/conversations/{conversation_id}/users") => minxing::invite(&c).await,
        ("DELETE", "/api/v1/conversations/{conversation_id}") => minxing::delete(&c).await,
        ("DELETE", "/api/v1/conversations/{conversation_id}/users/{user_id}") => minxing::remove_user(&c).await,
        ("PUT", "/api/v1/conversations/{conversation_id}") => minxing::rename(&c).await,
        ("POST", "/sealtalk/misc/send_message") => sealtalk::send_message(&c).await,
        ("POST", "/sealtalk/misc/set_screen_capture") => sealtalk::set_screen_capture(&c).await,
        ("POST", "/sealtalk/misc/get_screen_capture") => sealtalk::get_screen_capture(&c).await,
        ("POST", "/sealtalk/misc/send_sc_msg") => sealtalk::send_sc_msg(&c).await,
        (_, "/tigase/shiku_msgs") => shiku::single_history(&c).await,
        (_, "/tigase/shiku_muc_msgs") => shiku::room_history(&c).await,
        (_, "/tigase/getMessage") => shiku::get_message(&c).await,
        (_, "/tigase/getLastChatList") => shiku::last_chat_list(&c).await,
        (_, "/tigase/deleteMsg") => shiku::delete_msg(&c).await,
        (_, "/tigase/notify") => shiku::notify(&c).await,
        (_, "/tigase/push") => shiku::push(&c).await,
        (_, "/tigase/baiduPush") => shiku::baidu_push(&c).await,
        (_, "/tigase/OnlineState") => shiku::online_state(&c).await,
        (_, "/tigase/encrypt") => shiku::encrypt(&c).await,
        (_, "/tigase/decrypt") => shiku::decrypt(&c).await,
        (_, "/course/add") => shiku::course_add(&c).await,
        _ => Err(c.not_found()),
    }
}
