//! S3 objects without the S3 client (issue 15 §2): presigned GET/PUT/HEAD/DELETE URLs signed
//! with aws-sigv4 the way aws-sdk-s3 presigns (the tests below compare both, byte for byte),
//! and HEAD/DELETE sent to such a URL with the SDK's own HTTP connector. A function that
//! reaches S3 only through here (`users`: avatars) never builds an `aws_sdk_s3::Client`, so
//! fat LTO drops the client (endpoint rules, checksum interceptors and their CRC tables,
//! S3 Express auth): about 1 MB of its binary.
//!
//! Endpoints as the SDK resolves them for a plain bucket: `https://<bucket>.s3.<region>.<dns
//! suffix>/<key>` (path style when asked or the name is not a DNS label); with an explicit
//! endpoint (local emulator, `AWS_ENDPOINT_URL`) `<endpoint>/<bucket>/<key>` or the bucket as
//! a host prefix. Not supported: FIPS/dual-stack endpoints, access points, S3 Express buckets.

use crate::error::{AppError, AppResult};
use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningParams,
    SigningSettings, UriPathNormalizationMode,
};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings, SharedHttpConnector};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// A HEAD or DELETE URL is used at once: it only has to outlive the retries.
const SHORT_TTL: Duration = Duration::from_secs(5 * 60);
/// Cached credentials are refreshed this long before they expire.
const CREDS_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Attempts of a HEAD/DELETE (the SDK's standard retry mode: 3).
const ATTEMPTS: u32 = 3;
/// Bounds when the SDK config has none (every `Ctx` sets both: ctx.rs `timeouts`).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(7);

/// The files bucket, reached without the S3 client. Cheap to clone.
#[derive(Clone)]
pub struct Objects {
    inner: Arc<Inner>,
}

struct Inner {
    sdk: SdkConfig,
    bucket: String,
    /// Explicit endpoint (local emulator); None: AWS's, or the SDK config's `endpoint_url`.
    endpoint: Option<String>,
    path_style: bool,
    creds: Mutex<Option<Credentials>>,
    conn: OnceLock<SharedHttpConnector>,
}

/// What HEAD tells about an object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Head {
    pub content_type: Option<String>,
    pub content_length: Option<i64>,
}

impl Objects {
    pub fn new(sdk: SdkConfig, bucket: String, endpoint: Option<String>, path_style: bool) -> Objects {
        let endpoint = endpoint.or_else(|| sdk.endpoint_url().map(str::to_string));
        let inner = Inner { sdk, bucket, endpoint, path_style, creds: Mutex::new(None), conn: OnceLock::new() };
        Objects { inner: Arc::new(inner) }
    }

    /// A GET URL of `key`, valid for `expires` (no network call unless credentials are due).
    pub async fn presign_get(&self, key: &str, expires: Duration) -> AppResult<String> {
        let creds = self.credentials().await?;
        self.sign_url(&creds, "GET", key, &[], expires, SystemTime::now())
    }

