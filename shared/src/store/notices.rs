//! Room notices: `CONV#<cid>` / `ANNOUNCE#<noticeId>` items (sorted before `MSG#`, so
//! history Queries never see them) and META's copy of the current notice (`notice*`).

use super::conversations::pk;
use super::groups::{self, GroupEvent};
use super::{is_condition_failure, n, s, Db, Item, ItemExt};
use crate::domain::rooms::Notice;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

fn notice_sk(id: &str) -> String {
    format!("ANNOUNCE#{id}")
}

fn notice_from(it: &Item) -> Option<Notice> {
    Some(Notice {
        id: it.str("sk")?.strip_prefix("ANNOUNCE#")?.to_string(),
        text: it.string("text"),
        by: UserId(it.i64("by").unwrap_or(0)),
        nickname: it.string("nickname"),
        time: it.i64("time").unwrap_or(0),
    })
}

/// Notice ids sort by time: `<ms:013>-<8 hex>`.
fn valid_notice_id(id: &str) -> bool {
    id.len() == 22 && id.as_bytes()[13] == b'-' && id.bytes().enumerate().all(|(i, b)| i == 13 || b.is_ascii_hexdigit())
}

/// Post a notice: the `ANNOUNCE#` item and META's current notice in one transaction.
/// `event` is made from the notice and written in the same transaction.
pub async fn add_notice(
    db: &Db,
    now: i64,
    (cid, by, nickname): (&str, UserId, &str),
    text: &str,
    event: impl FnOnce(&Notice) -> GroupEvent,
) -> AppResult<Notice> {
    let rand = uuid::Uuid::new_v4().simple().to_string();
    let id = format!("{now:013}-{}", &rand[..8]);
    let mut it = Db::key(pk(cid), notice_sk(&id));
    it.insert("text".into(), s(text));
    it.insert("by".into(), n(by.0));
    it.insert("nickname".into(), s(nickname));
    it.insert("time".into(), n(now));
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(it.clone()))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table and item set");
    let meta = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression("SET noticeId = :i, noticeText = :x, noticeBy = :b, noticeNick = :n, noticeTime = :t")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":i", s(&id))
        .expression_attribute_values(":x", s(text))
        .expression_attribute_values(":b", n(by.0))
        .expression_attribute_values(":n", s(nickname))
        .expression_attribute_values(":t", n(now))
        .build()
        .expect("table and key set");
    let notice = notice_from(&it).expect("item just built");
    let writes = vec![TransactWriteItem::builder().put(put).build(), TransactWriteItem::builder().update(meta).build()];
    if !groups::transact(db, writes, cid, now, &[event(&notice)]).await? {
        return Err(AppError::not_found(format!("room {cid}")));
    }
    Ok(notice)
}

/// Notices, newest first: one Query page of at most `limit`.
pub async fn notices(db: &Db, cid: &str, limit: i32) -> AppResult<Vec<Notice>> {
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND begins_with(sk, :a)")
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":a", s("ANNOUNCE#"))
        .scan_index_forward(false)
        .limit(limit.clamp(1, 500))
        .send()
        .await?;
    Ok(out.items().iter().filter_map(notice_from).collect())
}

/// Delete a notice (false: no such notice). If it was the current one, META's copy goes too.
/// The notice goes with `event` in one transaction.
pub async fn delete_notice(db: &Db, now: i64, cid: &str, id: &str, event: &GroupEvent) -> AppResult<bool> {
    if !valid_notice_id(id) {
        return Ok(false);
    }
    let del = aws_sdk_dynamodb::types::Delete::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), notice_sk(id))))
        .condition_expression("attribute_exists(pk)")
        .build()
        .expect("key set");
    if !groups::transact(
        db,
        vec![TransactWriteItem::builder().delete(del).build()],
        cid,
        now,
        std::slice::from_ref(event),
    )
    .await?
    {
        return Ok(false);
    }
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression("REMOVE noticeId, noticeText, noticeBy, noticeNick, noticeTime")
        .condition_expression("noticeId = :i")
        .expression_attribute_values(":i", s(id))
        .send()
        .await;
    match r {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_ids_are_checked_before_building_keys() {
        assert!(valid_notice_id("1700000000000-0a1b2c3d"));
        assert!(!valid_notice_id("x"));
        assert!(!valid_notice_id("1700000000000-0a1b2c3#"));
    }
}
