//! `admin` endpoints (routes: infra/template.yaml, `AdminFunction`): the Shiku operator
//! console's JSON routes (`/console/*`: accounts in console.rs, jobs in sends.rs, message
//! logs in logs.rs, rooms in rooms.rs). Every route but `/console/login` takes
//! a console token (shared::services::operators); user tokens are refused. The web console
//! (web.rs) is a page over these routes.

mod console;
mod logs;
mod rooms;
mod sends;
mod web;

use lambda_http::{Body, Request, Response};
use shared::http::{serve, Call};
use shared::{AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        (_, "/console/login") => console::login(&c).await,
        (_, "/console/logout") => console::logout(&c).await,
        (_, "/console/userList") => console::user_list(&c).await,
        (_, "/console/updateUser") => console::update_user(&c).await,
        (_, "/console/deleteUser") => console::delete_user(&c).await,
        (_, "/console/userStatus") => console::user_status(&c).await,
        (_, "/console/useralladd") => console::add_user(&c).await,
        (_, "/console/initSysUser") => console::init_system_users(&c).await,
        (_, "/console/sendMessage") => sends::send_message(&c).await,
        (_, "/console/pushToAll") => sends::push_to_all(&c).await,
        // message logs (logs.rs)
        (_, "/console/chat_logs_all") => logs::chat_logs(&c).await,
        (_, "/console/chat_logs_all/del") => logs::chat_logs_del(&c).await,
        (_, "/console/groupchat_logs_all") => logs::group_logs(&c).await,
        (_, "/console/groupchat_logs_all/del") => logs::group_logs_del(&c).await,
        // rooms (rooms.rs)
        (_, "/console/roomList") => rooms::room_list(&c).await,
        (_, "/console/addRoom") => rooms::add_room(&c).await,
        (_, "/console/roomUserManager") => rooms::room_user_manager(&c).await,
        (_, "/console/deleteRoom") => rooms::delete_room(&c).await,
        (_, "/console/deleteMember") => rooms::delete_member(&c).await,
        (_, "/console/roomMsgDetail") => rooms::room_msg_detail(&c).await,
        ("GET", "/console") => web::page(),
        ("GET", "/console/assets/{name}") => web::asset(&c),
        _ => Err(c.not_found()),
    }
}