    /// A PUT URL of `key` that signs the content type and, when given, the exact length: S3
    /// refuses a PUT with other values.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        len: Option<i64>,
        expires: Duration,
    ) -> AppResult<String> {
        let creds = self.credentials().await?;
        let len = len.map(|n| n.to_string());
        let mut headers = vec![("content-type", content_type)];
        if let Some(n) = &len {
            headers.push(("content-length", n.as_str()));
        }
        self.sign_url(&creds, "PUT", key, &headers, expires, SystemTime::now())
    }

    /// HeadObject: None when there is no such object (404).
    pub async fn head(&self, key: &str) -> AppResult<Option<Head>> {
        let resp = self.send("HEAD", key).await?;
        match resp.status().as_u16() {
            404 => Ok(None),
            s if (200..300).contains(&s) => {
                let h = |name| resp.headers().get(name).map(str::to_string);
                Ok(Some(Head {
                    content_type: h("content-type"),
                    content_length: h("content-length").and_then(|v| v.parse().ok()),
                }))
            }
            s => Err(AppError::internal(format!("S3 HeadObject {key}: status {s}"))),
        }
    }

    /// DeleteObject (S3 answers success for a missing key too).
    pub async fn delete(&self, key: &str) -> AppResult<()> {
        let resp = self.send("DELETE", key).await?;
        match resp.status().as_u16() {
            s if (200..300).contains(&s) => Ok(()),
            s => Err(AppError::internal(format!("S3 DeleteObject {key}: status {s}"))),
        }
    }

    /// The SDK config's credentials, cached until shortly before they expire (on Lambda they
    /// come from the environment; elsewhere the provider may make a network call).
    async fn credentials(&self) -> AppResult<Credentials> {
        let cached = self.inner.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let fresh = |c: &Credentials| c.expiry().is_none_or(|t| t > SystemTime::now() + CREDS_MARGIN);
        if let Some(c) = cached.filter(fresh) {
            return Ok(c);
        }
        let provider =
            self.inner.sdk.credentials_provider().ok_or_else(|| AppError::internal("no AWS credentials provider"))?;
        let c = provider.provide_credentials().await.map_err(AppError::internal)?;
        *self.inner.creds.lock().unwrap_or_else(|e| e.into_inner()) = Some(c.clone());
        Ok(c)
    }

    /// `key`'s URL before signing, with the operation id the SDK adds (`x-id`).
    fn url(&self, method: &str, key: &str) -> AppResult<String> {
        let region = self.inner.sdk.region().ok_or_else(|| AppError::internal("no AWS region"))?;
        let bucket = &self.inner.bucket;
        let path = aws_smithy_http::label::fmt_string(key, aws_smithy_http::label::EncodingStrategy::Greedy);
        let virtual_host = !self.inner.path_style && dns_label(bucket);
        let base = match &self.inner.endpoint {
            Some(e) => {
                let e = e.trim_end_matches('/');
                match e.split_once("://") {
                    Some((scheme, host)) if virtual_host => format!("{scheme}://{bucket}.{host}"),
                    _ => format!("{e}/{bucket}"),
                }
            }
            None => {
                let suffix = if region.as_ref().starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
                match virtual_host {
                    true => format!("https://{bucket}.s3.{region}.{suffix}"),
                    false => format!("https://s3.{region}.{suffix}/{bucket}"),
                }
            }
        };
        let op = match method {
            "GET" => "?x-id=GetObject",
            "PUT" => "?x-id=PutObject",
            "DELETE" => "?x-id=DeleteObject",
            _ => "",
        };
        Ok(format!("{base}/{path}{op}"))
    }

    /// SigV4 in the query string, with S3's settings: no double encoding, no path
    /// normalisation, unsigned payload, the session token signed.
    fn sign_url(
        &self,
        creds: &Credentials,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        expires: Duration,
        now: SystemTime,
    ) -> AppResult<String> {
        let region = self.inner.sdk.region().ok_or_else(|| AppError::internal("no AWS region"))?;
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
        let identity: Identity = creds.clone().into();
        let params: SigningParams<'_> = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(region.as_ref())
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(AppError::internal)?
            .into();
        let url = self.url(method, key)?;
        let signable =
            SignableRequest::new(method, url.as_str(), headers.iter().copied(), SignableBody::UnsignedPayload)
                .map_err(AppError::internal)?;
        let (instructions, _) = sign(signable, &params).map_err(AppError::internal)?.into_parts();
        let mut req = http::Request::builder().uri(url.as_str()).body(()).map_err(AppError::internal)?;
        instructions.apply_to_request_http1x(&mut req);
        Ok(req.uri().to_string())
    }

    /// A presigned HEAD/DELETE, sent with the SDK's default HTTPS connector under the SDK
    /// config's timeouts (per attempt and in all).
    async fn send(&self, method: &str, key: &str) -> AppResult<HttpResponse> {
        let creds = self.credentials().await?;
        let url = self.sign_url(&creds, method, key, &[], SHORT_TTL, SystemTime::now())?;
        let timeouts = self.inner.sdk.timeout_config();
        let attempt = timeouts.and_then(|t| t.operation_attempt_timeout()).unwrap_or(ATTEMPT_TIMEOUT);
        let total = timeouts.and_then(|t| t.operation_timeout()).unwrap_or(OPERATION_TIMEOUT);
        match tokio::time::timeout(total, self.attempts(method, &url, attempt)).await {
            Ok(r) => r.map_err(|e| AppError::internal(format!("S3 {method} {key}: {e}"))),
            Err(_) => Err(AppError::internal(format!("S3 {method} {key}: no answer within {total:?}"))),
        }
    }

    /// Up to [`ATTEMPTS`]; transport errors, timeouts, 5xx and 429 are retried, as the SDK's
    /// standard retry mode does.
    async fn attempts(&self, method: &str, url: &str, limit: Duration) -> Result<HttpResponse, String> {
        let conn = self.connector().map_err(|e| e.to_string())?;
        let mut last = String::new();
        for n in 0..ATTEMPTS {
            if n > 0 {
                tokio::time::sleep(Duration::from_millis(100u64 << n)).await;
            }
            let mut req = HttpRequest::empty();
            req.set_method(method).map_err(|e| e.to_string())?;
            req.set_uri(url).map_err(|e| e.to_string())?;
            match tokio::time::timeout(limit, conn.call(req)).await {
                Ok(Ok(resp)) if !(resp.status().is_server_error() || resp.status().as_u16() == 429) => return Ok(resp),
                Ok(Ok(resp)) => last = format!("status {}", resp.status().as_u16()),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = format!("no answer within {limit:?}"),
            }
        }
        Err(last)
    }

    fn connector(&self) -> AppResult<&SharedHttpConnector> {
        if let Some(c) = self.inner.conn.get() {
            return Ok(c);
        }
        let connect = self.inner.sdk.timeout_config().and_then(|t| t.connect_timeout());
        let mut settings = HttpConnectorSettings::builder();
        settings.set_connect_timeout(connect);
        let settings = settings.build();
        let conn = aws_smithy_http_client::default_connector(&settings, self.inner.sdk.sleep_impl())
            .ok_or_else(|| AppError::internal("no default HTTPS connector"))?;
        Ok(self.inner.conn.get_or_init(|| conn))
    }
}

