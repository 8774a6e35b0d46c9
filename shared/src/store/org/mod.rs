//! The org directory (docs/data-model.md "Org"): one partition per company `ORG#<cid>` with
//! `META` (the company), `DEPT#<n:06>` (departments), `EMP#<uid:012>` (employees; GSI1
//! `UORG#<uid>` / `<cid:012>`: a user's companies; GSI2 `DEPTEMP#<did>` / `<uid:012>`: a
//! department's employees). A whole tree is one Query; ids carry the company id. Writes that
//! move counts (`empNum`, `deptCount`, `children`) go in one TransactWriteItems with them.

mod writes;

pub use writes::*;

use super::keys::{
    company_counter, org_dept_gsi2pk, org_dept_sk, org_emp_sk, org_pk, org_user_gsi1pk, ORG_DEPT_PREFIX,
    ORG_EMP_PREFIX, ORG_META_SK,
};
use super::{n, s, Db, Item, ItemExt, GSI1, GSI2};
use crate::domain::org::{Company, CompanyId, Department, DeptId, Employee, Tree};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::ReturnValue;
use std::collections::HashMap;

pub fn company_from(it: &Item) -> Option<Company> {
    Some(Company {
        id: CompanyId(it.i64("cid")?),
        name: it.string("name"),
        create_time: it.i64("createTime").unwrap_or(0),
        create_user: UserId(it.i64("createUser")?),
        delete_time: it.i64("deleteTime"),
        delete_user: it.i64("deleteUser").map(UserId),
        emp_num: it.i64("empNum").unwrap_or(0),
        notice_content: it.str("notice").map(str::to_string),
        notice_time: it.i64("noticeTime"),
        dept_seq: it.i64("deptSeq").unwrap_or(1),
        dept_count: it.i64("deptCount").unwrap_or(1),
    })
}

pub fn dept_from(it: &Item) -> Option<Department> {
    let company = CompanyId(it.i64("cid")?);
    Some(Department {
        id: DeptId { company, n: it.i64("n")? },
        parent: it.i64("parentN").map(|p| DeptId { company, n: p }),
        name: it.string("name"),
        create_time: it.i64("createTime").unwrap_or(0),
        create_user: UserId(it.i64("createUser")?),
        emp_num: it.i64("empNum").unwrap_or(0),
        children: it.i64("children").unwrap_or(0),
        depth: it.i64("depth").unwrap_or(0),
    })
}

pub fn emp_from(it: &Item) -> Option<Employee> {
    let company = CompanyId(it.i64("cid")?);
    Some(Employee {
        company,
        uid: UserId(it.i64("uid")?),
        dept: DeptId { company, n: it.i64("deptN")? },
        nickname: it.string("nickname"),
        position: it.str("position").map(str::to_string),
        role: it.i64("role").unwrap_or(1),
        join_time: it.i64("joinTime").unwrap_or(0),
    })
}

pub(crate) fn company_item(c: &Company) -> Item {
    let mut it = Db::key(org_pk(c.id), ORG_META_SK);
    it.insert("cid".into(), n(c.id.0));
    it.insert("name".into(), s(&c.name));
    it.insert("createTime".into(), n(c.create_time));
    it.insert("createUser".into(), n(c.create_user.0));
    it.insert("empNum".into(), n(c.emp_num));
    it.insert("deptSeq".into(), n(c.dept_seq));
    it.insert("deptCount".into(), n(c.dept_count));
    it
}

pub(crate) fn dept_item(d: &Department) -> Item {
    let mut it = Db::key(org_pk(d.id.company), org_dept_sk(d.id.n));
    it.insert("cid".into(), n(d.id.company.0));
    it.insert("n".into(), n(d.id.n));
    if let Some(p) = d.parent {
        it.insert("parentN".into(), n(p.n));
    }
    it.insert("name".into(), s(&d.name));
    it.insert("createTime".into(), n(d.create_time));
    it.insert("createUser".into(), n(d.create_user.0));
    it.insert("empNum".into(), n(d.emp_num));
    it.insert("children".into(), n(d.children));
    it.insert("depth".into(), n(d.depth));
    it
}

pub(crate) fn emp_item(e: &Employee) -> Item {
    use super::keys::{org_dept_gsi2sk, org_user_gsi1sk};
    let mut it = Db::key(org_pk(e.company), org_emp_sk(e.uid));
    it.insert("cid".into(), n(e.company.0));
    it.insert("uid".into(), n(e.uid.0));
    it.insert("deptN".into(), n(e.dept.n));
    it.insert("nickname".into(), s(&e.nickname));
    if let Some(p) = &e.position {
        it.insert("position".into(), s(p));
    }
    it.insert("role".into(), n(e.role));
    it.insert("joinTime".into(), n(e.join_time));
    it.insert("gsi1pk".into(), s(org_user_gsi1pk(e.uid)));
    it.insert("gsi1sk".into(), s(org_user_gsi1sk(e.company)));
    it.insert("gsi2pk".into(), s(org_dept_gsi2pk(e.dept)));
    it.insert("gsi2sk".into(), s(org_dept_gsi2sk(e.uid)));
    it
}

pub fn meta_key(cid: CompanyId) -> Item {
    Db::key(org_pk(cid), ORG_META_SK)
}
pub fn dept_key(did: DeptId) -> Item {
    Db::key(org_pk(did.company), org_dept_sk(did.n))
}
pub fn emp_key(cid: CompanyId, uid: UserId) -> Item {
    Db::key(org_pk(cid), org_emp_sk(uid))
}

