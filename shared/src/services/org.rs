//! The org directory rules (Shiku `/org/*`, Minxing `/api/v1/departments`): companies,
//! departments and employees are visible to the company's employees only (anyone else:
//! NotFound, so ids are not probeable); managers (role ≥ 2) edit, the creator (role 3)
//! deletes the company and names managers. A deleted company is hidden everywhere.
//! Decisions: docs/dialects.md "Shiku org"; keys: docs/data-model.md "Org".

use crate::domain::org::*;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::{org, profiles, ItemExt};
use crate::Ctx;

fn company_not_found(cid: CompanyId) -> AppError {
    AppError::not_found(format!("company {cid}"))
}

fn need_manager(me: &Employee) -> AppResult<()> {
    if me.is_manager() {
        Ok(())
    } else {
        Err(AppError::forbidden("only the company's managers may do this"))
    }
}

fn need_creator(me: &Employee) -> AppResult<()> {
    if me.role == ROLE_CREATOR {
        Ok(())
    } else {
        Err(AppError::forbidden("only the company's creator may do this"))
    }
}

/// The live company `cid` with the caller's employee record and the asked items (one
/// BatchGetItem); NotFound when it is gone, deleted or the caller is not an employee.
async fn access(
    ctx: &Ctx,
    me: UserId,
    cid: CompanyId,
    depts: &[DeptId],
    emps: &[UserId],
) -> AppResult<(Company, Employee, org::Picked)> {
    let mut all = vec![me];
    all.extend_from_slice(emps);
    let mut p = org::pick(&ctx.db, cid, depts, &all).await?;
    let company = p.company.take().filter(|c| c.delete_time.is_none()).ok_or_else(|| company_not_found(cid))?;
    let mine = p.emps.get(&me).cloned().ok_or_else(|| company_not_found(cid))?;
    Ok((company, mine, p))
}

/// Check a company name or department name: 1–64 characters after trimming.
fn name(field: &str, v: Option<String>) -> AppResult<String> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).ok_or_else(|| AppError::missing(field))?;
    if v.chars().count() > NAME_MAX {
        return Err(AppError::invalid(field, format!("longer than {NAME_MAX} characters")));
    }
    Ok(v)
}

/// Create a company: the caller is its creator (role 3) in its root department.
pub async fn create_company(ctx: &Ctx, me: UserId, company_name: Option<String>) -> AppResult<Tree> {
    let company_name = name("companyName", company_name)?;
    let nickname = profiles::get(&ctx.db, me).await?.map(|p| p.user.nickname).unwrap_or_default();
    let cid = org::next_company_id(&ctx.db).await?;
    let now = ctx.now_ms();
    let company = Company {
        id: cid,
        name: company_name.clone(),
        create_time: now,
        create_user: me,
        delete_time: None,
        delete_user: None,
        emp_num: 1,
        notice_content: None,
        notice_time: None,
        dept_seq: 1,
        dept_count: 1,
    };
    let root = Department {
        id: DeptId::root(cid),
        parent: None,
        name: company_name,
        create_time: now,
        create_user: me,
        emp_num: 1,
        children: 0,
        depth: 0,
    };
    let creator =
        Employee { company: cid, uid: me, dept: root.id, nickname, position: None, role: ROLE_CREATOR, join_time: now };
    org::create_company(&ctx.db, &company, &root, &creator).await?;
    Ok(Tree { company, depts: vec![root], employees: vec![creator] })
}

/// The whole company (departments, employees) for one of its employees: one Query per page.
pub async fn tree(ctx: &Ctx, me: UserId, cid: CompanyId) -> AppResult<Tree> {
    let t = org::tree(&ctx.db, cid).await?.filter(|t| t.company.delete_time.is_none());
    match t {
        Some(t) if t.employees.iter().any(|e| e.uid == me) => Ok(t),
        _ => Err(company_not_found(cid)),
    }
}

/// The live companies `uid` works for, by id (GSI1 Query + BatchGetItem).
pub async fn companies_of(ctx: &Ctx, uid: UserId) -> AppResult<Vec<Company>> {
    let ids: Vec<CompanyId> = org::memberships(&ctx.db, uid).await?.iter().map(|e| e.company).collect();
    Ok(org::companies(&ctx.db, &ids).await?.into_iter().filter(|c| c.delete_time.is_none()).collect())
}

