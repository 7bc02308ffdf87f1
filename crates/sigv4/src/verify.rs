//! Verifying a parsed request: clock window, signing-key derivation, string to sign, constant-time
//! signature comparison, payload hash.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::amzdate::{format_amz_date, format_iso8601};
use crate::canonical::{write_canonical_request, CanonicalParts, Sink};
use crate::error::{SigV4Error, SignatureMismatch};
use crate::{HttpRequest, ParsedAuth, PayloadMode, Scope, ALGORITHM};

/// How far a header-signed request's time may be from the server's, either way: 15 minutes.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 900;

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The derived key `kSigning` for one secret and credential scope. Cache it per
/// (access key, date, region, service) to skip four HMACs per request.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Derives `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
    pub fn derive(secret_access_key: &str, date: &str, region: &str, service: &str) -> Self {
        let mut seed = Vec::with_capacity(4 + secret_access_key.len());
        seed.extend_from_slice(b"AWS4");
        seed.extend_from_slice(secret_access_key.as_bytes());
        let k_date = hmac_sha256(&seed, date.as_bytes());
        let k_region = hmac_sha256(&k_date, region.as_bytes());
        let k_service = hmac_sha256(&k_region, service.as_bytes());
        Self(hmac_sha256(&k_service, b"aws4_request"))
    }

    /// Derives the key for `scope`.
    pub fn for_scope(secret_access_key: &str, scope: &Scope) -> Self {
        Self::derive(secret_access_key, &scope.date, &scope.region, &scope.service)
    }

    /// HMAC-SHA256 of `data` under this key (a signature, before hex encoding).
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0, data)
    }
}

/// Entries a [`SigningKeyCache`] holds before it starts over.
const SIGNING_KEY_CACHE_CAPACITY: usize = 4096;

/// Derived signing keys per (access key id, date, region, service), so a client signing many
/// requests with one credential costs one derivation a day instead of four HMACs per request.
///
/// Security: an entry also holds the secret it was derived from and is used only when the
/// request's secret matches it (compared in constant time), so a rotated or reissued secret
/// never meets a stale key. Nothing here is logged.
#[derive(Default)]
pub struct SigningKeyCache {
    entries: std::sync::RwLock<std::collections::HashMap<String, (Box<str>, SigningKey)>>,
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeyCache(..)")
    }
}

impl SigningKeyCache {
    /// The key for `secret_access_key` (of `access_key_id`) and `scope`, derived on a miss.
    pub fn get(&self, access_key_id: &str, secret_access_key: &str, scope: &Scope) -> SigningKey {
        let id = format!("{access_key_id}/{}/{}/{}", scope.date, scope.region, scope.service);
        if let Ok(map) = self.entries.read() {
            if let Some((secret, key)) = map.get(&id) {
                if bool::from(secret.as_bytes().ct_eq(secret_access_key.as_bytes())) {
                    return key.clone();
                }
            }
        }
        let key = SigningKey::for_scope(secret_access_key, scope);
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= SIGNING_KEY_CACHE_CAPACITY {
                map.clear();
            }
            map.insert(id, (secret_access_key.into(), key.clone()));
        }
        key
    }
}

fn canonical_parts<'a>(
    req: &'a HttpRequest<'a>,
    auth: &'a ParsedAuth,
    payload_hash: &'a str,
) -> CanonicalParts<'a> {
    CanonicalParts {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
        signed_headers: &auth.signed_headers,
        s3: auth.is_s3(),
        presigned: auth.presigned,
        payload_hash,
    }
}

/// The canonical request AWS would compute for `req` with the given payload hash line.
pub fn canonical_request(req: &HttpRequest<'_>, auth: &ParsedAuth, payload_hash: &str) -> String {
    let mut out = Vec::with_capacity(256);
    write_canonical_request(&mut out, &canonical_parts(req, auth, payload_hash));
    String::from_utf8_lossy(&out).into_owned()
}

