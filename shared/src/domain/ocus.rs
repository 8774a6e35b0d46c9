//! Public accounts (Shiku `/mp`, Minxing ocu), typed: the account's OCU record (description,
//! menu tree, `listed`) and the menu rules (≤ 3 top-level entries × 5 children, names ≤ 16
//! characters, http(s) urls or a click key). Pure: no I/O.

use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

pub const MAX_TOP: usize = 3;
pub const MAX_CHILDREN: usize = 5;
pub const MAX_NAME: usize = 16;
pub const MAX_URL: usize = 512;
pub const MAX_KEY: usize = 32;
pub const MAX_DESCRIPTION: usize = 256;

/// One menu entry; `parent_id` 0 = top level. `url` makes it a "view" entry, `key` a "click"
/// entry; a top-level entry with children is a sub-menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MenuItem {
    pub id: i64,
    pub name: String,
    #[serde(rename = "parentId")]
    pub parent_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// What a menu entry does when tapped (Minxing `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuKind {
    View,
    Click,
    Menu,
}

impl MenuKind {
    pub fn name(self) -> &'static str {
        match self {
            MenuKind::View => "view",
            MenuKind::Click => "click",
            MenuKind::Menu => "menu",
        }
    }
}

/// A menu save: `id` absent = create.
#[derive(Debug, Clone, Default)]
pub struct MenuEdit {
    pub id: Option<i64>,
    pub name: String,
    pub parent_id: i64,
    pub url: Option<String>,
    pub key: Option<String>,
}

/// `USER#<uid>/OCU`: the public-account part of an account whose `userType` is 2.
#[derive(Debug, Clone, PartialEq)]
pub struct Ocu {
    pub uid: UserId,
    pub description: String,
    /// Shown in Minxing's directory of unsubscribed accounts (the account decides, /mp/home).
    pub listed: bool,
    /// Flat, in display order (children after their parent's position is irrelevant).
    pub menus: Vec<MenuItem>,
    /// Next menu id to hand out: ids are small and per account (a menu is always reached
    /// through its account), so they are JS-safe (seed ambiguity #14).
    pub next_menu: i64,
    /// Epoch ms the account last read `/mp/msg` (unread count of /mp/home).
    pub msg_read_at: i64,
    pub created_at: i64,
    /// Stored version (0 = not stored yet: created lazily with defaults).
    pub ver: i64,
}