/// `getByUserId`: only one's own companies (another user's: Forbidden).
pub async fn companies_of_user(ctx: &Ctx, me: UserId, uid: UserId) -> AppResult<Vec<Company>> {
    if uid != me {
        return Err(AppError::forbidden("only your own companies"));
    }
    companies_of(ctx, me).await
}

/// The first (lowest id) live company of `uid`, for Shiku's `/user/login` and `/user/get`.
pub async fn first_company(ctx: &Ctx, uid: UserId) -> AppResult<Option<Company>> {
    Ok(companies_of(ctx, uid).await?.into_iter().next())
}

/// Change the name and/or notice (managers); the notice sets `noticeTime`.
pub async fn modify_company(
    ctx: &Ctx,
    me: UserId,
    cid: CompanyId,
    new_name: Option<String>,
    notice: Option<String>,
) -> AppResult<Company> {
    let new_name = new_name.map(|n| name("companyName", Some(n))).transpose()?;
    if notice.as_ref().is_some_and(|n| n.chars().count() > NOTICE_MAX) {
        return Err(AppError::invalid("noticeContent", format!("longer than {NOTICE_MAX} characters")));
    }
    let (_, mine, _) = access(ctx, me, cid, &[], &[]).await?;
    need_manager(&mine)?;
    let now = ctx.now_ms();
    org::update_company(&ctx.db, cid, new_name.as_deref(), notice.as_deref().map(|n| (n, now)))
        .await?
        .ok_or_else(|| company_not_found(cid))
}

/// Soft-delete the company (its creator; `userId`, the deleter, must be the caller).
pub async fn delete_company(ctx: &Ctx, me: UserId, cid: CompanyId, deleter: UserId) -> AppResult<()> {
    let (_, mine, _) = access(ctx, me, cid, &[], &[]).await?;
    if deleter != me {
        return Err(AppError::forbidden("userId must be the caller"));
    }
    need_creator(&mine)?;
    if !org::soft_delete(&ctx.db, cid, me, ctx.now_ms()).await? {
        return Err(company_not_found(cid));
    }
    Ok(())
}

/// Every employee of the company (employees only): one Query per page.
pub async fn employees(ctx: &Ctx, me: UserId, cid: CompanyId) -> AppResult<Vec<Employee>> {
    let (company, emps) = org::with_employees(&ctx.db, cid).await?;
    let live = company.is_some_and(|c| c.delete_time.is_none());
    if !live || !emps.iter().any(|e| e.uid == me) {
        return Err(company_not_found(cid));
    }
    Ok(emps)
}

/// Managers and the creator (employees only).
pub async fn managers(ctx: &Ctx, me: UserId, cid: CompanyId) -> AppResult<Vec<Employee>> {
    Ok(employees(ctx, me, cid).await?.into_iter().filter(Employee::is_manager).collect())
}

fn check_ids(field: &str, ids: &[UserId], max: usize) -> AppResult<Vec<UserId>> {
    if ids.is_empty() {
        return Err(AppError::missing(field));
    }
    if ids.len() > max {
        return Err(AppError::invalid(field, format!("at most {max} ids")));
    }
    let mut v = ids.to_vec();
    v.sort();
    v.dedup();
    Ok(v)
}

/// Make employees managers (the creator; every id an employee; the creator stays 3).
pub async fn set_managers(ctx: &Ctx, me: UserId, cid: CompanyId, ids: &[UserId]) -> AppResult<()> {
    let ids: Vec<UserId> = check_ids("managerId", ids, MAX_IDS)?.into_iter().filter(|u| *u != me).collect();
    let (_, mine, p) = access(ctx, me, cid, &[], &ids).await?;
    need_creator(&mine)?;
    if let Some(u) = ids.iter().find(|u| !p.emps.contains_key(u)) {
        return Err(AppError::not_found(format!("employee {u}")));
    }
    if !org::set_roles(&ctx.db, cid, &ids, ROLE_MANAGER).await? {
        return Err(AppError::Conflict("the employees changed meanwhile, try again".into()));
    }
    Ok(())
}