fn write_string_to_sign<S: Sink>(sink: &mut S, amz_date: &str, scope: &Scope, creq_hash: &[u8]) {
    sink.put(ALGORITHM.as_bytes());
    sink.put(b"\n");
    sink.put(amz_date.as_bytes());
    sink.put(b"\n");
    sink.put(scope.date.as_bytes());
    sink.put(b"/");
    sink.put(scope.region.as_bytes());
    sink.put(b"/");
    sink.put(scope.service.as_bytes());
    sink.put(b"/aws4_request\n");
    let mut hex_buf = [0u8; 64];
    // Writing 32 bytes into a 64-byte buffer cannot fail.
    if hex::encode_to_slice(creq_hash, &mut hex_buf).is_ok() {
        sink.put(&hex_buf);
    }
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &Scope, canonical_request: &str) -> String {
    let mut out = Vec::with_capacity(160);
    write_string_to_sign(&mut out, amz_date, scope, &Sha256::digest(canonical_request.as_bytes()));
    String::from_utf8_lossy(&out).into_owned()
}

/// Computes the request signature (raw bytes) without building the canonical request.
pub(crate) fn compute_signature(
    parts: &CanonicalParts<'_>,
    amz_date: &str,
    scope: &Scope,
    key: &SigningKey,
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    write_canonical_request(&mut hasher, parts);
    let creq_hash = hasher.finalize();
    let mut sts = Vec::with_capacity(160);
    write_string_to_sign(&mut sts, amz_date, scope, &creq_hash);
    key.sign(&sts)
}

/// Checks the request time: header auth within ±15 minutes of `now_unix`; presigned not more
/// than 15 minutes in the future and not past `X-Amz-Date + X-Amz-Expires` (±15 minutes when a
/// non-S3 presigned request has no `X-Amz-Expires`).
pub fn check_request_time(auth: &ParsedAuth, now_unix: i64) -> Result<(), SigV4Error> {
    let t = auth.request_time_unix;
    let too_skewed = |future: bool| SigV4Error::RequestTimeTooSkewed {
        request_time: auth.amz_date.clone(),
        server_time: format_amz_date(now_unix),
        future,
    };
    if auth.presigned {
        if t > now_unix.saturating_add(MAX_CLOCK_SKEW_SECONDS) {
            return Err(SigV4Error::RequestNotYetValid {
                request_time: auth.amz_date.clone(),
                server_time: format_amz_date(now_unix),
            });
        }
        return match auth.expires_seconds {
            Some(expires) => {
                let expires_at = t.saturating_add(i64::try_from(expires).unwrap_or(i64::MAX));
                if now_unix > expires_at {
                    Err(SigV4Error::RequestExpired {
                        expires_seconds: expires,
                        expires_at: format_iso8601(expires_at),
                        server_time: format_iso8601(now_unix),
                    })
                } else {
                    Ok(())
                }
            }
            None if now_unix.saturating_sub(t) > MAX_CLOCK_SKEW_SECONDS => Err(too_skewed(false)),
            None => Ok(()),
        };
    }
    if t.saturating_sub(now_unix) > MAX_CLOCK_SKEW_SECONDS {
        return Err(too_skewed(true));
    }
    if now_unix.saturating_sub(t) > MAX_CLOCK_SKEW_SECONDS {
        return Err(too_skewed(false));
    }
    Ok(())
}

/// Checks that the credential scope names this endpoint's region and service.
pub fn check_scope(auth: &ParsedAuth, region: &str, service: &str) -> Result<(), SigV4Error> {
    if auth.scope.region != region {
        return Err(SigV4Error::CredentialScope {
            message: format!("Credential should be scoped to a valid region, not '{}'. ", auth.scope.region),
            s3_message: format!(
                "The authorization header is malformed; the region '{}' is wrong; expecting '{region}'",
                auth.scope.region
            ),
        });
    }
    if auth.scope.service != service {
        return Err(SigV4Error::CredentialScope {
            message: format!("Credential should be scoped to correct service: '{service}'. "),
            s3_message: format!(
                "The authorization header is malformed; incorrect service \"{}\". This endpoint belongs to \"{service}\".",
                auth.scope.service
            ),
        });
    }
    Ok(())
}

