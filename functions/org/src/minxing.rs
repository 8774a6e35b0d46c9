//! Minxing `GET /api/v1/departments` and `/api/v1/departments/search`: the org directory
//! (shared::services::org) with companies as roots; shapes in shared::dialects::minxing::org,
//! decisions in docs/dialects.md "Minxing departments".

use serde_json::{json, Value};
use shared::dialects::minxing::org::{company_json, department_json, member_json};
use shared::domain::org::{parse_employee_id, DeptId};
use shared::http::Call;
use shared::services::org;
use shared::{AppError, AppResult, Reply};

/// The caller's companies and their departments, flattened (`{items}`); with
/// `department_id`: that department with its `users`.
pub async fn departments(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    if let Some(raw) = c.params.str("department_id")? {
        let did = DeptId::parse("department_id", &raw)?;
        let (d, emps) = org::dept(c.ctx, me, did).await?;
        let mut o = department_json(&d);
        o["users"] = Value::Array(emps.iter().map(|e| member_json(e, Some(&d.name))).collect());
        return Ok(Reply::data(json!({ "items": [o] })));
    }
    let mut items = vec![];
    for t in org::my_trees(c.ctx, me).await? {
        items.push(company_json(&t.company));
        items.extend(t.depts.iter().map(department_json));
    }
    Ok(Reply::data(json!({ "items": items })))
}

/// `q` (nickname or position substring, ≤ 64), `department_id` (its subtree), `limit`
/// 1–100 (20), `cursor` (the `next_cursor` of the previous page) → `{items, next_cursor}`.
pub async fn search(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = &c.params;
    let s = org::Search {
        q: p.str_max("q", 64)?,
        under: p.str("department_id")?.map(|d| DeptId::parse("department_id", &d)).transpose()?,
        limit: p.i64_in("limit", 1, 100, 20)? as usize,
        after: p
            .str("cursor")?
            .map(|v| parse_employee_id("cursor", &v).map_err(|_| AppError::invalid("cursor", "malformed cursor")))
            .transpose()?,
    };
    let (found, more) = org::search(c.ctx, me, &s).await?;
    let next = if more { found.last().map(|(e, _)| e.id()) } else { None };
    let items: Vec<Value> = found.iter().map(|(e, dn)| member_json(e, Some(dn))).collect();
    Ok(Reply::data(json!({ "items": items, "next_cursor": next })))
}
