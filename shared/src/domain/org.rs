//! The org directory (Shiku companies, departments, employees; Minxing departments):
//! typed ids and entities. Roles are org roles (1 employee, 2 manager, 3 creator), never room
//! roles. Ids locate their partition: a department id is `<cid>.<n>`, an employee id
//! `<cid>.<uid>`.

use crate::error::{AppError, AppResult};
use crate::ids::UserId;

/// A company id: a decimal counter value (`COUNTER/company`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CompanyId(pub i64);

impl CompanyId {
    pub fn parse(name: &str, raw: &str) -> AppResult<CompanyId> {
        match raw.trim().parse::<i64>() {
            Ok(v) if v > 0 => Ok(CompanyId(v)),
            _ => Err(AppError::invalid(name, "must be a positive integer company id")),
        }
    }
}

impl std::fmt::Display for CompanyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A department id `<cid>.<n>` (n ≥ 1; the root department is n = 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeptId {
    pub company: CompanyId,
    pub n: i64,
}

impl DeptId {
    pub fn parse(name: &str, raw: &str) -> AppResult<DeptId> {
        let bad = || AppError::invalid(name, "must be a department id <companyId>.<n>");
        let (c, n) = raw.trim().split_once('.').ok_or_else(bad)?;
        let company = CompanyId::parse(name, c).map_err(|_| bad())?;
        match n.parse::<i64>() {
            Ok(v) if v > 0 && n.bytes().all(|b| b.is_ascii_digit()) => Ok(DeptId { company, n: v }),
            _ => Err(bad()),
        }
    }
    pub fn root(company: CompanyId) -> DeptId {
        DeptId { company, n: 1 }
    }
}

impl std::fmt::Display for DeptId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.company, self.n)
    }
}

/// An employee id `<cid>.<uid>`.
pub fn employee_id(company: CompanyId, uid: UserId) -> String {
    format!("{company}.{uid}")
}

/// Parse an employee id `<cid>.<uid>`.
pub fn parse_employee_id(name: &str, raw: &str) -> AppResult<(CompanyId, UserId)> {
    let bad = || AppError::invalid(name, "must be an employee id <companyId>.<userId>");
    let (c, u) = raw.trim().split_once('.').ok_or_else(bad)?;
    Ok((CompanyId::parse(name, c).map_err(|_| bad())?, UserId::parse(name, u).map_err(|_| bad())?))
}

pub const ROLE_EMPLOYEE: i64 = 1;
pub const ROLE_MANAGER: i64 = 2;
pub const ROLE_CREATOR: i64 = 3;

/// Company `type` (seed field, undefined there): 0.
pub const COMPANY_TYPE: i64 = 0;
/// Department `type`: 1 the root department, 2 an ordinary one.
pub const DEPT_TYPE_ROOT: i64 = 1;
pub const DEPT_TYPE_ORDINARY: i64 = 2;

/// Limits: department depth below the root, departments per company, ids per list call,
/// texts.
pub const MAX_DEPTH: i64 = 10;
pub const MAX_DEPTS: i64 = 1000;
pub const MAX_ADD: usize = 98;
pub const MAX_IDS: usize = 100;
pub const NAME_MAX: usize = 64;
pub const POSITION_MAX: usize = 64;
pub const NOTICE_MAX: usize = 2000;

/// A company (`ORG#<cid>/META`). Deleted companies (`delete_time`) are hidden everywhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub create_time: i64,
    pub create_user: UserId,
    pub delete_time: Option<i64>,
    pub delete_user: Option<UserId>,
    pub emp_num: i64,
    pub notice_content: Option<String>,
    pub notice_time: Option<i64>,
    /// Departments ever created (the next department is n = dept_seq + 1).
    pub dept_seq: i64,
    /// Departments existing now.
    pub dept_count: i64,
}

impl Company {
    pub fn root_dept(&self) -> DeptId {
        DeptId::root(self.id)
    }
}

/// A department (`ORG#<cid>/DEPT#<n>`). The root's parent is the company id.
#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub id: DeptId,
    /// The parent department; None for the root (rendered as the company id).
    pub parent: Option<DeptId>,
    pub name: String,
    pub create_time: i64,
    pub create_user: UserId,
    pub emp_num: i64,
    /// Child departments existing now (a department with children cannot be deleted).
    pub children: i64,
    /// 0 for the root.
    pub depth: i64,
}

impl Department {
    pub fn kind(&self) -> i64 {
        if self.parent.is_none() {
            DEPT_TYPE_ROOT
        } else {
            DEPT_TYPE_ORDINARY
        }
    }
}

/// An employee (`ORG#<cid>/EMP#<uid>`): one department per company.
#[derive(Debug, Clone, PartialEq)]
pub struct Employee {
    pub company: CompanyId,
    pub uid: UserId,
    pub dept: DeptId,
    /// Copy of the user's nickname (refreshed on rename).
    pub nickname: String,
    pub position: Option<String>,
    pub role: i64,
    pub join_time: i64,
}

impl Employee {
    pub fn id(&self) -> String {
        employee_id(self.company, self.uid)
    }
    pub fn is_manager(&self) -> bool {
        self.role >= ROLE_MANAGER
    }
}

/// A whole company read in one go (the partition): META, departments, employees.
#[derive(Debug, Clone)]
pub struct Tree {
    pub company: Company,
    pub depts: Vec<Department>,
    pub employees: Vec<Employee>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let d = DeptId::parse("d", "12.3").unwrap();
        assert_eq!((d.company.0, d.n), (12, 3));
        assert_eq!(d.to_string(), "12.3");
        for bad in ["", "12", "12.", ".3", "12.0", "a.3", "12.3.4", "-1.2", "12.x"] {
            assert!(DeptId::parse("d", bad).is_err(), "{bad}");
        }
        assert_eq!(parse_employee_id("e", "7.100001").unwrap(), (CompanyId(7), UserId(100001)));
        assert!(parse_employee_id("e", "7").is_err());
        assert!(parse_employee_id("e", "7.0").is_err());
    }
}
