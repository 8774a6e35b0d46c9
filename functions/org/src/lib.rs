//! `org` endpoints (routes: infra/template.yaml, `OrgFunction`): Minxing networks, the Shiku
//! org directory (`/org/*`, shiku.rs).

mod minxing;
mod shiku;

use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::http::{serve, Call};
use shared::{AppError, AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        ("GET", "/api/v1/users/current/networks") => networks(&c).await,
        ("POST", "/api/v1/networks/{network_id}/members") => join_network(&c).await,
        ("GET", "/api/v1/departments") => minxing::departments(&c).await,
        ("GET", "/api/v1/departments/search") => minxing::search(&c).await,
        (_, "/org/company/create") => shiku::company_create(&c).await,
        (_, "/org/company/get") => shiku::company_get(&c).await,
        (_, "/org/company/getByUserId") => shiku::company_by_user(&c).await,
        (_, "/org/company/list") => shiku::company_list(&c).await,
        (_, "/org/company/modify") => shiku::company_modify(&c).await,
        (_, "/org/company/delete") => shiku::company_delete(&c).await,
        (_, "/org/company/quit") => shiku::company_quit(&c).await,
        (_, "/org/company/employees") => shiku::company_employees(&c).await,
        (_, "/org/company/setManager") => shiku::set_manager(&c).await,
        (_, "/org/company/managerList") => shiku::manager_list(&c).await,
        (_, "/org/department/create") => shiku::dept_create(&c).await,
        (_, "/org/department/modify") => shiku::dept_modify(&c).await,
        (_, "/org/department/delete") => shiku::dept_delete(&c).await,
        (_, "/org/department/list") => shiku::dept_list(&c).await,
        (_, "/org/department/get") => shiku::dept_get(&c).await,
        (_, "/org/departmemt/empList") => shiku::dept_employees(&c).await,
        (_, "/org/department/empList") => shiku::dept_employees(&c).await,
        (_, "/org/employee/add") => shiku::employee_add(&c).await,
        (_, "/org/employee/delete") => shiku::employee_delete(&c).await,
        (_, "/org/employee/modifyDpart") => shiku::employee_move(&c).await,
        (_, "/org/employee/modifyRole") => shiku::employee_role_set(&c).await,
        (_, "/org/employee/modifyPosition") => shiku::employee_position(&c).await,
        (_, "/org/employee/get") => shiku::employee_get(&c).await,
        (_, "/org/employee/role") => shiku::employee_role(&c).await,
        _ => Err(c.not_found()),
    }
}

/// Minxing networks: this deployment has one, `default` (id 1), and every
/// account is a member of it (docs/dialects.md).
pub const DEFAULT_NETWORK_ID: i64 = shared::dialects::minxing::NETWORK_ID;
pub const DEFAULT_NETWORK_NAME: &str = "default";

fn network_json(uid: shared::UserId) -> serde_json::Value {
    json!({
        "id": DEFAULT_NETWORK_ID,
        "name": DEFAULT_NETWORK_NAME,
        "display_name": DEFAULT_NETWORK_NAME,
        "is_default": true,
        "member": true,
        "user_id": uid.0,
    })
}

/// `GET /api/v1/users/current/networks`: the caller's identities, one per network.
async fn networks(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    Ok(Reply::data(json!([network_json(me)])))
}

/// `POST /api/v1/networks/{network_id}/members` "join/leave the network" (seed 000:52-54,
/// which names no leave signal): `action` = `join` (the default) | `leave`. Joining the
/// default network (by id `1` or name `default`) is a no-op that answers the membership;
/// leaving it is refused (403: it is the whole organisation, every account is a member);
/// other networks do not exist (404).
async fn join_network(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let id = c.path_param("network_id")?;
    if id != DEFAULT_NETWORK_ID.to_string() && id != DEFAULT_NETWORK_NAME {
        return Err(AppError::not_found(format!("network {id}")));
    }
    match c.params.str("action")?.as_deref() {
        None | Some("join") => Ok(Reply::data(network_json(me))),
        Some("leave") => Err(AppError::forbidden("cannot leave the default network: every account is a member")),
        Some(_) => Err(AppError::invalid("action", "must be 'join' or 'leave'")),
    }
}
