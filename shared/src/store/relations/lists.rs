//! Index Queries of relations and friend requests: one Query page each (cursor pagination).

use super::{rel_from, ListKind, Relation};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::keys::{fans_gsi1pk, rels_gsi2pk};
use crate::store::{s, Db, Item, ItemExt, GSI1, GSI2};

/// One page of results and the cursor for the next (None at the end).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

fn valid_cursor(c: &str) -> bool {
    !c.is_empty() && c.len() <= 40 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
}

/// Sort-key condition of an index Query.
pub(super) enum Range {
    All,
    Between(String, String),
    Below(String),
}

/// Query pages until `limit` items (or the end); `limit` None = everything.
/// Normally one Query call: DynamoDB cuts pages only at 1 MB. The cursor returned is the
/// index sort key of the last item when more may follow.
pub(super) async fn query_index(
    db: &Db,
    index: &str,
    pk_val: String,
    range: Range,
    limit: Option<usize>,
    forward: bool,
) -> AppResult<(Vec<Item>, Option<String>)> {
    let (pk_name, sk_name) = if index == GSI1 { ("gsi1pk", "gsi1sk") } else { ("gsi2pk", "gsi2sk") };
    let mut out: Vec<Item> = vec![];
    let mut start: Option<Item> = None;
    loop {
        let mut q = db
            .client
            .query()
            .table_name(&db.table)
            .index_name(index)
            .scan_index_forward(forward)
            .expression_attribute_values(":p", s(&pk_val));
        q = match &range {
            Range::All => q.key_condition_expression(format!("{pk_name} = :p")),
            Range::Between(lo, hi) => q
                .key_condition_expression(format!("{pk_name} = :p AND {sk_name} BETWEEN :lo AND :hi"))
                .expression_attribute_values(":lo", s(lo))
                .expression_attribute_values(":hi", s(hi)),
            Range::Below(v) => q
                .key_condition_expression(format!("{pk_name} = :p AND {sk_name} < :v"))
                .expression_attribute_values(":v", s(v)),
        };
        if let Some(l) = limit {
            q = q.limit((l - out.len()).clamp(1, 1000) as i32);
        }
        if let Some(st) = start.take() {
            q = q.set_exclusive_start_key(Some(st));
        }
        let resp = q.send().await?;
        out.extend(resp.items().iter().cloned());
        let last = resp.last_evaluated_key().cloned();
        let full = limit.is_some_and(|l| out.len() >= l);
        match last {
            Some(k) if !full => start = Some(k),
            _ => {
                let next = if last.is_some() {
                    out.last().and_then(|i| i.str(sk_name)).map(|k| k.replace('#', "."))
                } else {
                    None
                };
                return Ok((out, next));
            }
        }
    }
}

/// Cursors are index sort keys with '#' written as '.', so they travel in URLs unescaped.
pub(super) fn cursor_sk(c: Option<&str>) -> AppResult<Option<String>> {
    match c {
        Some(c) if !valid_cursor(c) => Err(AppError::invalid("cursor", "malformed cursor")),
        Some(c) => Ok(Some(c.replace('.', "#"))),
        None => Ok(None),
    }
}

/// Sort-key range of one list kind, starting strictly after `after`.
fn rel_range(kind: ListKind, after: Option<&str>) -> (String, String) {
    let (lo, hi) = match kind {
        ListKind::Friends => ("2#", "2#~"),
        ListKind::FollowOnly => ("1#", "1#~"),
        ListKind::Following => ("1#", "2#~"),
        ListKind::Blacklist => ("X#", "X#~"),
        ListKind::Subscriptions => ("P#", "P#~"),
    };
    let lo = match after {
        // "<after>$" sorts after "<after>" and before the next key (all keys have the same length).
        Some(a) if a > lo => format!("{a}$"),
        _ => lo.to_string(),
    };
    (lo, hi.to_string())
}

/// One page of a user's relations of one kind (one Query; `limit` None = all).
pub async fn list(
    db: &Db,
    owner: UserId,
    kind: ListKind,
    after: Option<&str>,
    limit: Option<usize>,
) -> AppResult<Page<Relation>> {
    let after = cursor_sk(after)?;
    let (lo, hi) = rel_range(kind, after.as_deref());
    let (items, next) = query_index(db, GSI2, rels_gsi2pk(owner), Range::Between(lo, hi), limit, true).await?;
    Ok(Page { items: items.iter().filter_map(rel_from).collect(), next })
}

/// Users following `uid` (their relation to `uid`), one Query page.
pub async fn fans(db: &Db, uid: UserId, after: Option<&str>, limit: Option<usize>) -> AppResult<Page<Relation>> {
    let range = match cursor_sk(after)? {
        Some(a) => Range::Between(format!("{a}$"), "~".into()),
        None => Range::All,
    };
    let (items, next) = query_index(db, GSI1, fans_gsi1pk(uid), range, limit, true).await?;
    Ok(Page { items: items.iter().filter_map(rel_from).collect(), next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_start_after_the_cursor() {
        let (lo, _) = rel_range(ListKind::Friends, Some("2#000000000002"));
        assert!(lo.as_str() > "2#000000000002" && lo.as_str() < "2#000000000003");
        assert!(cursor_sk(Some("2.000000000002")).unwrap().as_deref() == Some("2#000000000002"));
        assert!(cursor_sk(Some("bad#cursor")).is_err());
    }
}
