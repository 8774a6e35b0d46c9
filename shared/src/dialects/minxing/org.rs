//! Minxing directory shapes (`/api/v1/departments`, docs/dialects.md "Minxing departments"):
//! companies are roots (`type` "company", id = the company id), departments below them
//! (`type` "department", id `<cid>.<n>`, the root department's parent is its company).

use crate::domain::org::{Company, Department, Employee};
use serde_json::{json, Value};

pub fn company_json(c: &Company) -> Value {
    json!({
        "id": c.id.to_string(),
        "name": c.name,
        "parent_id": null,
        "company_id": c.id.0,
        "type": "company",
        "user_count": c.emp_num,
    })
}

pub fn department_json(d: &Department) -> Value {
    json!({
        "id": d.id.to_string(),
        "name": d.name,
        "parent_id": d.parent.map(|p| p.to_string()).unwrap_or_else(|| d.id.company.to_string()),
        "company_id": d.id.company.0,
        "type": "department",
        "user_count": d.emp_num,
    })
}

/// A directory user: the employee record (nickname copy, position, role, department).
pub fn member_json(e: &Employee, dept_name: Option<&str>) -> Value {
    json!({
        "id": e.uid.0,
        "name": e.nickname,
        "position": e.position.clone().unwrap_or_default(),
        "role": e.role,
        "department_id": e.dept.to_string(),
        "department_name": dept_name,
        "company_id": e.company.0,
    })
}