/// Verifies `req` against `secret_access_key` at `now_unix`: request time, signature, and (when
/// `x-amz-content-sha256` carries a hash) that `body` hashes to it. For streaming payloads `body`
/// is ignored; decode it with [`crate::chunked::ChunkedDecoder`].
pub fn verify(
    req: &HttpRequest<'_>,
    auth: &ParsedAuth,
    body: &[u8],
    secret_access_key: &str,
    now_unix: i64,
) -> Result<(), SigV4Error> {
    verify_with_key(
        req,
        auth,
        body,
        &SigningKey::for_scope(secret_access_key, &auth.scope),
        now_unix,
    )
}

/// [`verify`] with an already derived (cached) signing key.
pub fn verify_with_key(
    req: &HttpRequest<'_>,
    auth: &ParsedAuth,
    body: &[u8],
    key: &SigningKey,
    now_unix: i64,
) -> Result<(), SigV4Error> {
    check_request_time(auth, now_unix)?;
    let body_hash = match &auth.payload {
        PayloadMode::FromBody | PayloadMode::Hash(_) => Some(sha256_hex(body)),
        PayloadMode::Unsigned | PayloadMode::Streaming(_) => None,
    };
    let payload_line = match (&auth.payload.canonical_value(), &body_hash) {
        (Some(v), _) => *v,
        (None, Some(h)) => h.as_str(),
        (None, None) => return Err(SigV4Error::BodyRequired),
    };
    check_signature(req, auth, key, payload_line)?;
    if let (PayloadMode::Hash(declared), Some(actual)) = (&auth.payload, body_hash) {
        if !declared.eq_ignore_ascii_case(&actual) {
            return Err(SigV4Error::XAmzContentSha256Mismatch {
                client_computed: declared.clone(),
                server_computed: actual,
            });
        }
    }
    Ok(())
}

/// Verifies request time and signature before the body has arrived. The signature covers the
/// declared `x-amz-content-sha256`; the caller must still hash the body and compare it with a
/// [`PayloadMode::Hash`] (or run the chunked decoder). Fails with [`SigV4Error::BodyRequired`]
/// for [`PayloadMode::FromBody`], whose signature covers the body itself.
pub fn verify_without_body(
    req: &HttpRequest<'_>,
    auth: &ParsedAuth,
    key: &SigningKey,
    now_unix: i64,
) -> Result<(), SigV4Error> {
    check_request_time(auth, now_unix)?;
    let payload_line = auth.payload.canonical_value().ok_or(SigV4Error::BodyRequired)?;
    check_signature(req, auth, key, payload_line)
}

fn check_signature(
    req: &HttpRequest<'_>,
    auth: &ParsedAuth,
    key: &SigningKey,
    payload_line: &str,
) -> Result<(), SigV4Error> {
    let parts = canonical_parts(req, auth, payload_line);
    let computed = compute_signature(&parts, &auth.amz_date, &auth.scope, key);
    let mut provided = [0u8; 32];
    let decoded = hex::decode_to_slice(auth.signature.as_bytes(), &mut provided).is_ok();
    if decoded && bool::from(computed.ct_eq(&provided)) {
        return Ok(());
    }
    let creq = canonical_request(req, auth, payload_line);
    Err(SigV4Error::SignatureDoesNotMatch(Box::new(SignatureMismatch {
        access_key_id: auth.access_key_id.clone(),
        signature_provided: auth.signature.clone(),
        string_to_sign: string_to_sign(&auth.amz_date, &auth.scope, &creq),
        canonical_request: creq,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_signing_keys_match_derived_ones_and_follow_the_secret() {
        let cache = SigningKeyCache::default();
        let scope =
            Scope { date: "20150830".into(), region: "us-east-1".into(), service: "iam".into() };
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let derived = SigningKey::for_scope(secret, &scope);
        assert_eq!(cache.get("AKIDEXAMPLE", secret, &scope), derived);
        assert_eq!(cache.get("AKIDEXAMPLE", secret, &scope), derived, "a hit gives the same key");
        let other = "another-secret-of-the-same-key-id-000000";
        assert_eq!(
            cache.get("AKIDEXAMPLE", other, &scope),
            SigningKey::for_scope(other, &scope),
            "a different secret never gets the cached key"
        );
        let next_day = Scope { date: "20150831".into(), ..scope };
        assert_eq!(
            cache.get("AKIDEXAMPLE", secret, &next_day),
            SigningKey::for_scope(secret, &next_day)
        );
    }
}
