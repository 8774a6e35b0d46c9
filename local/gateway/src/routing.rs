//! API Gateway HTTP API route selection.
//!
//! Precedence, as API Gateway documents it: the most specific path wins
//! (segment by segment from the left, a static segment beats a `{param}`,
//! which beats a greedy `{proxy+}`); for the same path an exact method beats
//! `ANY`; when nothing matches, `$default`; otherwise 404.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Static(String),
    Param(String),
    /// `{name+}`: one or more remaining segments; only last.
    Greedy(String),
}

impl Segment {
    fn rank(&self) -> u8 {
        match self {
            Segment::Static(_) => 2,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 0,
        }
    }
}

/// `/a/{b}/{c+}` → segments; rejects malformed templates.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("path {path:?} must start with /"));
    };
    if rest.is_empty() {
        return Ok(vec![]);
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let mut out = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let seg = if let Some(inner) = p.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if let Some(name) = inner.strip_suffix('+') {
                if i != parts.len() - 1 {
                    return Err(format!("greedy variable {{{inner}}} must be the last segment of {path}"));
                }
                Segment::Greedy(name.to_string())
            } else {
                Segment::Param(inner.to_string())
            }
        } else if p.contains('{') || p.contains('}') {
            return Err(format!("partial path variables are not supported by HTTP APIs: {path}"));
        } else {
            Segment::Static(p.to_string())
        };
        if matches!(&seg, Segment::Param(n) | Segment::Greedy(n) if n.is_empty()) {
            return Err(format!("empty path variable in {path}"));
        }
        out.push(seg);
    }
    Ok(out)
}

type PathParams = Vec<(String, String)>;

#[derive(Debug, Clone)]
struct Route<T> {
    key: String,
    /// None = ANY.
    method: Option<String>,
    segments: Vec<Segment>,
    target: T,
}

#[derive(Debug, Clone)]
pub struct RouteTable<T> {
    routes: Vec<Route<T>>,
    default: Option<T>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Matched<'a, T> {
    /// `GET /a/{b}` or `$default`.
    pub route_key: String,
    /// Percent-decoded values of the path variables, in path order.
    pub path_params: Vec<(String, String)>,
    pub target: &'a T,
}

impl<T> Default for RouteTable<T> {
    fn default() -> Self {
        RouteTable { routes: vec![], default: None }
    }
}

impl<T> RouteTable<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// `method` is `ANY` or an HTTP method; `path` a template such as `/a/{b}`, or `$default`.
    pub fn add(&mut self, method: &str, path: &str, target: T) -> Result<(), String> {
        if path == "$default" {
            if self.default.is_some() {
                return Err("$default is defined twice".into());
            }
            self.default = Some(target);
            return Ok(());
        }
        let method = method.to_ascii_uppercase();
        let segments = parse_path(path)?;
        let key = format!("{method} {path}");
        if self.routes.iter().any(|r| r.key == key) {
            return Err(format!("route {key} is defined twice"));
        }
        let method = (method != "ANY").then_some(method);
        self.routes.push(Route { key, method, segments, target });
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.routes.len() + usize::from(self.default.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Select the route of a request; `path` is the raw (percent-encoded) request path.
    pub fn select(&self, method: &str, path: &str) -> Option<Matched<'_, T>> {
        let parts: Vec<&str> = match path.strip_prefix('/') {
            Some("") => vec![],
            Some(rest) => rest.split('/').collect(),
            None => return self.default_match(),
        };
        let mut best: Option<(&Route<T>, PathParams)> = None;
        for r in &self.routes {
            if r.method.as_deref().is_some_and(|m| !m.eq_ignore_ascii_case(method)) {
                continue;
            }
            let Some(params) = match_segments(&r.segments, &parts) else { continue };
            let better = match &best {
                None => true,
                Some((b, _)) => compare(r, b) == Ordering::Greater,
            };
            if better {
                best = Some((r, params));
            }
        }
        match best {
            Some((r, path_params)) => Some(Matched { route_key: r.key.clone(), path_params, target: &r.target }),
            None => self.default_match(),
        }
    }

    fn default_match(&self) -> Option<Matched<'_, T>> {
        self.default.as_ref().map(|t| Matched { route_key: "$default".into(), path_params: vec![], target: t })
    }
}

