//! AUDIT#<yyyymmdd> / <ts:013>#<rand>: the operator console's audit trail. Each console
//! mutation puts one entry IN THE TRANSACTION of its change ([`put`]): no audit, no action.

use super::keys::{audit_pk, audit_sk};
use super::{n, s, Db, Item, ItemExt};
use crate::domain::audit::{day, AuditEntry};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

fn item(e: &AuditEntry) -> Item {
    let mut it = Db::key(audit_pk(&day(e.at_ms)), audit_sk(e.at_ms, rand::random()));
    it.insert("operator".into(), n(e.operator.0));
    it.insert("route".into(), s(&e.route));
    it.insert("targets".into(), AttributeValue::L(e.targets.iter().map(s).collect()));
    it.insert("at".into(), n(e.at_ms));
    it
}

/// The entry as a transaction item (never overwrites: a random suffix collision fails the
/// change, which the caller may retry).
pub fn put(db: &Db, e: &AuditEntry) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(item(e)))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table and item set");
    TransactWriteItem::builder().put(put).build()
}

fn from_item(it: &Item) -> Option<AuditEntry> {
    Some(AuditEntry {
        operator: UserId(it.i64("operator")?),
        route: it.str("route")?.to_string(),
        targets: match it.get("targets") {
            Some(AttributeValue::L(l)) => l.iter().filter_map(|v| v.as_s().ok().cloned()).collect(),
            _ => vec![],
        },
        at_ms: it.i64("at")?,
    })
}

/// The entries of one UTC day (`yyyymmdd`), oldest first, one Query page of `limit`.
pub async fn of_day(db: &Db, day: &str, limit: i32) -> AppResult<Vec<AuditEntry>> {
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s(audit_pk(day)))
        .limit(limit)
        .send()
        .await?;
    Ok(out.items().iter().filter_map(from_item).collect())
}
