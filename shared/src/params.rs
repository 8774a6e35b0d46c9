//! Request parameters for every dialect's request style, merged into one
//! typed accessor so handlers never touch raw bodies:
//! - Shiku: GET query + POST form (urlencoded or multipart)
//! - Minxing: query + JSON, form or multipart body
//! - SealTalk: JSON body (+ query)
//! - Xuanxuan: query + form field `data` holding a JSON string

use crate::dialects::Dialect;
use crate::domain::ids::UserId;
use crate::error::{AppError, AppResult};
use bytes::Bytes;
use lambda_http::{Body, Request};
use serde_json::{Map, Value};

/// Largest non-upload body we accept; uploads have their own limit.
pub const MAX_BODY: usize = 1024 * 1024;
/// Lambda's synchronous payload limit is 6 MB; base64 inflation leaves ~4.5 MB of file.
pub const MAX_UPLOAD: usize = 4 * 1024 * 1024 + 512 * 1024;

#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Bytes,
}

#[derive(Debug, Default, Clone)]
pub struct Params {
    values: Map<String, Value>,
    pub files: Vec<UploadedFile>,
    /// Names that came from the body (they override the query's): a route whose query is
    /// signed (Xuanxuan) refuses a body that sets a signed name.
    body_keys: Vec<String>,
}

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// The raw Content-Type (multipart boundaries are case-sensitive).
fn content_type(req: &Request) -> String {
    req.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

impl Params {
    pub fn from_map(values: Map<String, Value>) -> Self {
        Params { values, files: vec![], body_keys: vec![] }
    }

    pub async fn parse(dialect: Dialect, req: &Request) -> AppResult<Params> {
        let mut p = Params::default();
        if let Some(q) = req.uri().query() {
            p.merge_urlencoded(q.as_bytes());
        }
        let body = body_bytes(req);
        let raw_ct = content_type(req);
        let ct = raw_ct.to_ascii_lowercase();
        let limit = if ct.starts_with("multipart/") { MAX_UPLOAD } else { MAX_BODY };
        if body.len() > limit {
            return Err(AppError::PayloadTooLarge(limit));
        }
        if !body.is_empty() {
            if ct.starts_with("application/json") || (ct.is_empty() && body.first() == Some(&b'{')) {
                let v: Value = serde_json::from_slice(body)
                    .map_err(|e| AppError::invalid("body", format!("malformed JSON: {e}")))?;
                match v {
                    Value::Object(m) => {
                        p.body_keys.extend(m.keys().cloned());
                        p.values.extend(m)
                    }
                    _ => return Err(AppError::invalid("body", "must be a JSON object")),
                }
            } else if ct.starts_with("multipart/form-data") {
                p.merge_multipart(&raw_ct, Bytes::copy_from_slice(body)).await?;
            } else {
                // urlencoded, and the form-ish bodies old clients send with no content type
                p.merge_urlencoded(body);
                p.body_keys.extend(form_urlencoded::parse(body).map(|(k, _)| k.into_owned()));
            }
        }
        if dialect == Dialect::Xuanxuan {
            if let Some(Value::String(s)) = p.values.get("data").cloned() {
                let v: Value = serde_json::from_str(&s)
                    .map_err(|e| AppError::invalid("data", format!("must be a JSON string: {e}")))?;
                p.values.insert("data".into(), v);
            }
        }
        Ok(p)
    }

    fn merge_urlencoded(&mut self, raw: &[u8]) {
        for (k, v) in form_urlencoded::parse(raw) {
            // Repeated keys (SealTalk `id=1&id=2`) become arrays.
            match self.values.get_mut(k.as_ref()) {
                Some(Value::Array(a)) => a.push(Value::String(v.into_owned())),
                Some(prev) => {
                    let first = prev.take();
                    *prev = Value::Array(vec![first, Value::String(v.into_owned())]);
                }
                None => {
                    self.values.insert(k.into_owned(), Value::String(v.into_owned()));
                }
            }
        }
    }

    async fn merge_multipart(&mut self, ct: &str, body: Bytes) -> AppResult<()> {
        let boundary = multer::parse_boundary(ct).map_err(|e| AppError::invalid("body", e.to_string()))?;
        let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
        let mut mp = multer::Multipart::new(stream, boundary);
        let bad = |e: multer::Error| AppError::invalid("body", format!("malformed multipart: {e}"));
        while let Some(field) = mp.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or("").to_string();
            match field.file_name().map(str::to_string) {
                Some(filename) => {
                    let content_type = field
                        .content_type()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| "application/octet-stream".into());
                    let bytes = field.bytes().await.map_err(bad)?;
                    self.body_keys.push(name.clone());
                    self.files.push(UploadedFile { field: name, filename, content_type, bytes });
                }
                None => {
                    let text = field.text().await.map_err(bad)?;
                    self.body_keys.push(name.clone());
                    self.values.insert(name, Value::String(text));
                }
            }
        }
        Ok(())
    }

    /// Parameter names the body set (possibly overriding the query's).
    pub fn body_keys(&self) -> &[String] {
        &self.body_keys
    }

    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn set(&mut self, name: &str, v: Value) {
        self.values.insert(name.to_string(), v);
    }

    /// A scalar parameter as text; empty strings count as absent.
    pub fn str(&self, name: &str) -> AppResult<Option<String>> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(AppError::invalid(name, "must be a string")),
        }
    }

    pub fn req_str(&self, name: &str) -> AppResult<String> {
        self.str(name)?.ok_or_else(|| AppError::missing(name))
    }

    /// Text with an upper bound on its length in characters.
    pub fn str_max(&self, name: &str, max: usize) -> AppResult<Option<String>> {
        match self.str(name)? {
            Some(s) if s.chars().count() > max => Err(AppError::invalid(name, format!("longer than {max} characters"))),
            other => Ok(other),
        }
    }

    pub fn i64(&self, name: &str) -> AppResult<Option<i64>> {
        match self.values.get(name) {
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| AppError::invalid(name, "must be an integer")),
            _ => match self.str(name)? {
                None => Ok(None),
                Some(s) => s.parse::<i64>().map(Some).map_err(|_| AppError::invalid(name, "must be an integer")),
            },
        }
    }

    pub fn req_i64(&self, name: &str) -> AppResult<i64> {
        self.i64(name)?.ok_or_else(|| AppError::missing(name))
    }

    pub fn f64(&self, name: &str) -> AppResult<Option<f64>> {
        match self.values.get(name) {
            Some(Value::Number(n)) => Ok(n.as_f64()),
            _ => match self.str(name)? {
                None => Ok(None),
                Some(s) => s
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Some)
                    .ok_or_else(|| AppError::invalid(name, "must be a number")),
            },
        }
    }

    /// Integer within [min, max], or the default when absent.
    pub fn i64_in(&self, name: &str, min: i64, max: i64, default: i64) -> AppResult<i64> {
        let v = self.i64(name)?.unwrap_or(default);
        if v < min || v > max {
            return Err(AppError::invalid(name, format!("must be between {min} and {max}")));
        }
        Ok(v)
    }

    /// Strings repeated in the query, given as a JSON array, or as one comma-separated value.
    pub fn list(&self, name: &str) -> AppResult<Vec<String>> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(vec![]),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.trim().to_string()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(AppError::invalid(name, "must be a list of ids")),
                })
                .collect(),
            Some(Value::String(s)) => {
                let t = s.trim();
                if t.starts_with('[') {
                    let v: Value =
                        serde_json::from_str(t).map_err(|_| AppError::invalid(name, "malformed JSON list"))?;
                    return Params::from_map(Map::from_iter([(name.to_string(), v)])).list(name);
                }
                Ok(t.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
            }
            Some(Value::Number(n)) => Ok(vec![n.to_string()]),
            Some(_) => Err(AppError::invalid(name, "must be a list")),
        }
    }

    pub fn file(&self, field: &str) -> Option<&UploadedFile> {
        self.files.iter().find(|f| f.field == field)
    }
}

