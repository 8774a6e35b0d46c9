//! Org directory writes: every write that moves a count (`empNum`, `deptCount`, `children`)
//! is one TransactWriteItems with it; conditions keep a deleted company frozen.

use super::{company_from, company_item, dept_from, dept_item, dept_key, emp_from, emp_item, emp_key, meta_key};
use crate::domain::org::{Company, CompanyId, Department, DeptId, Employee, MAX_DEPTS};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::keys::org_dept_gsi2pk;
use crate::store::{n, s, Db, Item};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem, Update};

const LIVE: &str = "attribute_exists(pk) AND attribute_not_exists(deleteTime)";

fn put(db: &Db, it: Item) -> TransactWriteItem {
    let p = Put::builder()
        .table_name(&db.table)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table and item set");
    TransactWriteItem::builder().put(p).build()
}

fn update(db: &Db, key: Item, expr: &str, cond: &str, values: Vec<(&str, AttributeValue)>) -> TransactWriteItem {
    let mut u =
        Update::builder().table_name(&db.table).set_key(Some(key)).update_expression(expr).condition_expression(cond);
    for (k, v) in values {
        u = u.expression_attribute_values(k, v);
    }
    TransactWriteItem::builder().update(u.build().expect("table and key set")).build()
}

fn delete(db: &Db, key: Item, cond: &str, values: Vec<(&str, AttributeValue)>) -> TransactWriteItem {
    let mut d = Delete::builder().table_name(&db.table).set_key(Some(key)).condition_expression(cond);
    if cond.contains("#r") {
        d = d.expression_attribute_names("#r", "role");
    }
    for (k, v) in values {
        d = d.expression_attribute_values(k, v);
    }
    TransactWriteItem::builder().delete(d.build().expect("table and key set")).build()
}

/// Run one transaction. Err(indices) when conditions failed (the items at those indices).
async fn run(db: &Db, items: Vec<TransactWriteItem>) -> AppResult<Result<(), Vec<usize>>> {
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(Ok(())),
        Err(e) => match crate::store::failed_conditions(&e) {
            Some(failed) if !failed.is_empty() => Ok(Err(failed.into_iter().map(|(i, _)| i).collect())),
            _ => Err(e.into()),
        },
    }
}

fn changed() -> AppError {
    AppError::Conflict("the company changed meanwhile, try again".into())
}

/// A new company with its root department and its creator (one transaction).
pub async fn create_company(db: &Db, c: &Company, root: &Department, creator: &Employee) -> AppResult<()> {
    let items = vec![put(db, company_item(c)), put(db, dept_item(root)), put(db, emp_item(creator))];
    run(db, items).await?.map_err(|_| changed())
}

/// Add a department under `d.parent` as the company's department number `d.id.n` (=
/// `deptSeq + 1` of the META read): META `deptSeq`/`deptCount` (conditioned on the read
/// `deptSeq`, the company live, fewer than MAX_DEPTS), the parent's `children`, the new item.
pub async fn add_dept(db: &Db, c: &Company, d: &Department) -> AppResult<()> {
    let parent = d.parent.ok_or_else(|| AppError::internal("a new department has a parent"))?;
    let items = vec![
        update(
            db,
            meta_key(c.id),
            "SET deptSeq = :n ADD deptCount :one",
            &format!("{LIVE} AND deptSeq = :old AND deptCount < :max"),
            vec![(":n", n(d.id.n)), (":one", n(1)), (":old", n(c.dept_seq)), (":max", n(MAX_DEPTS))],
        ),
        update(db, dept_key(parent), "ADD children :one", "attribute_exists(pk)", vec![(":one", n(1))]),
        put(db, dept_item(d)),
    ];
    match run(db, items).await? {
        Ok(()) => Ok(()),
        Err(f) if f == [1] => Err(AppError::not_found(format!("department {parent}"))),
        Err(_) => Err(changed()),
    }
}

