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
use shared::domain::keypairs::Kind;
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

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
        (_, "/authkeys/uploadDhMsgKey") => shiku::upload_single_key(&c, Kind::Dh).await,
        (_, "/authkeys/uploadRsaMsgKey") => shiku::upload_single_key(&c, Kind::Rsa).await,
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
