//! `integrations`: the Xuanxuan third-party API at `/api.php?m=chat&f=…`.
//! Every call is signed: token = md5(md5(query string without `&token=…`) + app key),
//! as the Xuanxuan server checks it. Routes: infra/template.yaml, `IntegrationsFunction`.

use lambda_http::{Body, Request, Response};
use serde_json::{json, Map, Value};
use shared::http::{serve, Call};
use shared::ids::UserId;
use shared::services::integrations;
use shared::{AppError, AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    let q = SignedQuery::parse(c.req.uri().query().unwrap_or(""))?;
    // The signature covers the query only: a body may carry `data` and nothing else, so a
    // captured URL cannot be re-routed (`f`), re-targeted (`gid`) or re-dated (`time`).
    let keys = c.params.body_keys();
    if let Some(k) = keys.iter().find(|k| k.as_str() != "data" || q.get("data").is_some()) {
        // The notification object posted as the body itself (an easy mistake) has no `data`.
        if !keys.iter().any(|k| k == "data") && q.get("data").is_none() {
            return Err(AppError::invalid("data", "send the notification as the form field `data` (JSON text)"));
        }
        return Err(AppError::invalid(k, "is signed in the query; the body may carry only `data`"));
    }
    let module = q.req("m")?;
    let method = q.req("f")?;
    check_signature(&c, &q).await?;
    match (c.method.as_str(), module, method) {
        ("GET", "chat", "getChatGroups") => chat_groups(&c).await,
        ("GET", "chat", "getChatUsers") => chat_users(&c, q.get("gid")).await,
        ("POST", "chat", "notifyMSG") => notify_msg(&c).await,
        _ => Err(AppError::RouteNotFound(format!("{} m={module}&f={method}", c.method))),
    }
}

/// The query string's pairs, each name at most once (a repeated name could mean one thing
/// to the signature and another to the router).
pub struct SignedQuery(Vec<(String, String)>);

impl SignedQuery {
    pub fn parse(query: &str) -> AppResult<SignedQuery> {
        let mut pairs: Vec<(String, String)> = vec![];
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if pairs.iter().any(|(name, _)| *name == k) {
                return Err(AppError::invalid(&k, "given more than once"));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(SignedQuery(pairs))
    }

    /// A non-empty value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn req(&self, name: &str) -> AppResult<&str> {
        self.get(name).ok_or_else(|| AppError::missing(name))
    }
}

/// Who may call: the app `code`'s signature over the query, the signed `time` and the app's
/// quota (shared::services::integrations::authorize).
async fn check_signature(c: &Call<'_>, q: &SignedQuery) -> AppResult<()> {
    let code = q.req("code")?;
    let token = q.get("token").ok_or(AppError::TokenMissing)?;
    integrations::authorize(c.ctx, code, token, c.req.uri().query().unwrap_or(""), q.get("time")).await
}

/// `{gid: name}` for every group conversation.
async fn chat_groups(c: &Call<'_>) -> AppResult<Reply> {
    let groups = integrations::groups(c.ctx).await?;
    let data: Map<String, Value> = groups.into_iter().map(|g| (g.id, Value::String(g.name))).collect();
    Ok(Reply::data(Value::Object(data)))
}

/// `{id: display name}` of a group's members, or of every account without `gid`.
async fn chat_users(c: &Call<'_>, gid: Option<&str>) -> AppResult<Reply> {
    let people = integrations::people(c.ctx, gid).await?;
    let data: Map<String, Value> = people.into_iter().map(|u| (u.uid.to_string(), Value::String(u.nickname))).collect();
    Ok(Reply::data(Value::Object(data)))
}

pub const ACTION_TYPES: &[&str] =
    &["primary", "success", "danger", "warning", "info", "important", "special", "normal"];
const MAX_USERS: usize = 1000;

#[derive(Debug, PartialEq)]
pub enum Receiver {
    Users(Vec<UserId>),
    Group(String),
}

/// A string field, trimmed: blank counts as absent (missing when `required`); at most `max`
/// characters (not bytes).
fn text_field(o: &Map<String, Value>, name: &str, path: &str, required: bool, max: usize) -> AppResult<Option<String>> {
    Ok(raw_text_field(o, name, path, required, max)?.map(|s| s.trim().to_string()))
}

/// [`text_field`] without the trim, for text whose whitespace means something (Markdown
/// `content`: a leading indent is a code block, a trailing double space a line break).
fn raw_text_field(
    o: &Map<String, Value>,
    name: &str,
    path: &str,
    required: bool,
    max: usize,
) -> AppResult<Option<String>> {
    match o.get(name) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(AppError::missing(path)),
        Some(Value::String(s)) if s.trim().is_empty() && required => Err(AppError::missing(path)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max => {
            Err(AppError::invalid(path, format!("at most {max} characters")))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AppError::invalid(path, "must be a string")),
    }
}

