//! Shiku `/org/*`: companies, departments, employees (shared::services::org; views
//! shared::dialects::shiku::org; decisions docs/dialects.md "Shiku org").

use serde_json::{json, Value};
use shared::dialects::shiku::org::{company_json, department_json, employee_json, manager_json, tree_json};
use shared::domain::org::{parse_employee_id, CompanyId, DeptId, MAX_IDS};
use shared::http::Call;
use shared::services::org;
use shared::{AppError, AppResult, Reply, UserId};

fn company(c: &Call<'_>) -> AppResult<CompanyId> {
    CompanyId::parse("companyId", &c.params.req_str("companyId")?)
}

fn dept(c: &Call<'_>, name: &str) -> AppResult<DeptId> {
    DeptId::parse(name, &c.params.req_str(name)?)
}

fn user(c: &Call<'_>, name: &str) -> AppResult<UserId> {
    UserId::parse(name, &c.params.req_str(name)?)
}

/// A user id parameter that must be the caller when given (`createUserId`, `userId`).
fn caller(c: &Call<'_>, name: &str, me: UserId) -> AppResult<UserId> {
    match c.params.str(name)? {
        Some(v) => UserId::parse(name, &v),
        None => Ok(me),
    }
}

/// A JSON list (or comma list) of ≤ 100 user ids.
fn ids(c: &Call<'_>, name: &str) -> AppResult<Vec<UserId>> {
    let raw = c.params.list(name)?;
    if raw.is_empty() {
        return Err(AppError::missing(name));
    }
    if raw.len() > MAX_IDS {
        return Err(AppError::invalid(name, format!("at most {MAX_IDS} ids")));
    }
    raw.iter().map(|v| UserId::parse(name, v)).collect()
}

fn list(v: impl IntoIterator<Item = Value>) -> Reply {
    Reply::data(Value::Array(v.into_iter().collect()))
}

pub async fn company_create(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    if caller(c, "createUserId", me)? != me {
        return Err(AppError::forbidden("createUserId must be the caller"));
    }
    let t = org::create_company(c.ctx, me, c.params.str("companyName")?).await?;
    Ok(Reply::data(tree_json(&t)))
}

pub async fn company_get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let t = org::tree(c.ctx, me, company(c)?).await?;
    Ok(Reply::data(tree_json(&t)))
}

/// A list of companies (a user may work for several; docs/dialects.md).
pub async fn company_by_user(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let uid = caller(c, "userId", me)?;
    let v = org::companies_of_user(c.ctx, me, uid).await?;
    Ok(list(v.iter().map(|x| company_json(x, None))))
}

/// The caller's companies, paged (`pageIndex` 0…, `pageSize` 1–100, default 30).
pub async fn company_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let idx = c.params.i64_in("pageIndex", 0, 10_000, 0)? as usize;
    let size = c.params.i64_in("pageSize", 1, 100, 30)? as usize;
    let v = org::companies_of(c.ctx, me).await?;
    Ok(list(v.iter().skip(idx * size).take(size).map(|x| company_json(x, None))))
}

pub async fn company_modify(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = company(c)?;
    let v = org::modify_company(c.ctx, me, cid, c.params.str("companyName")?, c.params.str("noticeContent")?).await?;
    Ok(Reply::data(company_json(&v, None)))
}

pub async fn company_delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = company(c)?;
    let by = caller(c, "userId", me)?;
    org::delete_company(c.ctx, me, cid, by).await?;
    Ok(Reply::empty())
}

pub async fn company_quit(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = company(c)?;
    let uid = caller(c, "userId", me)?;
    org::quit(c.ctx, me, cid, uid).await?;
    Ok(Reply::empty())
}

pub async fn company_employees(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let v = org::employees(c.ctx, me, company(c)?).await?;
    Ok(list(v.iter().map(|e| employee_json(e, None))))
}

pub async fn set_manager(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = company(c)?;
    org::set_managers(c.ctx, me, cid, &ids(c, "managerId")?).await?;
    Ok(Reply::empty())
}

