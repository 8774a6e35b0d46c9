//! Mass sends of a public account (Shiku `/mp/textToAll`, `/mp/pushToAll`, `/mp/manyToAll`):
//! what one copy carries. Articles are messages of their own type (10, `MP:Article`, content
//! `{articles:[{title,sub,img,url}]}`).

use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// Message type and object name of an article message.
pub const ARTICLE_KIND: i64 = 10;
pub const ARTICLE_OBJECT: &str = "MP:Article";
/// Message type of a text copy.
pub const TEXT_KIND: i64 = 1;
/// Mass sends per account per day (UTC day).
pub const MAX_PER_DAY: i64 = 10;
/// Articles of a multi-article send.
pub const MIN_ARTICLES: usize = 2;
pub const MAX_ARTICLES: usize = 8;
pub const MAX_TITLE: usize = 200;
pub const MAX_SUB: usize = 500;
pub const MAX_URL: usize = 1000;
pub const MAX_TEXT: usize = 4000;

/// The account's two lists of past sends (`/mp/push`: text and single article; `/mp/many`).
pub const LIST_SINGLE: &str = "one";
pub const LIST_MANY: &str = "many";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub title: String,
    pub sub: String,
    pub img: String,
    pub url: String,
}

/// What every fan receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Broadcast {
    Text { text: String },
    Articles { articles: Vec<Article> },
}

fn text_field(name: &str, v: &str, max: usize) -> AppResult<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(AppError::missing(name));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(name, format!("at most {max} characters")));
    }
    Ok(v.to_string())
}

/// An absolute http(s) URL without spaces or control characters.
fn url_field(name: &str, v: &str) -> AppResult<String> {
    let u = text_field(name, v, MAX_URL)?;
    let lower = u.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !u.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if !ok {
        return Err(AppError::invalid(name, "must be an http(s) URL"));
    }
    Ok(u)
}

impl Broadcast {
    pub fn text(title: &str) -> AppResult<Broadcast> {
        Broadcast::Text { text: text_field("title", title, MAX_TEXT)? }.fits()
    }

    /// One article (`sub` required, as in seed 001 `/mp/pushToAll`).
    pub fn article(title: &str, sub: &str, img: &str, url: &str) -> AppResult<Broadcast> {
        let a = Article {
            title: text_field("title", title, MAX_TITLE)?,
            sub: text_field("sub", sub, MAX_SUB)?,
            img: url_field("img", img)?,
            url: url_field("url", url)?,
        };
        Broadcast::Articles { articles: vec![a] }.fits()
    }

    /// 2–8 articles from parallel lists of equal lengths (`sub` optional: empty or as long).
    pub fn articles(titles: &[String], subs: &[String], imgs: &[String], urls: &[String]) -> AppResult<Broadcast> {
        for (name, l) in [("title", titles), ("url", urls), ("img", imgs)] {
            if l.is_empty() {
                return Err(AppError::missing(name));
            }
        }
        let n = titles.len();
        if urls.len() != n || imgs.len() != n || !(subs.is_empty() || subs.len() == n) {
            return Err(AppError::invalid("title", "title[], url[], img[] (and sub[]) must have equal lengths"));
        }
        if !(MIN_ARTICLES..=MAX_ARTICLES).contains(&n) {
            return Err(AppError::invalid("title", format!("{MIN_ARTICLES} to {MAX_ARTICLES} articles")));
        }
        let mut articles = Vec::with_capacity(n);
        for i in 0..n {
            let sub = subs.get(i).map(|s| s.trim()).unwrap_or_default();
            if sub.chars().count() > MAX_SUB {
                return Err(AppError::invalid("sub", format!("at most {MAX_SUB} characters")));
            }
            articles.push(Article {
                title: text_field("title", &titles[i], MAX_TITLE)?,
                sub: sub.to_string(),
                img: url_field("img", &imgs[i])?,
                url: url_field("url", &urls[i])?,
            });
        }
        Broadcast::Articles { articles }.fits()
    }

