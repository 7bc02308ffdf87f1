//! Signing requests, for xacct's own clients and tests: Authorization-header signing and
//! presigned URLs, producing exactly what [`crate::verify`] accepts (and what AWS's SDKs send).

use crate::amzdate::format_amz_date;
use crate::canonical::{write_canonical_query, CanonicalParts};
use crate::verify::{compute_signature, sha256_hex, SigningKey};
use crate::{uri_encode, HttpRequest, Scope, StreamingMode, ALGORITHM};

/// An access key pair, with a session token for temporary credentials.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

/// What to sign as the payload.
#[derive(Debug, Clone, Copy)]
pub enum SignPayload<'a> {
    /// The body itself (its SHA-256 is signed).
    Body(&'a [u8]),
    /// An already computed hex SHA-256 of the body.
    Sha256Hex(&'a str),
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// An `aws-chunked` body; sign the chunks with [`crate::chunked::ChunkSigner`].
    Streaming(StreamingMode),
}

/// How to sign.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The credentials to sign with.
    pub credentials: Credentials<'a>,
    /// The region of the credential scope.
    pub region: &'a str,
    /// The service signing name of the credential scope (`iam`, `sts`, `s3`…).
    pub service: &'a str,
    /// The signing time in Unix seconds.
    pub time_unix: i64,
    /// The payload to sign.
    pub payload: SignPayload<'a>,
    /// Send and sign `x-amz-content-sha256` (S3 requires it).
    pub content_sha256_header: bool,
}

/// The headers to add to a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `Authorization`.
    pub authorization: String,
    /// `X-Amz-Date`.
    pub x_amz_date: String,
    /// `X-Amz-Content-SHA256`, when asked for.
    pub x_amz_content_sha256: Option<String>,
    /// `X-Amz-Security-Token`, for temporary credentials.
    pub x_amz_security_token: Option<String>,
    /// The signature alone (hex), the seed of a chunked body.
    pub signature: String,
}

impl SignedHeaders {
    /// The headers as `(name, value)` pairs, ready to append to the request.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("X-Amz-Date", self.x_amz_date.clone())];
        if let Some(h) = &self.x_amz_content_sha256 {
            out.push(("X-Amz-Content-SHA256", h.clone()));
        }
        if let Some(t) = &self.x_amz_security_token {
            out.push(("X-Amz-Security-Token", t.clone()));
        }
        out.push(("Authorization", self.authorization.clone()));
        out
    }
}

/// Headers AWS's SDKs leave unsigned because proxies may change them.
const UNSIGNED_HEADERS: &[&str] =
    &["authorization", "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"];

fn payload_line(payload: SignPayload<'_>) -> String {
    match payload {
        SignPayload::Body(body) => sha256_hex(body),
        SignPayload::Sha256Hex(h) => h.to_owned(),
        SignPayload::Unsigned => "UNSIGNED-PAYLOAD".to_owned(),
        SignPayload::Streaming(mode) => mode.keyword().to_owned(),
    }
}

/// Signs `req` (whose headers must include `Host`) with an Authorization header. Every header in
/// `req` is signed except `User-Agent`, `Expect`, `Transfer-Encoding` and `X-Amzn-Trace-Id`.
pub fn sign_headers(req: &HttpRequest<'_>, params: &SigningParams<'_>) -> SignedHeaders {
    let amz_date = format_amz_date(params.time_unix);
    let payload = payload_line(params.payload);
    let mut headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .filter(|(n, _)| {
            !UNSIGNED_HEADERS.iter().any(|u| n.eq_ignore_ascii_case(u))
                && !n.eq_ignore_ascii_case("x-amz-date")
                && !n.eq_ignore_ascii_case("x-amz-security-token")
                && !n.eq_ignore_ascii_case("x-amz-content-sha256")
        })
        .copied()
        .collect();
    headers.push(("x-amz-date", &amz_date));
    if let Some(token) = params.credentials.session_token {
        headers.push(("x-amz-security-token", token));
    }
    if params.content_sha256_header {
        headers.push(("x-amz-content-sha256", &payload));
    }
    let mut signed: Vec<String> = headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    signed.sort_unstable();
    signed.dedup();

    let scope = Scope {
        date: amz_date.get(..8).unwrap_or_default().to_owned(),
        region: params.region.to_owned(),
        service: params.service.to_owned(),
    };
    let key = SigningKey::for_scope(params.credentials.secret_access_key, &scope);
    let parts = CanonicalParts {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: &headers,
        signed_headers: &signed,
        s3: params.service == "s3",
        presigned: false,
        payload_hash: &payload,
    };
    let signature = hex::encode(compute_signature(&parts, &amz_date, &scope, &key));
    SignedHeaders {
        authorization: format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={signature}",
            params.credentials.access_key_id,
            scope.to_scope_string(),
            signed.join(";"),
        ),
        x_amz_date: amz_date,
        x_amz_content_sha256: params.content_sha256_header.then_some(payload),
        x_amz_security_token: params.credentials.session_token.map(str::to_owned),
        signature,
    }
}

/// Presigns `req` for `expires_seconds`: returns the full query string (the request's own
/// parameters plus `X-Amz-*` and `X-Amz-Signature`) to send after `?`. Signs every header in
/// `req` except the ones AWS's SDKs leave unsigned (at least `Host` must be there). The payload is
/// `UNSIGNED-PAYLOAD` for S3 and `params.payload` otherwise.
pub fn presign_url(
    req: &HttpRequest<'_>,
    params: &SigningParams<'_>,
    expires_seconds: u64,
) -> String {
    let amz_date = format_amz_date(params.time_unix);
    let scope = Scope {
        date: amz_date.get(..8).unwrap_or_default().to_owned(),
        region: params.region.to_owned(),
        service: params.service.to_owned(),
    };
    let s3 = params.service == "s3";
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .filter(|(n, _)| !UNSIGNED_HEADERS.iter().any(|u| n.eq_ignore_ascii_case(u)))
        .copied()
        .collect();
    let mut signed: Vec<String> = headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    signed.sort_unstable();
    signed.dedup();

    let mut query = String::from(req.query);
    let mut add = |name: &str, value: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&uri_encode(value));
    };
    add("X-Amz-Algorithm", ALGORITHM);
    add(
        "X-Amz-Credential",
        &format!("{}/{}", params.credentials.access_key_id, scope.to_scope_string()),
    );
    add("X-Amz-Date", &amz_date);
    add("X-Amz-Expires", &expires_seconds.to_string());
    add("X-Amz-SignedHeaders", &signed.join(";"));
    if let Some(token) = params.credentials.session_token {
        add("X-Amz-Security-Token", token);
    }
    // Keep the query in canonical order so the URL reads like the SDKs' URLs.
    let mut canonical = Vec::with_capacity(query.len());
    write_canonical_query(&mut canonical, &query, true);
    let query = String::from_utf8_lossy(&canonical).into_owned();

    let payload = if s3 { "UNSIGNED-PAYLOAD".to_owned() } else { payload_line(params.payload) };
    let key = SigningKey::for_scope(params.credentials.secret_access_key, &scope);
    let parts = CanonicalParts {
        method: req.method,
        path: req.path,
        query: &query,
        headers: &headers,
        signed_headers: &signed,
        s3,
        presigned: true,
        payload_hash: &payload,
    };
    let signature = hex::encode(compute_signature(&parts, &amz_date, &scope, &key));
    format!("{query}&X-Amz-Signature={signature}")
}