/// Leave a company (`userId` must be the caller; the creator cannot).
pub async fn quit(ctx: &Ctx, me: UserId, cid: CompanyId, uid: UserId) -> AppResult<()> {
    let (_, mine, _) = access(ctx, me, cid, &[], &[]).await?;
    if uid != me {
        return Err(AppError::forbidden("userId must be the caller"));
    }
    if mine.role == ROLE_CREATOR {
        return Err(AppError::forbidden("the creator cannot quit the company"));
    }
    if !org::remove_employees(&ctx.db, mine.dept, &[me]).await? {
        return Err(AppError::Conflict("the company changed meanwhile, try again".into()));
    }
    Ok(())
}

/// Create a department under `parent` (None: under the root) — managers; depth ≤ 10,
/// ≤ 1000 departments.
pub async fn create_dept(
    ctx: &Ctx,
    me: UserId,
    cid: CompanyId,
    parent: Option<DeptId>,
    dept_name: Option<String>,
) -> AppResult<Department> {
    let dept_name = name("departName", dept_name)?;
    let parent = parent.unwrap_or(DeptId::root(cid));
    if parent.company != cid {
        return Err(AppError::not_found(format!("department {parent}")));
    }
    let (company, mine, p) = access(ctx, me, cid, &[parent], &[]).await?;
    need_manager(&mine)?;
    let pd = p.depts.get(&parent.n).ok_or_else(|| AppError::not_found(format!("department {parent}")))?;
    if pd.depth + 1 > MAX_DEPTH {
        return Err(AppError::invalid("parentId", format!("departments nest at most {MAX_DEPTH} deep")));
    }
    if company.dept_count >= MAX_DEPTS {
        return Err(AppError::invalid("companyId", format!("at most {MAX_DEPTS} departments")));
    }
    let d = Department {
        id: DeptId { company: cid, n: company.dept_seq + 1 },
        parent: Some(parent),
        name: dept_name,
        create_time: ctx.now_ms(),
        create_user: me,
        emp_num: 0,
        children: 0,
        depth: pd.depth + 1,
    };
    org::add_dept(&ctx.db, &company, &d).await?;
    Ok(d)
}

/// Rename a department (managers).
pub async fn rename_dept(ctx: &Ctx, me: UserId, did: DeptId, new_name: Option<String>) -> AppResult<Department> {
    let new_name = name("dpartmentName", new_name)?;
    let (_, mine, p) = access(ctx, me, did.company, &[did], &[]).await?;
    need_manager(&mine)?;
    if !p.depts.contains_key(&did.n) {
        return Err(AppError::not_found(format!("department {did}")));
    }
    org::rename_dept(&ctx.db, did, &new_name).await?.ok_or_else(|| AppError::not_found(format!("department {did}")))
}

/// Delete an empty leaf department (managers): the root or a non-empty one is a Conflict.
pub async fn delete_dept(ctx: &Ctx, me: UserId, did: DeptId) -> AppResult<()> {
    let (_, mine, p) = access(ctx, me, did.company, &[did], &[]).await?;
    need_manager(&mine)?;
    let d = p.depts.get(&did.n).ok_or_else(|| AppError::not_found(format!("department {did}")))?;
    if d.parent.is_none() {
        return Err(AppError::Conflict("the root department cannot be deleted".into()));
    }
    if d.emp_num > 0 || d.children > 0 || !org::delete_dept(&ctx.db, d).await? {
        return Err(AppError::Conflict("the department has employees or departments".into()));
    }
    Ok(())
}

/// The caller's live companies, each read whole (GSI1 Query + one Query per company page).
pub async fn my_trees(ctx: &Ctx, me: UserId) -> AppResult<Vec<Tree>> {
    let mut out = vec![];
    for e in org::memberships(&ctx.db, me).await? {
        if let Some(t) = org::tree(&ctx.db, e.company).await? {
            if t.company.delete_time.is_none() && t.employees.iter().any(|x| x.uid == me) {
                out.push(t);
            }
        }
    }
    Ok(out)
}

/// A department and its employees (employees of the company).
pub async fn dept(ctx: &Ctx, me: UserId, did: DeptId) -> AppResult<(Department, Vec<Employee>)> {
    let (_, _, mut p) = access(ctx, me, did.company, &[did], &[]).await?;
    let d = p.depts.remove(&did.n).ok_or_else(|| AppError::not_found(format!("department {did}")))?;
    let emps = org::dept_employees(&ctx.db, did).await?;
    Ok((d, emps))
}

