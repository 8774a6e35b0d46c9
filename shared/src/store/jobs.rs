//! Jobs (domain::jobs): `JOB#<id>` / `META`, one item per job (keys: store/keys.rs).
//!
//! The item carries `ev = job`, so the template's stream filter hands its INSERT and every
//! MODIFY to the delivery function: each checkpoint (one conditional UpdateItem on `page`)
//! is the trigger of the next page, until `status = done`. GSI1 `JOBS#<owner>` /
//! `<list>#<created:013>#<id>`: an owner's jobs of one list, newest first.

use super::keys::{job_pk, jobs_gsi1_prefix, jobs_gsi1pk, jobs_gsi1sk, JOB_SK};
use super::{applied, n, s, Db, Item, ItemExt, GSI1};
use crate::domain::jobs::{Job, JobKind, JobStatus, Step};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

/// The stream event kind of job items.
pub const EV_JOB: &str = "job";

pub fn item(j: &Job) -> Item {
    let mut it = Db::key(job_pk(&j.id), JOB_SK);
    it.insert("ev".into(), s(EV_JOB));
    it.insert("kind".into(), s(j.kind.as_str()));
    it.insert("owner".into(), n(j.owner.0));
    it.insert("list".into(), s(&j.list));
    it.insert("payload".into(), s(&j.payload));
    it.insert("status".into(), s(j.status.as_str()));
    it.insert("page".into(), n(j.page));
    if let Some(c) = &j.cursor {
        it.insert("cursor".into(), s(c));
    }
    it.insert("done".into(), n(j.done));
    it.insert("failed".into(), n(j.failed));
    it.insert("createdAt".into(), n(j.created_at));
    it.insert("updatedAt".into(), n(j.updated_at));
    it.insert("gsi1pk".into(), s(jobs_gsi1pk(j.owner)));
    it.insert("gsi1sk".into(), s(jobs_gsi1sk(&j.list, j.created_at, &j.id)));
    it
}

/// A job from its item (or a stream image of it); None when it is not one.
pub fn job_from(it: &Item) -> Option<Job> {
    let id = it.str("pk")?.strip_prefix("JOB#")?.to_string();
    Some(Job {
        id,
        kind: JobKind::parse(it.str("kind")?)?,
        owner: UserId(it.i64("owner")?),
        list: it.string("list"),
        payload: it.string("payload"),
        status: JobStatus::parse(it.str("status")?),
        page: it.i64("page")?,
        cursor: it.str("cursor").map(str::to_string),
        done: it.i64("done").unwrap_or(0),
        failed: it.i64("failed").unwrap_or(0),
        created_at: it.i64("createdAt").unwrap_or(0),
        updated_at: it.i64("updatedAt").unwrap_or(0),
    })
}

/// The Put of a new job (for a TransactWriteItems with the caller's other writes, e.g. a
/// counter): fails if the id exists.
pub fn create_item(db: &Db, j: &Job) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(item(j)))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table and item set");
    TransactWriteItem::builder().put(put).build()
}

/// Write a new job with `extra` items of the caller in one TransactWriteItems (`extra`
/// first). `Ok(Err(i))`: the condition of `extra[i]` failed, nothing written.
pub async fn create_with(db: &Db, j: &Job, extra: Vec<TransactWriteItem>) -> AppResult<Result<(), usize>> {
    let mut items = extra;
    let n_extra = items.len();
    items.push(create_item(db, j));
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(Ok(())),
        Err(e) => match super::failed_conditions(&e) {
            Some(failed) => match failed.first() {
                Some((i, _)) if *i < n_extra => Ok(Err(*i)),
                // Only a caller-chosen id can be taken (services::live_members).
                _ => Err(AppError::Conflict(format!("job {} exists", j.id))),
            },
            None => Err(e.into()),
        },
    }
}

/// Record page `j.page` as done (`step`): one UpdateItem, applied only while the job is
/// still at that page and running. False: another try of the same page checkpointed first
/// (nothing is counted twice).
pub async fn checkpoint(db: &Db, now_ms: i64, j: &Job, step: &Step) -> AppResult<bool> {
    let status = if step.next.is_some() { JobStatus::Running } else { JobStatus::Done };
    let mut set = "SET page = :next, done = done + :d, failed = failed + :f, #st = :st, updatedAt = :now".to_string();
    let mut u = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(job_pk(&j.id), JOB_SK)))
        .condition_expression("attribute_exists(pk) AND page = :page AND #st = :running")
        .expression_attribute_names("#st", "status")
        .expression_attribute_values(":page", n(j.page))
        .expression_attribute_values(":next", n(j.page + 1))
        .expression_attribute_values(":d", n(step.done))
        .expression_attribute_values(":f", n(step.failed))
        .expression_attribute_values(":st", s(status.as_str()))
        .expression_attribute_values(":running", s(JobStatus::Running.as_str()))
        .expression_attribute_values(":now", n(now_ms));
    match &step.next {
        Some(c) => {
            set.push_str(", #cur = :cur");
            u = u.expression_attribute_names("#cur", "cursor").expression_attribute_values(":cur", s(c));
        }
        None => {
            set.push_str(" REMOVE #cur");
            u = u.expression_attribute_names("#cur", "cursor");
        }
    }
    applied(u.update_expression(set).send().await)
}

/// One job by id (one GetItem).
pub async fn get(db: &Db, id: &str) -> AppResult<Option<Job>> {
    if !crate::domain::jobs::valid_job_id(id) {
        return Ok(None);
    }
    Ok(db.get(job_pk(id), JOB_SK).await?.as_ref().and_then(job_from))
}

/// Put a job item back as given (a checkpoint restored: replays and tests of resumption).
pub async fn restore(db: &Db, j: &Job) -> AppResult<()> {
    db.client.put_item().table_name(&db.table).set_item(Some(item(j))).send().await?;
    Ok(())
}

/// The newest `limit` jobs of `owner`'s `list` (one Query on GSI1).
pub async fn list(db: &Db, owner: UserId, list: &str, limit: usize) -> AppResult<Vec<Job>> {
    if limit == 0 {
        return Ok(vec![]);
    }
    if limit > 1000 {
        return Err(AppError::invalid("pageSize", "too far"));
    }
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .index_name(GSI1)
        .key_condition_expression("gsi1pk = :p AND begins_with(gsi1sk, :l)")
        .expression_attribute_values(":p", s(jobs_gsi1pk(owner)))
        .expression_attribute_values(":l", s(jobs_gsi1_prefix(list)))
        .scan_index_forward(false)
        .limit(limit as i32)
        .send()
        .await?;
    Ok(out.items().iter().filter_map(job_from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip() {
        let j = Job {
            id: "0123456789abcdef0123456789abcdef".into(),
            kind: JobKind::Broadcast,
            owner: UserId(10000001),
            list: "one".into(),
            payload: "{}".into(),
            status: JobStatus::Running,
            page: 3,
            cursor: Some("1.000000000002".into()),
            done: 10,
            failed: 1,
            created_at: 5,
            updated_at: 6,
        };
        assert_eq!(job_from(&item(&j)), Some(j.clone()));
        let it = item(&j);
        assert_eq!(it.str("ev"), Some(EV_JOB));
        assert_eq!(it.str("gsi1sk"), Some("one#0000000000005#0123456789abcdef0123456789abcdef"));
    }
}