/// An http(s) url without spaces, ≤ 512 characters.
pub fn valid_url(u: &str) -> bool {
    let lower = u.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    u.len() <= MAX_URL && rest.is_some_and(|r| !r.is_empty()) && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A click key: 1–32 letters, digits, '_' or '-'.
pub fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= MAX_KEY && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Ocu {
    /// The defaults of an account that never wrote its record.
    pub fn new(uid: UserId, now: i64) -> Ocu {
        Ocu {
            uid,
            description: String::new(),
            listed: false,
            menus: vec![],
            next_menu: 1,
            msg_read_at: 0,
            created_at: now,
            ver: 0,
        }
    }

    pub fn menu(&self, id: i64) -> Option<&MenuItem> {
        self.menus.iter().find(|m| m.id == id)
    }

    pub fn children(&self, id: i64) -> impl Iterator<Item = &MenuItem> {
        self.menus.iter().filter(move |m| m.parent_id == id && id != 0)
    }

    pub fn kind(&self, m: &MenuItem) -> MenuKind {
        if m.parent_id == 0 && self.children(m.id).next().is_some() {
            MenuKind::Menu
        } else if m.url.is_some() {
            MenuKind::View
        } else if m.key.is_some() {
            MenuKind::Click
        } else {
            MenuKind::Menu
        }
    }

    /// Top-level entries with their children, in order.
    pub fn tree(&self) -> Vec<(&MenuItem, Vec<&MenuItem>)> {
        self.menus.iter().filter(|m| m.parent_id == 0).map(|m| (m, self.children(m.id).collect())).collect()
    }

    /// Create or change one entry (rules in the module doc); returns its id.
    pub fn save_menu(&mut self, e: MenuEdit) -> AppResult<i64> {
        let name = e.name.trim().to_string();
        if name.is_empty() {
            return Err(AppError::missing("name"));
        }
        if name.chars().count() > MAX_NAME {
            return Err(AppError::invalid("name", format!("longer than {MAX_NAME} characters")));
        }
        if let Some(u) = &e.url {
            if !valid_url(u) {
                return Err(AppError::invalid("url", "must be an http(s) url of at most 512 characters"));
            }
        }
        if let Some(k) = &e.key {
            if !valid_key(k) {
                return Err(AppError::invalid("key", "1-32 letters, digits, '_' or '-'"));
            }
        }
        if e.parent_id != 0 {
            match self.menu(e.parent_id) {
                Some(p) if p.parent_id == 0 => {}
                Some(_) => return Err(AppError::invalid("parentId", "menus are two levels deep")),
                None => return Err(AppError::not_found(format!("menu {}", e.parent_id))),
            }
        }
        let leaf = e.parent_id != 0;
        if leaf && e.url.is_none() && e.key.is_none() {
            return Err(AppError::missing("url"));
        }
        match e.id {
            Some(id) => {
                let has_children = self.children(id).next().is_some();
                let Some(old_parent) = self.menu(id).map(|m| m.parent_id) else {
                    return Err(AppError::not_found(format!("menu {id}")));
                };
                if old_parent != e.parent_id {
                    // Moving entries between levels must keep the 3 × 5 bound and two levels.
                    if has_children || e.parent_id == id {
                        return Err(AppError::invalid("parentId", "a menu with children stays top-level"));
                    }
                    self.check_room(e.parent_id)?;
                }
                let Some(m) = self.menus.iter_mut().find(|m| m.id == id) else {
                    return Err(AppError::not_found(format!("menu {id}")));
                };
                m.name = name;
                m.url = e.url;
                m.key = e.key;
                m.parent_id = e.parent_id;
                Ok(id)
            }
            None => {
                self.check_room(e.parent_id)?;
                let id = self.next_menu;
                self.menus.push(MenuItem { id, name, parent_id: e.parent_id, url: e.url, key: e.key });
                self.next_menu += 1;
                Ok(id)
            }
        }
    }

    /// Is there room for one more entry under `parent`?
    fn check_room(&self, parent: i64) -> AppResult<()> {
        if parent == 0 {
            if self.menus.iter().filter(|m| m.parent_id == 0).count() >= MAX_TOP {
                return Err(AppError::invalid("parentId", format!("at most {MAX_TOP} top-level menus")));
            }
        } else if self.children(parent).count() >= MAX_CHILDREN {
            return Err(AppError::invalid("parentId", format!("at most {MAX_CHILDREN} menus under one")));
        }
        Ok(())
    }

    /// Delete one entry with its children.
    pub fn delete_menu(&mut self, id: i64) -> AppResult<()> {
        if self.menu(id).is_none() {
            return Err(AppError::not_found(format!("menu {id}")));
        }
        self.menus.retain(|m| m.id != id && m.parent_id != id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(name: &str, parent: i64, url: Option<&str>) -> MenuEdit {
        MenuEdit { name: name.into(), parent_id: parent, url: url.map(str::to_string), ..Default::default() }
    }

    #[test]
    fn menus_are_three_by_five() {
        let mut o = Ocu::new(UserId(7), 0);
        let tops: Vec<i64> = (0..3).map(|i| o.save_menu(edit(&format!("t{i}"), 0, None)).unwrap()).collect();
        assert!(o.save_menu(edit("t4", 0, None)).is_err());
        for i in 0..5 {
            o.save_menu(edit(&format!("c{i}"), tops[0], Some("https://a.example/x"))).unwrap();
        }
        assert!(o.save_menu(edit("c6", tops[0], Some("https://a.example"))).is_err());
        assert_eq!(o.tree()[0].1.len(), 5);
        assert_eq!(o.kind(o.menu(tops[0]).unwrap()), MenuKind::Menu);
        assert_eq!(o.kind(o.tree()[0].1[0]), MenuKind::View);
        o.delete_menu(tops[0]).unwrap();
        assert_eq!(o.menus.len(), 2);
    }

    #[test]
    fn bad_menus_are_refused() {
        let mut o = Ocu::new(UserId(7), 0);
        assert!(o.save_menu(edit("x", 0, Some("ftp://a"))).is_err());
        assert!(o.save_menu(edit("x", 0, Some("javascript:alert(1)"))).is_err());
        assert!(o.save_menu(edit(&"n".repeat(17), 0, None)).is_err());
        assert!(o.save_menu(edit("x", 99, Some("https://a.example"))).is_err());
        let top = o.save_menu(edit("x", 0, None)).unwrap();
        assert!(o.save_menu(edit("leaf", top, None)).is_err());
        let child = o.save_menu(MenuEdit { key: Some("k_1".into()), ..edit("c", top, None) }).unwrap();
        assert_eq!(o.kind(o.menu(child).unwrap()), MenuKind::Click);
        assert!(o.save_menu(edit("deep", child, Some("https://a.example"))).is_err());
        assert!(o.delete_menu(12345).is_err());
        assert!(valid_url("HTTPS://x.example/a?b=c") && !valid_url("http://") && !valid_url("http://a b"));
    }
}