/// Add users to a department (managers): ≤ 98, existing employees skipped, unknown users
/// NotFound, role 1 (default) or 2 (the creator only), never 3. Answers the added ones.
/// One BatchGetItem per 100 keys (company, caller, the users' employee items and profiles)
/// and one transaction.
pub async fn add_employees(
    ctx: &Ctx,
    me: UserId,
    cid: CompanyId,
    did: DeptId,
    ids: &[UserId],
    role: Option<i64>,
) -> AppResult<Vec<Employee>> {
    let ids = check_ids("userId", ids, MAX_ADD)?;
    let role = role.unwrap_or(ROLE_EMPLOYEE);
    if role != ROLE_EMPLOYEE && role != ROLE_MANAGER {
        return Err(AppError::invalid("role", "1 employee or 2 manager"));
    }
    if did.company != cid {
        return Err(AppError::not_found(format!("department {did}")));
    }
    let mut emps = vec![me];
    emps.extend(ids.iter().filter(|u| **u != me));
    let extra = ids.iter().map(|u| profiles::key(*u)).collect();
    let (mut p, found) = org::pick_with(&ctx.db, cid, &emps, extra).await?;
    let company = p.company.take().filter(|c| c.delete_time.is_none()).ok_or_else(|| company_not_found(cid))?;
    let mine = p.emps.get(&me).cloned().ok_or_else(|| company_not_found(company.id))?;
    need_manager(&mine)?;
    if role == ROLE_MANAGER {
        need_creator(&mine)?;
    }
    let nicks: std::collections::HashMap<i64, String> =
        found.iter().filter_map(|it| Some((it.i64("uid")?, it.string("nickname")))).collect();
    if let Some(u) = ids.iter().find(|u| !nicks.contains_key(&u.0)) {
        return Err(AppError::not_found(format!("user {u}")));
    }
    let now = ctx.now_ms();
    let new: Vec<Employee> = ids
        .iter()
        .filter(|u| !p.emps.contains_key(u))
        .map(|u| Employee {
            company: cid,
            uid: *u,
            dept: did,
            nickname: nicks.get(&u.0).cloned().unwrap_or_default(),
            position: None,
            role,
            join_time: now,
        })
        .collect();
    org::add_employees(&ctx.db, did, &new).await?;
    Ok(new)
}

/// Remove employees of a department from the company (managers; never the creator; every
/// id must be an employee of that department).
pub async fn remove_employees(ctx: &Ctx, me: UserId, did: DeptId, ids: &[UserId]) -> AppResult<()> {
    let ids = check_ids("userIds", ids, MAX_IDS)?;
    let (company, mine, p) = access(ctx, me, did.company, &[did], &ids).await?;
    need_manager(&mine)?;
    if !p.depts.contains_key(&did.n) {
        return Err(AppError::not_found(format!("department {did}")));
    }
    for u in &ids {
        match p.emps.get(u) {
            Some(e) if e.dept == did => {
                if e.role == ROLE_CREATOR || *u == company.create_user {
                    return Err(AppError::forbidden("the creator is never removed"));
                }
            }
            _ => return Err(AppError::not_found(format!("employee {u} in department {did}"))),
        }
    }
    if !org::remove_employees(&ctx.db, did, &ids).await? {
        return Err(AppError::Conflict("the department changed meanwhile, try again".into()));
    }
    Ok(())
}

/// One employee and the caller's record (employees only); NotFound when `uid` is not one.
pub async fn employee(ctx: &Ctx, me: UserId, cid: CompanyId, uid: UserId) -> AppResult<Employee> {
    let (_, _, mut p) = access(ctx, me, cid, &[], &[uid]).await?;
    p.emps.remove(&uid).ok_or_else(|| AppError::not_found(format!("employee {cid}.{uid}")))
}

/// Managed change of one employee: the caller's record and the target's.
async fn managed(ctx: &Ctx, me: UserId, cid: CompanyId, uid: UserId) -> AppResult<(Employee, Employee)> {
    let (_, mine, mut p) = access(ctx, me, cid, &[], &[uid]).await?;
    need_manager(&mine)?;
    let target = p.emps.remove(&uid).ok_or_else(|| AppError::not_found(format!("employee {cid}.{uid}")))?;
    Ok((mine, target))
}

