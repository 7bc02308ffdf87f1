//! xacct-sigv4: pure AWS Signature Version 4.
//!
//! Owns everything about authenticating a request with SigV4 and nothing about where keys live:
//! - [`parse`] reads the Authorization header or presigned query into a [`ParsedAuth`] (no secret
//!   needed; it names the access key id the caller must look up);
//! - [`verify`] / [`verify_with_key`] rebuild the canonical request and string to sign, derive the
//!   signing key and compare signatures in constant time, check the clock window (15 minutes for
//!   header auth, `X-Amz-Expires` for presigned) and the declared payload hash;
//! - [`chunked`] decodes and verifies `aws-chunked` streaming bodies incrementally;
//! - [`sign_headers`] / [`presign_url`] sign requests for our own clients and tests.
//!
//! Time is always a parameter (`now_unix`); there is no clock, IO or HTTP type here. Errors carry
//! AWS's codes, statuses and messages per protocol family ([`ErrorFlavor`]).
//!
//! # Security
//! A successful [`verify`] proves the request was signed with the secret the caller supplied. The
//! caller still owns: mapping an unknown key id to [`SigV4Error::InvalidClientTokenId`],
//! validating [`ParsedAuth::security_token`] (session tokens), checking the credential scope's
//! region/service against the endpoint ([`check_scope`]), and, for streaming or unsigned bodies,
//! discarding data if [`chunked::ChunkedDecoder`] later fails.

mod amzdate;
mod canonical;
pub mod chunked;
mod error;
mod parse;
mod sign;
mod verify;

pub use amzdate::{format_amz_date, format_iso8601, parse_amz_date, parse_http_date};
pub use canonical::uri_encode;
pub use error::{ErrorFlavor, Malformed, SigV4Error, SignatureMismatch};
pub use parse::{parse, MAX_EXPIRES_SECONDS};
pub use sign::{presign_url, sign_headers, Credentials, SignPayload, SignedHeaders, SigningParams};
pub use verify::{
    canonical_request, check_request_time, check_scope, sha256_hex, string_to_sign, verify,
    verify_with_key, verify_without_body, SigningKey, SigningKeyCache, MAX_CLOCK_SKEW_SECONDS,
};

/// The only algorithm supported: `AWS4-HMAC-SHA256`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The SHA-256 of an empty payload, in hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A request as received, before any decoding.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, as sent (`GET`, `POST`…).
    pub method: &'a str,
    /// The raw path as received, still percent-encoded, without the query.
    pub path: &'a str,
    /// The raw query string without the leading `?`.
    pub query: &'a str,
    /// Headers as received: any case, repeats allowed, in arrival order.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> HttpRequest<'a> {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

/// The credential scope `date/region/service` (the `aws4_request` terminator is implied).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// `YYYYMMDD`.
    pub date: String,
    /// Region name, e.g. `us-east-1`.
    pub region: String,
    /// Signing name of the service, e.g. `iam`, `s3`.
    pub service: String,
}

impl Scope {
    /// `date/region/service/aws4_request`, as in the string to sign.
    pub fn to_scope_string(&self) -> String {
        format!("{}/{}/{}/aws4_request", self.date, self.region, self.service)
    }
}

/// How an `aws-chunked` body is framed and signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamingMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk signed, chained from the seed signature.
    SignedChunks,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then signed trailers.
    SignedChunksWithTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks, then trailers (checksums).
    UnsignedWithTrailer,
}

impl StreamingMode {
    /// The `x-amz-content-sha256` keyword, which is also the canonical request's payload hash.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::SignedChunks => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            Self::SignedChunksWithTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            Self::UnsignedWithTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        }
    }
}

/// What the canonical request's last line (the hashed payload) is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PayloadMode {
    /// `x-amz-content-sha256` carried this hex SHA-256; the body must hash to it.
    Hash(String),
    /// `UNSIGNED-PAYLOAD` (and S3 presigned URLs without the header): the body is not covered.
    Unsigned,
    /// An `aws-chunked` body; decode it with [`chunked::ChunkedDecoder`].
    Streaming(StreamingMode),
    /// No header (non-S3 services): the payload hash is the SHA-256 of the body.
    FromBody,
}

impl PayloadMode {
    /// The canonical request's payload line, or `None` when it must be computed from the body.
    pub fn canonical_value(&self) -> Option<&str> {
        match self {
            Self::Hash(h) => Some(h),
            Self::Unsigned => Some("UNSIGNED-PAYLOAD"),
            Self::Streaming(mode) => Some(mode.keyword()),
            Self::FromBody => None,
        }
    }
}

/// A request's SigV4 authentication, read but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// The access key id to look the secret up by.
    pub access_key_id: String,
    /// The credential scope.
    pub scope: Scope,
    /// Signed header names as the client listed them (lowercase, sorted by well-behaved clients).
    pub signed_headers: Vec<String>,
    /// The signature as sent (hex).
    pub signature: String,
    /// The request time, `YYYYMMDDTHHMMSSZ` (from `X-Amz-Date`, or converted from `Date`).
    pub amz_date: String,
    /// The request time in Unix seconds.
    pub request_time_unix: i64,
    /// `X-Amz-Security-Token` (header or query); the caller validates it.
    pub security_token: Option<String>,
    /// True for presigned (query-string) authentication.
    pub presigned: bool,
    /// `X-Amz-Expires` for presigned requests.
    pub expires_seconds: Option<u64>,
    /// What the payload hash is.
    pub payload: PayloadMode,
}

impl ParsedAuth {
    /// True when the credential scope names S3, whose canonical URI is not normalized.
    pub fn is_s3(&self) -> bool {
        self.scope.service == "s3"
    }
}