/// Which of two routes matching the same request is more specific.
fn compare<T>(a: &Route<T>, b: &Route<T>) -> Ordering {
    for (x, y) in a.segments.iter().zip(&b.segments) {
        match x.rank().cmp(&y.rank()) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    // Same shape up to the shorter one: the longer (non-greedy) one is more literal.
    a.segments.len().cmp(&b.segments.len()).then_with(|| a.method.is_some().cmp(&b.method.is_some()))
}

fn match_segments(segs: &[Segment], parts: &[&str]) -> Option<Vec<(String, String)>> {
    let mut params = vec![];
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Segment::Static(s) => {
                if parts.get(i) != Some(&s.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                let p = parts.get(i).filter(|p| !p.is_empty())?;
                params.push((name.clone(), percent_decode(p)));
            }
            Segment::Greedy(name) => {
                let rest = parts.get(i..).filter(|r| !r.is_empty())?.join("/");
                if rest.is_empty() {
                    return None;
                }
                params.push((name.clone(), percent_decode(&rest)));
                return Some(params);
            }
        }
    }
    (parts.len() == segs.len()).then_some(params)
}

/// Percent-decoding of a path (`+` stays `+`); invalid escapes are kept verbatim.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable<&'static str> {
        let mut t = RouteTable::new();
        for (m, p, f) in [
            ("ANY", "/user/login", "any-login"),
            ("POST", "/user/login", "post-login"),
            ("GET", "/api/v1/users/{user_id}", "user-by-id"),
            ("GET", "/api/v1/users/current", "current-user"),
            ("POST", "/api/v1/users", "create-user"),
            ("GET", "/files/{proxy+}", "files"),
            ("GET", "/files/special/{name}", "special"),
            ("GET", "/a/{x}/c", "a-x-c"),
            ("GET", "/a/b/{y}", "a-b-y"),
            ("ANY", "/", "root"),
            ("ANY", "$default", "default"),
        ] {
            t.add(m, p, f).unwrap();
        }
        t
    }

    fn sel(t: &RouteTable<&'static str>, m: &str, p: &str) -> (String, &'static str, Vec<(String, String)>) {
        let r = t.select(m, p).unwrap();
        (r.route_key, *r.target, r.path_params)
    }

    #[test]
    fn exact_method_beats_any() {
        let t = table();
        assert_eq!(sel(&t, "POST", "/user/login").1, "post-login");
        assert_eq!(sel(&t, "GET", "/user/login").1, "any-login");
        assert_eq!(sel(&t, "GET", "/user/login").0, "ANY /user/login");
        assert_eq!(sel(&t, "post", "/user/login").0, "POST /user/login");
    }

    #[test]
    fn static_beats_param_and_params_are_decoded() {
        let t = table();
        assert_eq!(sel(&t, "GET", "/api/v1/users/current").1, "current-user");
        let (key, f, params) = sel(&t, "GET", "/api/v1/users/42%20x");
        assert_eq!((key.as_str(), f), ("GET /api/v1/users/{user_id}", "user-by-id"));
        assert_eq!(params, vec![("user_id".to_string(), "42 x".to_string())]);
        // left-most static segment decides
        assert_eq!(sel(&t, "GET", "/a/b/c").1, "a-b-y");
        assert_eq!(sel(&t, "GET", "/a/z/c").1, "a-x-c");
    }

    #[test]
    fn greedy_takes_the_rest_and_loses_to_specific_routes() {
        let t = table();
        let (key, f, params) = sel(&t, "GET", "/files/x/y/z.png");
        assert_eq!((key.as_str(), f), ("GET /files/{proxy+}", "files"));
        assert_eq!(params, vec![("proxy".to_string(), "x/y/z.png".to_string())]);
        assert_eq!(sel(&t, "GET", "/files/special/k").1, "special");
        assert_eq!(sel(&t, "GET", "/files/special").1, "files");
        // greedy needs at least one segment
        assert_eq!(sel(&t, "GET", "/files").1, "default");
    }

    #[test]
    fn falls_back_to_default_then_none() {
        let t = table();
        assert_eq!(sel(&t, "GET", "/nope").0, "$default");
        assert_eq!(sel(&t, "DELETE", "/api/v1/users").1, "default");
        assert_eq!(sel(&t, "GET", "/user/login/").1, "default");
        assert_eq!(sel(&t, "GET", "/").1, "root");
        let mut bare = RouteTable::new();
        bare.add("GET", "/x", 1).unwrap();
        assert!(bare.select("GET", "/y").is_none());
        assert!(bare.select("POST", "/x").is_none());
    }

    #[test]
    fn rejects_bad_templates() {
        assert!(parse_path("/a/{b+}/c").is_err());
        assert!(parse_path("/a/x{b}").is_err());
        assert!(parse_path("a").is_err());
        let mut t = RouteTable::new();
        t.add("GET", "/x", 1).unwrap();
        assert!(t.add("get", "/x", 2).is_err());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
        assert_eq!(percent_decode("%E4%BD%A0+"), "你+");
    }
}