fn url_field(o: &Map<String, Value>, name: &str, path: &str, required: bool) -> AppResult<Option<String>> {
    let u = text_field(o, name, path, required, 2048)?;
    if let Some(u) = &u {
        if !(u.starts_with("http://") || u.starts_with("https://")) || u.contains(char::is_whitespace) {
            return Err(AppError::invalid(path, "must be an http(s) URL"));
        }
    }
    Ok(u)
}

/// Check a notifyMSG object (seed 003) field by field; answers (receiver, card) where the card
/// is the normalised notification (`title, subtitle, content, contentType, url, actions, sender`).
pub fn parse_notification(data: Option<&Value>) -> AppResult<(Receiver, Value)> {
    let o = match data {
        None | Some(Value::Null) => return Err(AppError::missing("data")),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(AppError::invalid("data", "must be a JSON object")),
    };
    let receiver = match text_field(o, "receiver", "receiver", true, 16)?.as_deref() {
        Some("users") => {
            let list = match o.get("userList") {
                None | Some(Value::Null) => return Err(AppError::missing("userList")),
                Some(Value::Array(a)) if a.is_empty() => return Err(AppError::missing("userList")),
                Some(Value::Array(a)) => a,
                Some(_) => return Err(AppError::invalid("userList", "must be an array of user ids")),
            };
            if list.len() > MAX_USERS {
                return Err(AppError::invalid("userList", format!("at most {MAX_USERS} users")));
            }
            let mut ids = list
                .iter()
                .map(|v| match v {
                    Value::String(s) => UserId::parse("userList", s),
                    Value::Number(n) => UserId::parse("userList", &n.to_string()),
                    _ => Err(AppError::invalid("userList", "must be an array of user ids")),
                })
                .collect::<AppResult<Vec<_>>>()?;
            ids.sort();
            ids.dedup();
            Receiver::Users(ids)
        }
        Some("group") => Receiver::Group(text_field(o, "gid", "gid", true, 80)?.unwrap_or_default()),
        _ => return Err(AppError::invalid("receiver", "must be 'users' or 'group'")),
    };
    let title = text_field(o, "title", "title", true, 200)?;
    let subtitle = match text_field(o, "subtitle", "subtitle", false, 200)? {
        Some(s) => Some(s),
        None => text_field(o, "subTitle", "subTitle", false, 200)?,
    };
    let content = raw_text_field(o, "content", "content", false, 16 * 1024)?;
    let content_type = text_field(o, "contentType", "contentType", true, 16)?.unwrap_or_default();
    if content_type != "plain" && content_type != "text" {
        return Err(AppError::invalid("contentType", "must be 'plain' or 'text' (Markdown)"));
    }
    let url = url_field(o, "url", "url", false)?;
    let mut actions = vec![];
    match o.get("actions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            if a.len() > 10 {
                return Err(AppError::invalid("actions", "at most 10 actions"));
            }
            for (i, act) in a.iter().enumerate() {
                let path = |f: &str| format!("actions[{i}].{f}");
                let Value::Object(ao) = act else {
                    return Err(AppError::invalid(&format!("actions[{i}]"), "must be an object"));
                };
                let label = text_field(ao, "label", &path("label"), true, 64)?;
                let aurl = url_field(ao, "url", &path("url"), true)?;
                let icon = text_field(ao, "icon", &path("icon"), false, 256)?;
                let kind = text_field(ao, "type", &path("type"), false, 16)?;
                if let Some(k) = &kind {
                    if !ACTION_TYPES.contains(&k.as_str()) {
                        return Err(AppError::invalid(
                            &path("type"),
                            format!("must be one of {}", ACTION_TYPES.join(", ")),
                        ));
                    }
                }
                actions.push(json!({"label": label, "url": aurl, "icon": icon, "type": kind}));
            }
        }
        Some(_) => return Err(AppError::invalid("actions", "must be an array of action objects")),
    }
    let sender = match o.get("sender") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Object(so)) => {
            let id = match so.get("id") {
                Some(Value::Number(n)) => json!(n),
                Some(Value::String(_)) => json!(text_field(so, "id", "sender.id", true, 64)?),
                None | Some(Value::Null) => return Err(AppError::missing("sender.id")),
                Some(_) => return Err(AppError::invalid("sender.id", "must be a string or a number")),
            };
            let avatar = url_field(so, "avatar", "sender.avatar", true)?;
            let name = text_field(so, "name", "sender.name", false, 64)?;
            json!({"id": id, "avatar": avatar, "name": name})
        }
        Some(_) => return Err(AppError::invalid("sender", "must be an object {id, avatar, name}")),
    };
    let card = json!({
        "title": title,
        "subtitle": subtitle,
        "content": content,
        "contentType": content_type,
        "url": url,
        "actions": actions,
        "sender": sender,
    });
    Ok((receiver, card))
}