/// Change the company's name and/or notice (`noticeTime` with it); None: gone or deleted.
pub async fn update_company(
    db: &Db,
    cid: CompanyId,
    name: Option<&str>,
    notice: Option<(&str, i64)>,
) -> AppResult<Option<Company>> {
    let mut sets = vec![];
    let mut u = db.client.update_item().table_name(&db.table).set_key(Some(meta_key(cid)));
    if let Some(v) = name {
        sets.push("#n = :name");
        u = u.expression_attribute_values(":name", s(v)).expression_attribute_names("#n", "name");
    }
    if let Some((text, at)) = notice {
        sets.push("notice = :notice, noticeTime = :at");
        u = u.expression_attribute_values(":notice", s(text)).expression_attribute_values(":at", n(at));
    }
    if sets.is_empty() {
        return Ok(super::companies(db, &[cid]).await?.into_iter().next().filter(|c| c.delete_time.is_none()));
    }
    let r = u
        .update_expression(format!("SET {}", sets.join(", ")))
        .condition_expression(LIVE)
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match r {
        Ok(out) => Ok(out.attributes.as_ref().and_then(company_from)),
        Err(e) if crate::store::is_condition_failure(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Soft delete by its creator: `deleteTime`, `deleteUser`. false: gone, deleted or not theirs.
pub async fn soft_delete(db: &Db, cid: CompanyId, by: UserId, now: i64) -> AppResult<bool> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(meta_key(cid)))
        .update_expression("SET deleteTime = :t, deleteUser = :u")
        .condition_expression(format!("{LIVE} AND createUser = :u"))
        .expression_attribute_values(":t", n(now))
        .expression_attribute_values(":u", n(by.0))
        .send()
        .await;
    crate::store::applied(r)
}

/// Rename a department; None when it is gone.
pub async fn rename_dept(db: &Db, did: DeptId, name: &str) -> AppResult<Option<Department>> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(dept_key(did)))
        .update_expression("SET #n = :name")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_names("#n", "name")
        .expression_attribute_values(":name", s(name))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match r {
        Ok(out) => Ok(out.attributes.as_ref().and_then(dept_from)),
        Err(e) if crate::store::is_condition_failure(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Delete an empty leaf department (not the root): the item (conditioned on no employees
/// and no children), the parent's `children`, META `deptCount`. false: not empty any more.
pub async fn delete_dept(db: &Db, d: &Department) -> AppResult<bool> {
    let parent = d.parent.ok_or_else(|| AppError::internal("the root is never deleted"))?;
    let items = vec![
        delete(
            db,
            dept_key(d.id),
            "attribute_exists(pk) AND empNum = :zero AND children = :zero",
            vec![(":zero", n(0))],
        ),
        update(db, dept_key(parent), "ADD children :m", "attribute_exists(pk)", vec![(":m", n(-1))]),
        update(db, meta_key(d.id.company), "ADD deptCount :m", LIVE, vec![(":m", n(-1))]),
    ];
    Ok(run(db, items).await?.is_ok())
}

/// Add employees (none of them an employee yet) to one department: the items, the
/// department's and the company's `empNum` (one transaction: ≤ 98 employees).
/// Err NotFound when the department is gone, Conflict when someone joined meanwhile.
pub async fn add_employees(db: &Db, dept: DeptId, emps: &[Employee]) -> AppResult<()> {
    if emps.is_empty() {
        return Ok(());
    }
    let k = emps.len() as i64;
    let mut items = vec![
        update(db, dept_key(dept), "ADD empNum :k", "attribute_exists(pk)", vec![(":k", n(k))]),
        update(db, meta_key(dept.company), "ADD empNum :k", LIVE, vec![(":k", n(k))]),
    ];
    items.extend(emps.iter().map(|e| put(db, emp_item(e))));
    match run(db, items).await? {
        Ok(()) => Ok(()),
        Err(f) if f.contains(&0) => Err(AppError::not_found(format!("department {dept}"))),
        Err(f) if f.contains(&1) => Err(AppError::not_found(format!("company {}", dept.company))),
        Err(_) => Err(changed()),
    }
}

/// Remove employees of one department (never the creator): the items (conditioned on
/// being in that department with a role below 3), both `empNum`s. false: something moved.
pub async fn remove_employees(db: &Db, dept: DeptId, uids: &[UserId]) -> AppResult<bool> {
    if uids.is_empty() {
        return Ok(true);
    }
    let k = -(uids.len() as i64);
    let mut items = vec![
        update(db, dept_key(dept), "ADD empNum :k", "attribute_exists(pk)", vec![(":k", n(k))]),
        update(db, meta_key(dept.company), "ADD empNum :k", "attribute_exists(pk)", vec![(":k", n(k))]),
    ];
    for u in uids {
        items.push(delete(
            db,
            emp_key(dept.company, *u),
            "attribute_exists(pk) AND deptN = :d AND #r < :creator",
            vec![(":d", n(dept.n)), (":creator", n(crate::domain::org::ROLE_CREATOR))],
        ));
    }
    Ok(run(db, items).await?.is_ok())
}

/// Move an employee to another department of the company: the item (conditioned on its
/// current department), both departments' `empNum`. Err NotFound when the target is gone.
pub async fn move_employee(db: &Db, e: &Employee, to: DeptId) -> AppResult<Option<Employee>> {
    let items = vec![
        update(db, dept_key(to), "ADD empNum :one", "attribute_exists(pk)", vec![(":one", n(1))]),
        update(db, dept_key(e.dept), "ADD empNum :m", "attribute_exists(pk)", vec![(":m", n(-1))]),
        update(
            db,
            emp_key(e.company, e.uid),
            "SET deptN = :to, gsi2pk = :g",
            "attribute_exists(pk) AND deptN = :from",
            vec![(":to", n(to.n)), (":g", s(org_dept_gsi2pk(to))), (":from", n(e.dept.n))],
        ),
    ];
    match run(db, items).await? {
        Ok(()) => Ok(Some(Employee { dept: to, ..e.clone() })),
        Err(f) if f == [0] => Err(AppError::not_found(format!("department {to}"))),
        Err(_) => Err(changed()),
    }
}

/// Set the role of employees who are not the creator (one transaction). false: one of
/// them left or is the creator.
pub async fn set_roles(db: &Db, cid: CompanyId, uids: &[UserId], role: i64) -> AppResult<bool> {
    if uids.is_empty() {
        return Ok(true);
    }
    let items = uids
        .iter()
        .map(|u| {
            let uu = Update::builder()
                .table_name(&db.table)
                .set_key(Some(emp_key(cid, *u)))
                .update_expression("SET #r = :role")
                .condition_expression("attribute_exists(pk) AND #r < :creator")
                .expression_attribute_names("#r", "role")
                .expression_attribute_values(":role", n(role))
                .expression_attribute_values(":creator", n(crate::domain::org::ROLE_CREATOR))
                .build()
                .expect("set");
            TransactWriteItem::builder().update(uu).build()
        })
        .collect();
    Ok(run(db, items).await?.is_ok())
}

/// Set an employee's position (None clears it); None when they are not an employee.
pub async fn set_position(db: &Db, cid: CompanyId, uid: UserId, position: Option<&str>) -> AppResult<Option<Employee>> {
    let mut u = db.client.update_item().table_name(&db.table).set_key(Some(emp_key(cid, uid)));
    u = match position {
        Some(p) => u.update_expression("SET #p = :p").expression_attribute_values(":p", s(p)),
        None => u.update_expression("REMOVE #p"),
    };
    let r = u
        .expression_attribute_names("#p", "position")
        .condition_expression("attribute_exists(pk)")
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match r {
        Ok(out) => Ok(out.attributes.as_ref().and_then(emp_from)),
        Err(e) if crate::store::is_condition_failure(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Refresh the nickname copy on every employee item of `uid` (GSI1 Query + one UpdateItem
/// per company).
pub async fn refresh_nickname(db: &Db, uid: UserId, nickname: &str) -> AppResult<()> {
    for e in super::memberships(db, uid).await? {
        let r = db
            .client
            .update_item()
            .table_name(&db.table)
            .set_key(Some(emp_key(e.company, uid)))
            .update_expression("SET nickname = :n")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":n", s(nickname))
            .send()
            .await;
        crate::store::applied(r)?;
    }
    Ok(())
}