/// A new company id: `COUNTER/company` ADD 1 (one UpdateItem).
pub async fn next_company_id(db: &Db) -> AppResult<CompanyId> {
    let (pk, sk) = company_counter();
    let out = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk, sk)))
        .update_expression("ADD v :one")
        .expression_attribute_values(":one", n(1))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await?;
    let v = out.attributes.as_ref().and_then(|a| a.i64("v")).ok_or_else(|| AppError::internal("company counter"))?;
    Ok(CompanyId(v))
}

/// Items of one company read by key in one BatchGetItem (≤ 100 keys): the company, some
/// departments, some employees. Absent items are absent from the maps.
#[derive(Debug, Default)]
pub struct Picked {
    pub company: Option<Company>,
    pub depts: HashMap<i64, Department>,
    pub emps: HashMap<UserId, Employee>,
}

/// Read the company META plus the given departments and employees of `cid` (strongly
/// consistent: the reads feed conditional writes), one BatchGetItem per 100 keys.
pub async fn pick(db: &Db, cid: CompanyId, depts: &[DeptId], emps: &[UserId]) -> AppResult<Picked> {
    let mut keys = vec![meta_key(cid)];
    let mut seen_d = std::collections::HashSet::new();
    for d in depts.iter().filter(|d| d.company == cid && seen_d.insert(d.n)) {
        keys.push(dept_key(*d));
    }
    let mut seen_e = std::collections::HashSet::new();
    for u in emps.iter().filter(|u| seen_e.insert(**u)) {
        keys.push(emp_key(cid, *u));
    }
    let items = super::batch_get_consistent(db, keys).await?;
    Ok(picked(items))
}

fn picked(items: Vec<Item>) -> Picked {
    let mut out = Picked::default();
    for it in items {
        match it.str("sk") {
            Some(ORG_META_SK) => out.company = company_from(&it),
            Some(sk) if sk.starts_with(ORG_DEPT_PREFIX) => {
                if let Some(d) = dept_from(&it) {
                    out.depts.insert(d.id.n, d);
                }
            }
            Some(sk) if sk.starts_with(ORG_EMP_PREFIX) => {
                if let Some(e) = emp_from(&it) {
                    out.emps.insert(e.uid, e);
                }
            }
            _ => {}
        }
    }
    out
}

/// The company META, some employees of it and extra items of other partitions (user
/// profiles) in ONE BatchGetItem of ≤ 100 keys: `employee/add` reads the company, the
/// caller and the users to add together. Answers the org items and the extra items.
pub async fn pick_with(db: &Db, cid: CompanyId, emps: &[UserId], extra: Vec<Item>) -> AppResult<(Picked, Vec<Item>)> {
    let mut keys = vec![meta_key(cid)];
    keys.extend(emps.iter().map(|u| emp_key(cid, *u)));
    keys.extend(extra);
    let items = super::batch_get_consistent(db, keys).await?;
    let org_pk = org_pk(cid);
    let (mine, other): (Vec<Item>, Vec<Item>) = items.into_iter().partition(|it| it.str("pk") == Some(org_pk.as_str()));
    Ok((picked(mine), other))
}

/// The whole company (META, departments, employees): one Query per ≈1 MB page.
pub async fn tree(db: &Db, cid: CompanyId) -> AppResult<Option<Tree>> {
    let items = super::query_all(db, None, org_pk(cid), None, None).await?;
    let p = picked(items);
    let Some(company) = p.company else { return Ok(None) };
    let mut depts: Vec<Department> = p.depts.into_values().collect();
    depts.sort_by_key(|d| d.id.n);
    let mut employees: Vec<Employee> = p.emps.into_values().collect();
    employees.sort_by_key(|e| e.uid);
    Ok(Some(Tree { company, depts, employees }))
}

/// The company and its employees (no departments): one Query (`sk >= EMP#`) per page.
pub async fn with_employees(db: &Db, cid: CompanyId) -> AppResult<(Option<Company>, Vec<Employee>)> {
    let q = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND sk >= :e")
        .expression_attribute_values(":p", s(org_pk(cid)))
        .expression_attribute_values(":e", s(ORG_EMP_PREFIX));
    let mut pages = q.into_paginator().items().send();
    let mut items = vec![];
    while let Some(it) = pages.next().await {
        items.push(it?);
    }
    let p = picked(items);
    let mut emps: Vec<Employee> = p.emps.into_values().collect();
    emps.sort_by_key(|e| e.uid);
    Ok((p.company, emps))
}

/// A department's employees (GSI2 `DEPTEMP#<did>`), by user id.
pub async fn dept_employees(db: &Db, did: DeptId) -> AppResult<Vec<Employee>> {
    let items = super::query_all(db, Some(GSI2), org_dept_gsi2pk(did), None, None).await?;
    Ok(items.iter().filter_map(emp_from).collect())
}

/// The user's employee records, one per company (GSI1 `UORG#<uid>`), by company id.
pub async fn memberships(db: &Db, uid: UserId) -> AppResult<Vec<Employee>> {
    let items = super::query_all(db, Some(GSI1), org_user_gsi1pk(uid), None, None).await?;
    Ok(items.iter().filter_map(emp_from).collect())
}

/// Companies by id (BatchGetItem), deleted ones included (the caller filters), by id.
pub async fn companies(db: &Db, ids: &[CompanyId]) -> AppResult<Vec<Company>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let items = super::batch_get(db, ids.iter().map(|c| meta_key(*c)).collect()).await?;
    let mut v: Vec<Company> = items.iter().filter_map(company_from).collect();
    v.sort_by_key(|c| c.id);
    Ok(v)
}
