//! Shiku org entities (seed 001 `/org/*`): Company, Department, Employee, managerList items;
//! fields exactly as the seed names them, times in seconds, `deleteTime` 0 when live.

use crate::domain::org::{Company, Department, Employee, Tree, COMPANY_TYPE};
use serde_json::{json, Value};

fn secs(ms: i64) -> i64 {
    ms / 1000
}

/// Company; `departments` as given (the caller decides whether to include them).
pub fn company_json(c: &Company, departments: Option<Vec<Value>>) -> Value {
    json!({
        "id": c.id.0,
        "companyName": c.name,
        "createTime": secs(c.create_time),
        "createUserId": c.create_user.0,
        "deleteTime": c.delete_time.map(secs).unwrap_or(0),
        "deleteUserId": c.delete_user.map(|u| u.0).unwrap_or(0),
        "departments": departments.unwrap_or_default(),
        "empNum": c.emp_num,
        "noticeContent": c.notice_content.clone().unwrap_or_default(),
        "noticeTime": c.notice_time.map(secs).unwrap_or(0),
        "rootDpartId": c.root_dept().to_string(),
        "type": COMPANY_TYPE,
    })
}

/// Department; the root's `parentId` is the company id (seed: "根部门的父 id为公司 Id").
pub fn department_json(d: &Department, employees: Option<&[Employee]>) -> Value {
    let mut o = json!({
        "id": d.id.to_string(),
        "companyId": d.id.company.0,
        "parentId": d.parent.map(|p| p.to_string()).unwrap_or_else(|| d.id.company.to_string()),
        "departName": d.name,
        "createTime": secs(d.create_time),
        "createUserId": d.create_user.0,
        "empNum": d.emp_num,
        "type": d.kind(),
    });
    if let Some(e) = employees {
        o["employees"] = Value::Array(e.iter().map(|x| employee_json(x, Some(&d.name))).collect());
    }
    o
}

/// Employee (`departmentName` added: the seed describes `departmentId` as the name).
pub fn employee_json(e: &Employee, dept_name: Option<&str>) -> Value {
    let mut o = json!({
        "id": e.id(),
        "companyId": e.company.0,
        "departmentId": e.dept.to_string(),
        "userId": e.uid.0,
        "nickname": e.nickname,
        "position": e.position.clone().unwrap_or_default(),
        "role": e.role,
    });
    if let Some(n) = dept_name {
        o["departmentName"] = json!(n);
    }
    o
}

/// managerList item: `companyId, departmentId, id, position, role, userId` (+ nickname).
pub fn manager_json(e: &Employee) -> Value {
    employee_json(e, None)
}

/// CompanyVO: the company with its departments, each with its employees.
pub fn tree_json(t: &Tree) -> Value {
    let depts = t
        .depts
        .iter()
        .map(|d| {
            let emps: Vec<Employee> = t.employees.iter().filter(|e| e.dept == d.id).cloned().collect();
            department_json(d, Some(&emps))
        })
        .collect();
    company_json(&t.company, Some(depts))
}