    /// A copy must fit one message (`MAX_CONTENT` bytes of content).
    fn fits(self) -> AppResult<Broadcast> {
        if self.message().1.len() > crate::domain::chat::MAX_CONTENT {
            return Err(AppError::invalid("title", "the articles are too large for one message"));
        }
        Ok(self)
    }

    /// The list it shows in (`/mp/push` or `/mp/many`).
    pub fn list(&self) -> &'static str {
        match self {
            Broadcast::Articles { articles } if articles.len() > 1 => LIST_MANY,
            _ => LIST_SINGLE,
        }
    }

    /// Message type, content and object name of one copy.
    pub fn message(&self) -> (i64, String, Option<String>) {
        match self {
            Broadcast::Text { text } => (TEXT_KIND, text.clone(), None),
            Broadcast::Articles { articles } => {
                let content = serde_json::json!({ "articles": articles }).to_string();
                (ARTICLE_KIND, content, Some(ARTICLE_OBJECT.to_string()))
            }
        }
    }
}

/// One past mass send as the account lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub job: crate::domain::jobs::Job,
    pub broadcast: Option<Broadcast>,
}

/// The client id of the copy for `fan`: the same on every try, so a retried page stores
/// nothing twice (the message store's client-id claim).
pub fn copy_client_id(job_id: &str, fan: crate::ids::UserId) -> String {
    format!("job-{job_id}-{}", fan.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: usize, s: &str) -> Vec<String> {
        (0..n).map(|i| format!("{s}{i}")).collect()
    }

    #[test]
    fn article_lists_are_checked() {
        let urls = |n| (0..n).map(|i| format!("https://x.example/{i}")).collect::<Vec<_>>();
        assert!(Broadcast::articles(&v(2, "t"), &[], &urls(2), &urls(2)).is_ok());
        assert!(Broadcast::articles(&v(1, "t"), &[], &urls(1), &urls(1)).is_err());
        assert!(Broadcast::articles(&v(9, "t"), &[], &urls(9), &urls(9)).is_err());
        assert!(Broadcast::articles(&v(3, "t"), &[], &urls(2), &urls(3)).is_err());
        assert!(Broadcast::articles(&v(2, "t"), &v(1, "s"), &urls(2), &urls(2)).is_err());
        let bad = vec!["https://ok.example".to_string(), "javascript:alert(1)".to_string()];
        assert!(Broadcast::articles(&v(2, "t"), &[], &urls(2), &bad).is_err());
        assert!(Broadcast::article("t", "s", "ftp://x", "https://x").is_err());
        assert!(Broadcast::article("t", "s", "http://x", "https:///path").is_err());
        assert!(Broadcast::text("  ").is_err());
        // The field limits keep the largest copy (escapes included) within one message.
        let t = vec!["\u{1}".repeat(199) + "x"; 8];
        let s = vec!["\u{1}".repeat(499) + "x"; 8];
        let u = vec![format!("https://x.example/{}", "%".repeat(980)); 8];
        let b = Broadcast::articles(&t, &s, &u, &u).expect("the largest articles fit");
        assert!(b.message().1.len() > 40_000);
    }

    #[test]
    fn copies_are_typed() {
        let b = Broadcast::article("T", "S", "http://i.example/a.png", "https://a.example").unwrap();
        let (kind, content, obj) = b.message();
        assert_eq!((kind, obj.as_deref()), (10, Some("MP:Article")));
        let v: serde_json::Value = serde_json::from_str(&content).unwrap();
        assert_eq!(v["articles"][0]["sub"], "S");
        assert_eq!(b.list(), LIST_SINGLE);
        assert_eq!(Broadcast::text("hi").unwrap().message(), (1, "hi".into(), None));
        assert!(copy_client_id(&"a".repeat(32), crate::ids::UserId(123_456_789_012)).len() <= 64);
    }
}