/// A bucket name usable as a host label (S3's `isVirtualHostableS3Bucket`, no dots).
fn dns_label(b: &str) -> bool {
    let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (3..=63).contains(&b.len())
        && b.bytes().all(|c| ok(c) || c == b'-')
        && b.bytes().next().is_some_and(ok)
        && b.bytes().last().is_some_and(ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::{BehaviorVersion, Region};
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_sdk_s3::presigning::PresigningConfig;

    const TTL: Duration = Duration::from_secs(900);

    fn creds() -> Credentials {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        Credentials::new("AKIDEXAMPLE", secret, Some("FQoG/ZXIv+token=".into()), None, "test")
    }

    fn sdk(region: &str) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(SharedCredentialsProvider::new(creds()))
            .build()
    }

    /// The client as ctx.rs builds it (`FromSpec`).
    fn client(sdk: &SdkConfig, endpoint: Option<&str>, path_style: bool) -> aws_sdk_s3::Client {
        let mut conf = aws_sdk_s3::config::Builder::from(sdk).force_path_style(path_style);
        if let Some(e) = endpoint {
            conf = conf.endpoint_url(e);
        }
        aws_sdk_s3::Client::from_conf(conf.build())
    }

    /// Our URLs equal the SDK's presigned ones for the same credentials and time: AWS regions
    /// (virtual host, path style, China, a dotted bucket), the local emulator, an endpoint with
    /// the bucket as host prefix; plain and awkward keys; GET, PUT with and without a length,
    /// HEAD and DELETE.
    #[tokio::test]
    async fn urls_equal_the_sdk_presigned_ones() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_123);
        let cases = [
            ("us-east-1", None, false, "stack-filesbucket-1a2b3c"),
            ("eu-west-1", None, false, "files"),
            ("eu-west-1", None, true, "files"),
            ("cn-north-1", None, false, "files"),
            ("us-east-1", None, false, "dotted.bucket.name"),
            ("us-east-1", Some("http://127.0.0.1:45123"), true, "im-files"),
            ("us-east-1", Some("http://localhost:9000/"), false, "im-files"),
        ];
        let keys = ["avatars/10000001/0123456789abcdef0123456789abcdef", "a b/ü+&=?#%~.txt", "x//y/../z"];
        for (region, endpoint, path_style, bucket) in cases {
            let sdk = sdk(region);
            let s3 = client(&sdk, endpoint, path_style);
            let ours = Objects::new(sdk, bucket.into(), endpoint.map(str::to_string), path_style);
            for key in keys {
                let cfg = || PresigningConfig::builder().start_time(now).expires_in(TTL).build().unwrap();
                let case = format!("{region} {endpoint:?} path_style={path_style} {bucket} {key}");
                let sign =
                    |method, headers: &[(&str, &str)]| ours.sign_url(&creds(), method, key, headers, TTL, now).unwrap();

                let sdk_get = s3.get_object().bucket(bucket).key(key).presigned(cfg()).await.unwrap();
                assert_eq!(sign("GET", &[]), sdk_get.uri(), "GET {case}");

                let put = || s3.put_object().bucket(bucket).key(key).content_type("image/png");
                let sdk_put = put().presigned(cfg()).await.unwrap();
                assert_eq!(sign("PUT", &[("content-type", "image/png")]), sdk_put.uri(), "PUT {case}");
                let sdk_put = put().content_length(7).presigned(cfg()).await.unwrap();
                let ours_put = sign("PUT", &[("content-type", "image/png"), ("content-length", "7")]);
                assert_eq!(ours_put, sdk_put.uri(), "PUT with length {case}");
                assert!(ours_put.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&"), "{ours_put}");

                let sdk_head = s3.head_object().bucket(bucket).key(key).presigned(cfg()).await.unwrap();
                assert_eq!(sign("HEAD", &[]), sdk_head.uri(), "HEAD {case}");
                let sdk_delete = s3.delete_object().bucket(bucket).key(key).presigned(cfg()).await.unwrap();
                assert_eq!(sign("DELETE", &[]), sdk_delete.uri(), "DELETE {case}");
            }
        }
    }

    #[tokio::test]
    async fn presign_put_signs_type_and_length() {
        let o = Objects::new(sdk("us-east-1"), "files".into(), None, false);
        let url = o.presign_put("avatars/1/k", "image/jpeg", Some(12), TTL).await.unwrap();
        assert!(url.starts_with("https://files.s3.us-east-1.amazonaws.com/avatars/1/k?x-id=PutObject&"), "{url}");
        assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&"), "{url}");
        assert!(
            url.contains("X-Amz-Expires=900&") && url.contains("X-Amz-Security-Token=FQoG%2FZXIv%2Btoken%3D"),
            "{url}"
        );
        let url = o.presign_put("avatars/1/k", "image/jpeg", None, TTL).await.unwrap();
        assert!(url.contains("X-Amz-SignedHeaders=content-type%3Bhost&"), "{url}");
    }

    #[test]
    fn bucket_names_that_can_be_host_labels() {
        for ok in ["abc", "my-bucket-1", "0files9"] {
            assert!(dns_label(ok), "{ok}");
        }
        for bad in ["ab", "My-Bucket", "a.b.c", "-abc", "abc-", "a_b_c", &"a".repeat(64)] {
            assert!(!dns_label(bad), "{bad}");
        }
    }
}