/// `POST api.php?m=chat&f=notifyMSG` with `data` (JSON text). To a group: a message of type
/// 10 with object name `XX:Notify` and the card JSON as content, from the system account, so
/// it is in every dialect's history and reaches members' sockets (and offline push jobs) like
/// any message. To users: `{"event":"notify", …card, "ts"}` on their sockets (through
/// `delivery`) and a push job for each one without a live connection (unless DND).
async fn notify_msg(c: &Call<'_>) -> AppResult<Reply> {
    let (receiver, card) = parse_notification(c.params.raw("data"))?;
    let now = c.ctx.now_ms();
    match receiver {
        Receiver::Group(gid) => integrations::notify_group(c.ctx, now, &gid, &card).await?,
        Receiver::Users(ids) => integrations::notify_users(c.ctx, now, &ids, &card).await?,
    }
    Ok(Reply::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(v: Value) -> String {
        parse_notification(Some(&v)).unwrap_err().to_string()
    }

    #[test]
    fn notification_validation() {
        let ok = json!({"receiver": "group", "gid": "g1", "title": "T", "contentType": "text",
            "actions": [{"label": "L", "url": "https://x.im", "type": "danger"}],
            "sender": {"id": "catouse", "avatar": "https://a.im/x.png"}, "subTitle": "S"});
        let (r, card) = parse_notification(Some(&ok)).unwrap();
        assert_eq!(r, Receiver::Group("g1".into()));
        assert_eq!((card["subtitle"].clone(), card["actions"][0]["type"].clone()), (json!("S"), json!("danger")));
        let (r, _) = parse_notification(Some(&json!({"receiver": "users", "userList": [10000001, "10000002"],
            "title": "T", "contentType": "plain"})))
        .unwrap();
        assert_eq!(r, Receiver::Users(vec![UserId(10000001), UserId(10000002)]));
        assert!(parse_notification(None).is_err());
        assert!(err(json!({"title": "T", "contentType": "text"})).contains("receiver"));
        assert!(err(json!({"receiver": "all", "title": "T", "contentType": "text"})).contains("receiver"));
        assert!(err(json!({"receiver": "group", "title": "T", "contentType": "text"})).contains("gid"));
        assert!(err(json!({"receiver": "users", "title": "T", "contentType": "text"})).contains("userList"));
        assert!(err(json!({"receiver": "users", "userList": "1", "title": "T", "contentType": "text"}))
            .contains("userList"));
        assert!(err(json!({"receiver": "group", "gid": "g", "contentType": "text"})).contains("title"));
        assert!(err(json!({"receiver": "group", "gid": "g", "title": "T"})).contains("contentType"));
        assert!(
            err(json!({"receiver": "group", "gid": "g", "title": "T", "contentType": "html"})).contains("contentType")
        );
        assert!(err(json!({"receiver": "group", "gid": "g", "title": "T", "contentType": "text", "url": "ftp://x"}))
            .contains("url"));
        assert!(err(json!({"receiver": "group", "gid": "g", "title": "T", "contentType": "text", "actions": [{"url": "https://x"}]})).contains("actions[0].label"));
        assert!(err(
            json!({"receiver": "group", "gid": "g", "title": "T", "contentType": "text", "actions": [{"label": "L"}]})
        )
        .contains("actions[0].url"));
        assert!(err(json!({"receiver": "group", "gid": "g", "title": "T", "contentType": "text", "actions": [{"label": "L", "url": "https://x", "type": "huge"}]})).contains("actions[0].type"));
        assert!(err(json!({"receiver": "group", "gid": "g", "title": "T", "contentType": "text", "sender": {"avatar": "https://x"}})).contains("sender.id"));
        assert!(err(
            json!({"receiver": "group", "gid": "g", "title": "T", "contentType": "text", "sender": {"id": 1}})
        )
        .contains("sender.avatar"));
        assert!(err(json!({"receiver": "group", "gid": "g", "title": 5, "contentType": "text"})).contains("title"));
    }

    #[test]
    fn signed_query_refuses_repeated_names() {
        let q = SignedQuery::parse("m=chat&f=getChatGroups&code=demo&gid=").unwrap();
        assert_eq!((q.get("f"), q.get("gid"), q.get("x")), (Some("getChatGroups"), None, None));
        assert!(SignedQuery::parse("m=chat&f=getChatGroups&f=notifyMSG").is_err());
        assert!(SignedQuery::parse("f=a&%66=b").is_err(), "a percent-encoded repeat is a repeat");
    }
}