/// User ids from list parameter `name` (JSON array, JSON text or comma-separated; see
/// [`Params::list`]), at most `max` of them, sorted and deduplicated. The id-list parser of
/// every route that takes user ids (each route picks its own cap).
pub fn user_ids(params: &Params, name: &str, max: usize) -> AppResult<Vec<UserId>> {
    let raw = params.list(name)?;
    if raw.len() > max {
        return Err(AppError::invalid(name, format!("at most {max} ids")));
    }
    let mut ids = raw.iter().map(|s| UserId::parse(name, s)).collect::<AppResult<Vec<_>>>()?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, uri: &str, ct: &str, body: &str) -> Request {
        let mut b = http::Request::builder().method(method).uri(uri);
        if !ct.is_empty() {
            b = b.header("content-type", ct);
        }
        b.body(if body.is_empty() { Body::Empty } else { Body::Text(body.to_string()) }).unwrap()
    }

    #[tokio::test]
    async fn shiku_query_and_form_merge() {
        let r =
            req("POST", "/user/login?access_token=t", "application/x-www-form-urlencoded", "telephone=138&areaCode=86");
        let p = Params::parse(Dialect::Shiku, &r).await.unwrap();
        assert_eq!(p.req_str("access_token").unwrap(), "t");
        assert_eq!(p.req_str("telephone").unwrap(), "138");
        assert_eq!(p.i64("areaCode").unwrap(), Some(86));
    }

    #[tokio::test]
    async fn typed_accessors_reject_wrong_types() {
        let r = req("POST", "/x", "application/json", r#"{"n":"abc","o":{"a":1},"f":1.5,"i":3}"#);
        let p = Params::parse(Dialect::SealTalk, &r).await.unwrap();
        assert!(matches!(p.i64("n"), Err(AppError::InvalidParam { .. })));
        assert!(matches!(p.str("o"), Err(AppError::InvalidParam { .. })));
        assert!(matches!(p.i64("f"), Err(AppError::InvalidParam { .. })));
        assert_eq!(p.i64("i").unwrap(), Some(3));
        assert!(matches!(p.req_str("missing"), Err(AppError::MissingParam(_))));
    }

    #[tokio::test]
    async fn malformed_and_non_object_json_rejected() {
        let r = req("POST", "/x", "application/json", "{nope");
        assert!(matches!(Params::parse(Dialect::Minxing, &r).await, Err(AppError::InvalidParam { .. })));
        let r = req("POST", "/x", "application/json", "[1,2]");
        assert!(matches!(Params::parse(Dialect::Minxing, &r).await, Err(AppError::InvalidParam { .. })));
    }

    #[tokio::test]
    async fn oversize_body_rejected() {
        let big = "a=".to_string() + &"x".repeat(MAX_BODY + 1);
        let r = req("POST", "/x", "application/x-www-form-urlencoded", &big);
        assert!(matches!(Params::parse(Dialect::Shiku, &r).await, Err(AppError::PayloadTooLarge(_))));
    }

    #[tokio::test]
    async fn xuanxuan_data_field_is_json() {
        let body = "data=%7B%22receiver%22%3A%22users%22%7D";
        let r = req("POST", "/api.php?m=chat&f=notifyMSG", "application/x-www-form-urlencoded", body);
        let p = Params::parse(Dialect::Xuanxuan, &r).await.unwrap();
        assert_eq!(p.raw("data").unwrap()["receiver"], "users");
        let r = req("POST", "/api.php", "application/x-www-form-urlencoded", "data=%7Bbad");
        assert!(Params::parse(Dialect::Xuanxuan, &r).await.is_err());
    }

    #[tokio::test]
    async fn multipart_fields_and_files() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"h.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n";
        let r = req("POST", "/api/v1/uploaded_files", "multipart/form-data; boundary=XX", body);
        let p = Params::parse(Dialect::Minxing, &r).await.unwrap();
        assert_eq!(p.req_str("a").unwrap(), "1");
        let f = p.file("file").unwrap();
        assert_eq!((f.filename.as_str(), &f.bytes[..]), ("h.txt", &b"hello"[..]));
    }

    #[test]
    fn lists_from_every_shape() {
        let p = Params::from_map(serde_json::from_str(r#"{"a":"[1,\"2\"]","b":"3, 4","c":[5]}"#).unwrap());
        assert_eq!(p.list("a").unwrap(), vec!["1", "2"]);
        assert_eq!(p.list("b").unwrap(), vec!["3", "4"]);
        assert_eq!(p.list("c").unwrap(), vec!["5"]);
    }

    #[test]
    fn user_ids_sorted_deduplicated_capped() {
        let p = Params::from_map(Map::from_iter([("ids".to_string(), Value::String("3,1,3".into()))]));
        assert_eq!(user_ids(&p, "ids", 3).unwrap(), vec![UserId(1), UserId(3)]);
        assert!(user_ids(&p, "ids", 2).unwrap_err().to_string().contains("at most 2 ids"));
        assert!(user_ids(&p, "none", 2).unwrap().is_empty());
        let bad = Params::from_map(Map::from_iter([("ids".to_string(), Value::String("1,x".into()))]));
        assert!(user_ids(&bad, "ids", 5).is_err());
    }
}

/// Any request body, content type, query and parameter lookup: an error or a value, never a
/// panic (a panic would answer 500 instead of the dialect's error).
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn request(query: &str, ct: &str, body: Vec<u8>) -> Option<Request> {
        let uri = format!("/x?{}", query.replace(['#', ' '], ""));
        let b = http::Request::builder().method("POST").uri(uri).header("content-type", ct);
        b.body(Body::Binary(body)).ok()
    }

    const CTS: &[&str] = &[
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=XX",
        "multipart/form-data",
        "",
        "text/plain",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
        #[test]
        fn parse_and_accessors_never_panic(
            query in "[a-z=&%0-9\\-.e+\\[\\]\"]{0,40}",
            ct in 0usize..CTS.len(),
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..200),
                "[a-zA-Z0-9=&%{}\\[\\]\":,.\\-+e ]{0,120}".prop_map(String::into_bytes),
                Just(b"--XX\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n9223372036854775808\r\n--XX--\r\n".to_vec()),
            ],
            name in "[a-z]{1,2}",
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let Some(req) = request(&query, CTS[ct], body) else { return Ok(()) };
            for d in [Dialect::Shiku, Dialect::Minxing, Dialect::SealTalk, Dialect::Xuanxuan] {
                if let Ok(p) = rt.block_on(Params::parse(d, &req)) {
                    let _ = (p.str(&name), p.i64(&name), p.f64(&name), p.list(&name), p.i64_in(&name, -5, 5, 0));
                    let _ = (p.req_str(&name), p.str_max(&name, 3), p.body_keys().len());
                }
            }
        }

        #[test]
        fn numbers_parse_or_refuse(v in prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| f.to_string()),
            "[0-9eE+\\-.]{1,30}",
        ]) {
            let p = Params::from_map(Map::from_iter([("n".to_string(), Value::String(v.clone()))]));
            if let Ok(Some(n)) = p.i64("n") {
                prop_assert_eq!(Ok(n), v.trim().parse::<i64>(), "only whole integers in range");
            }
            if let Ok(Some(f)) = p.f64("n") {
                prop_assert!(f.is_finite());
            }
        }
    }
}