pub async fn manager_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let v = org::managers(c.ctx, me, company(c)?).await?;
    Ok(list(v.iter().map(manager_json)))
}

/// `parentId`: a department id, or the company id for "under the root".
pub async fn dept_create(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = company(c)?;
    if caller(c, "createUserId", me)? != me {
        return Err(AppError::forbidden("createUserId must be the caller"));
    }
    let parent = match c.params.str("parentId")? {
        None => return Err(AppError::missing("parentId")),
        Some(p) if p == cid.to_string() => None,
        Some(p) => Some(DeptId::parse("parentId", &p)?),
    };
    let d = org::create_dept(c.ctx, me, cid, parent, c.params.str("departName")?).await?;
    Ok(Reply::data(department_json(&d, None)))
}

/// `dpartmentName` (sic, the seed) or `departName`.
pub async fn dept_modify(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let did = dept(c, "departmentId")?;
    let name = match c.params.str("dpartmentName")? {
        Some(n) => Some(n),
        None => c.params.str("departName")?,
    };
    let d = org::rename_dept(c.ctx, me, did, name).await?;
    Ok(Reply::data(department_json(&d, None)))
}

pub async fn dept_delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    org::delete_dept(c.ctx, me, dept(c, "departmentId")?).await?;
    Ok(Reply::empty())
}

/// Every department (with its employees) of the caller's companies.
pub async fn dept_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let trees = org::my_trees(c.ctx, me).await?;
    let mut out = vec![];
    for t in &trees {
        for d in &t.depts {
            let emps: Vec<_> = t.employees.iter().filter(|e| e.dept == d.id).cloned().collect();
            out.push(department_json(d, Some(&emps)));
        }
    }
    Ok(list(out))
}

/// DepartmentVO: the department with its employees.
pub async fn dept_get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (d, emps) = org::dept(c.ctx, me, dept(c, "departmentId")?).await?;
    Ok(Reply::data(department_json(&d, Some(&emps))))
}

pub async fn dept_employees(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (d, emps) = org::dept(c.ctx, me, dept(c, "departmentId")?).await?;
    Ok(list(emps.iter().map(|e| employee_json(e, Some(&d.name)))))
}

pub async fn employee_add(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let users = ids(c, "userId")?;
    let cid = company(c)?;
    let did = dept(c, "departmentId")?;
    let role = c.params.i64("role")?;
    let v = org::add_employees(c.ctx, me, cid, did, &users, role).await?;
    Ok(list(v.iter().map(|e| employee_json(e, None))))
}

pub async fn employee_delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let users = ids(c, "userIds")?;
    org::remove_employees(c.ctx, me, dept(c, "departmentId")?, &users).await?;
    Ok(Reply::empty())
}

pub async fn employee_move(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (cid, uid, to) = (company(c)?, user(c, "userId")?, dept(c, "newDepartmentId")?);
    let e = org::move_employee(c.ctx, me, cid, uid, to).await?;
    Ok(Reply::data(employee_json(&e, None)))
}

pub async fn employee_role_set(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (cid, uid, role) = (company(c)?, user(c, "userId")?, c.params.req_i64("role")?);
    let e = org::set_role(c.ctx, me, cid, uid, role).await?;
    Ok(Reply::data(employee_json(&e, None)))
}

pub async fn employee_position(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (cid, uid) = (company(c)?, user(c, "userId")?);
    let e = org::set_position(c.ctx, me, cid, uid, c.params.str("position")?).await?;
    Ok(Reply::data(employee_json(&e, None)))
}

/// `employeeId` = `<companyId>.<userId>`.
pub async fn employee_get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (cid, uid) = parse_employee_id("employeeId", &c.params.req_str("employeeId")?)?;
    let e = org::employee(c.ctx, me, cid, uid).await?;
    Ok(Reply::data(employee_json(&e, None)))
}

/// The employee's role as a number (3 creator, 2 manager, 1 employee).
pub async fn employee_role(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (cid, uid) = (company(c)?, user(c, "userId")?);
    let e = org::employee(c.ctx, me, cid, uid).await?;
    Ok(Reply::data(json!(e.role)))
}
