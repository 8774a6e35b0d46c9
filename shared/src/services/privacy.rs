//! What one user may see of another, the same in every dialect (docs/dialects.md "Privacy").
//!
//! Telephone (and email) of user T to viewer V — [`phone_visible`], the only place this is
//! decided:
//! - V is T → shown;
//! - T turned `showTelephone` off (PROFILE mirror `showPhone = false`) → hidden;
//! - otherwise shown only if T counts V as a friend: T's relation to V has status 2 and T has
//!   not blacklisted V. Strangers, followers and room co-members never see it, so walking the
//!   sequential user ids reveals no numbers.
//!
//! Lists of many people (search, nearby, newest accounts, room member lists) do not read
//! relations and render V's own number only ([`Seen::own_only`]); single profiles and the
//! friend list read T's relation to V in the same BatchGetItem as the profile ([`load`]).
//! Exact locations are shown to their owner only (`geo::Point::coarse` for everyone else).

use crate::domain::relations::Relation;
use crate::domain::users::{User, UserProfile};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::{batch_get_consistent, profiles, Item, ItemExt};
use crate::store::{relations, users};
use std::collections::{HashMap, HashSet};

/// Does the user share their telephone with friends? (`showTelephone`, default on.)
pub fn shares_phone(profile: &Item) -> bool {
    profile.bool("showPhone") != Some(false)
}

/// Does `target_to_viewer` (the target's own relation to the viewer) make the viewer a friend?
pub fn counts_as_friend(target_to_viewer: Option<&Relation>) -> bool {
    target_to_viewer.is_some_and(Relation::counts_as_friend)
}

/// THE rule: may `viewer` see `target`'s telephone (and email)?
pub fn phone_visible(viewer: UserId, target: UserId, shares: bool, friend: bool) -> bool {
    viewer == target || (shares && friend)
}

/// The viewer and the targets known to count them as a friend.
#[derive(Debug, Clone)]
pub struct Seen {
    pub viewer: UserId,
    friend_of: HashSet<UserId>,
}

impl Seen {
    /// No relation was read (lists of many people): only the viewer's own number shows.
    pub fn own_only(viewer: UserId) -> Seen {
        Seen { viewer, friend_of: HashSet::new() }
    }

    /// May the viewer see the telephone on this profile item?
    pub fn phone(&self, profile: &Item) -> bool {
        let Some(uid) = profile.i64("uid").map(UserId) else { return false };
        phone_visible(self.viewer, uid, shares_phone(profile), self.friend_of.contains(&uid))
    }

    /// May the viewer see the telephone of `uid`, who `shares` it with friends?
    pub fn phone_of(&self, uid: UserId, shares: bool) -> bool {
        phone_visible(self.viewer, uid, shares, self.friend_of.contains(&uid))
    }

    /// Is this the viewer's own profile (exact location, login names)?
    pub fn is_self(&self, uid: UserId) -> bool {
        uid == self.viewer
    }
}

/// Profiles, relations and any extra items read together.
#[derive(Debug, Default)]
pub struct Loaded {
    pub profiles: HashMap<UserId, Item>,
    /// Keyed (owner, other).
    pub relations: HashMap<(UserId, UserId), Relation>,
    /// Items asked for in `extra` (e.g. SETTINGS), as found.
    pub extra: Vec<Item>,
}

impl Loaded {
    /// What `viewer` may see, from the relations of targets to the viewer that were read.
    pub fn seen_by(&self, viewer: UserId) -> Seen {
        let friend_of = self
            .relations
            .iter()
            .filter(|((_, other), r)| *other == viewer && counts_as_friend(Some(r)))
            .map(|((owner, _), _)| *owner)
            .collect();
        Seen { viewer, friend_of }
    }

    pub fn relation(&self, owner: UserId, other: UserId) -> Option<&Relation> {
        self.relations.get(&(owner, other))
    }

    /// The profile of `uid` as a user, with whether `seen`'s viewer may see its telephone.
    pub fn user_seen(&self, uid: UserId, seen: &Seen) -> (Option<User>, bool) {
        let item = self.profiles.get(&uid);
        (item.and_then(users::from_item), item.is_some_and(|it| seen.phone(it)))
    }
}

/// The profile of `uid` (None: none, or malformed) and what `viewer` may see of it: the
/// profile and `uid`'s relation to `viewer` in one BatchGetItem ([`load`]).
pub async fn profile_seen(
    db: &crate::store::Db,
    viewer: UserId,
    uid: UserId,
) -> AppResult<(Option<UserProfile>, Seen)> {
    let l = load(db, &[uid], &[(uid, viewer)], vec![]).await?;
    let seen = l.seen_by(viewer);
    Ok((l.profiles.get(&uid).and_then(profiles::from_item), seen))
}

/// Profiles of `uids`, the relations `(owner, other)` in `rels` and the `extra` keys, in the
/// same consistent BatchGetItem calls (⌈keys/100⌉; one for a single profile with its ties).
/// A relation of someone to themselves is never asked for.
pub async fn load(
    db: &crate::store::Db,
    uids: &[UserId],
    rels: &[(UserId, UserId)],
    extra: Vec<Item>,
) -> AppResult<Loaded> {
    let mut keys = vec![];
    let mut seen = HashSet::new();
    let mut push = |k: Item| {
        let id = (k.string("pk"), k.string("sk"));
        if seen.insert(id) {
            keys.push(k);
        }
    };
    uids.iter().for_each(|u| push(profiles::key(*u)));
    rels.iter().filter(|(a, b)| a != b).for_each(|(a, b)| push(relations::key(*a, *b)));
    extra.into_iter().for_each(&mut push);
    let mut out = Loaded::default();
    if keys.is_empty() {
        return Ok(out);
    }
    for it in batch_get_consistent(db, keys).await? {
        match it.str("sk") {
            Some(profiles::SK) => {
                if let Some(uid) = it.i64("uid") {
                    out.profiles.insert(UserId(uid), it);
                }
            }
            Some(sk) if sk.starts_with("REL#") => {
                if let Some(r) = relations::rel_from(&it) {
                    out.relations.insert((r.owner, r.other), r);
                }
            }
            _ => out.extra.push(it),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::n;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn profile(uid: i64, show: Option<bool>) -> Item {
        let mut it = Item::new();
        it.insert("uid".into(), n(uid));
        if let Some(b) = show {
            it.insert("showPhone".into(), AttributeValue::Bool(b));
        }
        it
    }

    #[test]
    fn the_rule() {
        let (v, t) = (UserId(1), UserId(2));
        assert!(phone_visible(v, v, false, false), "one's own");
        assert!(!phone_visible(v, t, false, true), "hidden from friends too");
        assert!(phone_visible(v, t, true, true), "shared with friends");
        assert!(!phone_visible(v, t, true, false), "never to strangers");
        let seen = Seen::own_only(v);
        assert!(seen.phone(&profile(1, Some(false))));
        assert!(!seen.phone(&profile(2, None)), "lists read no relation: not a friend");
        assert!(shares_phone(&profile(2, None)) && !shares_phone(&profile(2, Some(false))));
        assert!(!seen.phone(&Item::new()), "malformed item shows nothing");
    }
}
