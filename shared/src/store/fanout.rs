//! Chunked fan-out (docs/realtime.md "Chunked fan-out"): a message in a room of more than
//! the context's chunk size (domain::chat::FANOUT_CHUNK) is not posted by the delivery that
//! reads it; that delivery writes one small part item per member range (`FANOUT#<cid>#<part>`
//! / `MSG#<seq>`, `ev = fanout`, a day's TTL) and the stream hands the parts to parallel
//! deliveries, each reading only its own members. A part's key is fixed by the room, the
//! message and the member bounds read, so a retried batch rewrites the same items: DynamoDB
//! writes no stream record for an unchanged item, and a MODIFY (bounds moved meanwhile) is
//! ignored by the stream decoder: each part is delivered once per INSERT.

use super::keys::{conv_pk, fanout_pk, member_sk, msg_sk};
use super::{n, s, Db, Item, ItemExt};
use crate::domain::chat::{FanChunk, FanMember, Message};
use crate::error::AppResult;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};

/// The `ev` of part items (store/stream.rs).
pub const EV_FANOUT: &str = "fanout";
/// Part items expire after a day (they are read once, from the stream).
const TTL_SECS: i64 = 86_400;
/// The member items' sort keys are `MEMBER#<uid>`: every one sorts below this.
const MEMBERS_END: &str = "MEMBER$";

/// The member ranges of a room whose `members` (in sort-key order, as the member Query
/// returns them) are split in parts of `chunk`: contiguous, the first open below and the last
/// open above, so a member added meanwhile falls in exactly one part.
pub fn bounds(members: &[FanMember], chunk: usize) -> Vec<(Option<String>, Option<String>)> {
    let starts: Vec<String> = members.iter().step_by(chunk.max(1)).map(|m| member_sk(m.uid)).collect();
    (0..starts.len()).map(|k| ((k > 0).then(|| starts[k].clone()), starts.get(k + 1).cloned())).collect()
}

/// The part items of `msgs` (one per message and range): ⌈items/25⌉ BatchWriteItem.
pub async fn write(
    db: &Db,
    now_secs: i64,
    cid: &str,
    msgs: &[Message],
    ranges: &[(Option<String>, Option<String>)],
) -> AppResult<usize> {
    let mut puts = vec![];
    for m in msgs {
        for (part, (from, to)) in ranges.iter().enumerate() {
            let c =
                FanChunk { cid: cid.to_string(), seq: m.seq, part: part as u32, from: from.clone(), to: to.clone() };
            let item = PutRequest::builder().set_item(Some(item(now_secs, &c))).build().expect("item set");
            puts.push(WriteRequest::builder().put_request(item).build());
        }
    }
    let count = puts.len();
    super::batch_write(db, puts).await?;
    Ok(count)
}

fn item(now_secs: i64, c: &FanChunk) -> Item {
    let mut it = Db::key(fanout_pk(&c.cid, c.part), msg_sk(c.seq));
    it.insert("ev".into(), s(EV_FANOUT));
    it.insert("cid".into(), s(&c.cid));
    it.insert("seq".into(), n(c.seq));
    it.insert("part".into(), n(c.part));
    if let Some(f) = &c.from {
        it.insert("from".into(), s(f));
    }
    if let Some(t) = &c.to {
        it.insert("to".into(), s(t));
    }
    it.insert("ttl".into(), n(now_secs + TTL_SECS));
    it
}

/// A part item's chunk (None: not a complete part item).
pub fn chunk_from(it: &Item) -> Option<FanChunk> {
    Some(FanChunk {
        cid: it.str("cid")?.to_string(),
        seq: it.i64("seq")?,
        part: u32::try_from(it.i64("part")?).ok()?,
        from: it.str("from").map(str::to_string),
        to: it.str("to").map(str::to_string),
    })
}

/// The members of one part's range (one Query page per ~1 MB).
pub async fn members(db: &Db, c: &FanChunk) -> AppResult<Vec<FanMember>> {
    let from = c.from.clone().unwrap_or_else(|| "MEMBER#".into());
    let to = c.to.clone().unwrap_or_else(|| MEMBERS_END.into());
    let items = super::live::member_range(db, &c.cid, &from, &to).await?;
    // BETWEEN is inclusive: the next part's first member is its own.
    Ok(items.into_iter().filter(|(sk, _)| c.to.as_deref() != Some(sk.as_str())).map(|(_, m)| m).collect())
}

/// Messages `seqs` of `cid` (consistent: the stream can be ahead of an eventually consistent
/// read): ⌈n/100⌉ BatchGetItem, in seq order; a message gone meanwhile is left out.
pub async fn messages(db: &Db, cid: &str, seqs: &[i64]) -> AppResult<Vec<Message>> {
    let keys = seqs.iter().map(|q| Db::key(conv_pk(cid), msg_sk(*q))).collect();
    let items = super::batch_get_consistent(db, keys).await?;
    let mut out: Vec<Message> = items.iter().filter_map(super::conversations::message_from).collect();
    out.sort_by_key(|m| m.seq);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn members(uids: &[i64]) -> Vec<FanMember> {
        uids.iter().map(|u| FanMember { uid: UserId(*u), dnd: false, conns: vec![], stamped_at: None }).collect()
    }

    #[test]
    fn bounds_cover_every_member_once_in_contiguous_ranges() {
        // Sort-key order of MEMBER#<uid>: 1, 10, 2, 3, 30.
        let m = members(&[1, 10, 2, 3, 30]);
        let b = bounds(&m, 2);
        assert_eq!(
            b,
            vec![
                (None, Some("MEMBER#2".to_string())),
                (Some("MEMBER#2".to_string()), Some("MEMBER#30".to_string())),
                (Some("MEMBER#30".to_string()), None),
            ]
        );
        assert_eq!(bounds(&m, 5), vec![(None, None)]);
        assert!(bounds(&[], 5).is_empty());
    }

    #[test]
    fn a_part_item_reads_back_as_its_chunk() {
        let c = FanChunk { cid: "g1".into(), seq: 7, part: 2, from: Some("MEMBER#2".into()), to: None };
        assert_eq!(chunk_from(&item(100, &c)), Some(c));
        assert!("MEMBER#99999999" < MEMBERS_END && "MEMBER#" < MEMBERS_END);
    }
}