/// Move an employee to another department of the company (managers).
pub async fn move_employee(ctx: &Ctx, me: UserId, cid: CompanyId, uid: UserId, to: DeptId) -> AppResult<Employee> {
    if to.company != cid {
        return Err(AppError::not_found(format!("department {to}")));
    }
    let (_, target) = managed(ctx, me, cid, uid).await?;
    if target.dept == to {
        return Ok(target);
    }
    org::move_employee(&ctx.db, &target, to).await?.ok_or_else(|| AppError::internal("move"))
}

/// Change a role between 1 and 2 (the creator; the creator's own role never changes).
pub async fn set_role(ctx: &Ctx, me: UserId, cid: CompanyId, uid: UserId, role: i64) -> AppResult<Employee> {
    if role != ROLE_EMPLOYEE && role != ROLE_MANAGER {
        return Err(AppError::invalid("role", "1 employee or 2 manager"));
    }
    let (mine, target) = managed(ctx, me, cid, uid).await?;
    need_creator(&mine)?;
    if target.role == ROLE_CREATOR {
        return Err(AppError::forbidden("the creator's role does not change"));
    }
    if !org::set_roles(&ctx.db, cid, &[uid], role).await? {
        return Err(AppError::not_found(format!("employee {cid}.{uid}")));
    }
    Ok(Employee { role, ..target })
}

/// Set an employee's position (managers; ≤ 64 characters; empty clears it).
pub async fn set_position(
    ctx: &Ctx,
    me: UserId,
    cid: CompanyId,
    uid: UserId,
    position: Option<String>,
) -> AppResult<Employee> {
    let position = position.map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
    if position.as_ref().is_some_and(|p| p.chars().count() > POSITION_MAX) {
        return Err(AppError::invalid("position", format!("longer than {POSITION_MAX} characters")));
    }
    managed(ctx, me, cid, uid).await?;
    org::set_position(&ctx.db, cid, uid, position.as_deref())
        .await?
        .ok_or_else(|| AppError::not_found(format!("employee {cid}.{uid}")))
}

/// After a rename: refresh the nickname copies on the user's employee items.
pub async fn refresh_nickname(ctx: &Ctx, uid: UserId, nickname: &str) -> AppResult<()> {
    org::refresh_nickname(&ctx.db, uid, nickname).await
}

/// A page of the directory search over the caller's companies: employees whose nickname or
/// position contains `q` (case-insensitive), within the subtree of `under` when given,
/// ordered by (company, user), after the cursor `<cid>.<uid>` (an employee id).
pub struct Search {
    pub q: Option<String>,
    pub under: Option<DeptId>,
    pub limit: usize,
    pub after: Option<(CompanyId, UserId)>,
}

/// Search result: (employee, department name) items and whether more follow.
pub async fn search(ctx: &Ctx, me: UserId, s: &Search) -> AppResult<(Vec<(Employee, String)>, bool)> {
    let q = s.q.as_ref().map(|q| q.to_lowercase());
    let mut trees = my_trees(ctx, me).await?;
    if let Some(d) = s.under {
        trees.retain(|t| t.company.id == d.company);
        let found = trees.first().is_some_and(|t| t.depts.iter().any(|x| x.id == d));
        if !found {
            return Err(AppError::not_found(format!("department {d}")));
        }
    }
    let mut out = vec![];
    for t in &trees {
        let names: std::collections::HashMap<DeptId, &Department> = t.depts.iter().map(|d| (d.id, d)).collect();
        let inside = |mut id: DeptId| -> bool {
            let Some(target) = s.under else { return true };
            for _ in 0..=MAX_DEPTH + 1 {
                if id == target {
                    return true;
                }
                match names.get(&id).and_then(|d| d.parent) {
                    Some(p) => id = p,
                    None => return false,
                }
            }
            false
        };
        for e in &t.employees {
            if s.after.is_some_and(|(c, u)| (e.company, e.uid) <= (c, u)) || !inside(e.dept) {
                continue;
            }
            let hit = q.as_ref().is_none_or(|q| {
                e.nickname.to_lowercase().contains(q)
                    || e.position.as_ref().is_some_and(|p| p.to_lowercase().contains(q))
            });
            if hit {
                let dn = names.get(&e.dept).map(|d| d.name.clone()).unwrap_or_default();
                out.push((e.clone(), dn));
            }
        }
    }
    out.sort_by_key(|(e, _)| (e.company, e.uid));
    let more = out.len() > s.limit;
    out.truncate(s.limit);
    Ok((out, more))
}
