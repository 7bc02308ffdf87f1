//! Reading a request's SigV4 authentication (Authorization header or presigned query) into a
//! [`ParsedAuth`] without any secret: it tells the caller which access key to look up.

use std::borrow::Cow;

use crate::amzdate::{format_amz_date, parse_amz_date, parse_http_date};
use crate::canonical::percent_decode;
use crate::error::{Malformed, SigV4Error};
use crate::{HttpRequest, ParsedAuth, PayloadMode, Scope, StreamingMode, ALGORITHM};

/// Longest accepted `X-Amz-Expires`: seven days.
pub const MAX_EXPIRES_SECONDS: u64 = 604_800;

const S3_THREE_COMPONENTS: &str = "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.";
const S3_NEEDS_DATE: &str = "AWS authentication requires a valid Date or x-amz-date header";
const S3_QUERY_PARAMS: &str = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
const S3_BAD_CREDENTIAL: &str =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";

fn malformed(
    message: String,
    s3_code: &'static str,
    s3_status: u16,
    s3_message: String,
) -> SigV4Error {
    SigV4Error::IncompleteSignature(Box::new(Malformed { message, s3_code, s3_status, s3_message }))
}

/// Reads the request's authentication. Fails with [`SigV4Error::MissingAuthenticationToken`] when
/// there is none (for S3, an anonymous request), and with AWS's errors when it is malformed.
pub fn parse(req: &HttpRequest<'_>) -> Result<ParsedAuth, SigV4Error> {
    let header = req.header("authorization");
    let query_auth = query_params(req.query).any(|(name, _)| {
        matches!(&*name, "X-Amz-Algorithm" | "X-Amz-Credential" | "X-Amz-Signature")
    });
    match (header, query_auth) {
        (Some(_), true) => Err(SigV4Error::MultipleAuthMechanisms),
        (Some(value), false) => parse_header_auth(req, value),
        (None, true) => parse_query_auth(req),
        (None, false) => Err(SigV4Error::MissingAuthenticationToken),
    }
}

/// Decoded `(name, value)` pairs of a raw query string.
pub(crate) fn query_params(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query.split('&').filter(|p| !p.is_empty()).map(|piece| {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        (decode_str(name), decode_str(value))
    })
}

fn decode_str(raw: &str) -> Cow<'_, str> {
    match percent_decode(raw.as_bytes()) {
        Cow::Borrowed(_) => Cow::Borrowed(raw),
        Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

fn parse_header_auth(req: &HttpRequest<'_>, raw: &str) -> Result<ParsedAuth, SigV4Error> {
    let value = raw.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for token in rest.split([',', ' ']).filter(|t| !t.is_empty()) {
        let Some((key, val)) = token.split_once('=') else {
            return Err(malformed(
                format!("'{token}' not a valid key=value pair (missing equal-sign) in Authorization header: '{value}'."),
                "AuthorizationHeaderMalformed",
                400,
                S3_THREE_COMPONENTS.to_owned(),
            ));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(val);
        }
    }
    let date_value = req.header("x-amz-date").or_else(|| req.header("date"));

    let credential = credential.filter(|c| !c.is_empty());
    let signature = signature.filter(|s| !s.is_empty());
    let signed_headers = signed_headers.filter(|s| !s.is_empty());
    let mut missing = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            missing.push_str(&format!("Authorization header requires '{name}' parameter. "));
        }
    }
    let components_missing = !missing.is_empty();
    if date_value.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let unsupported = algorithm != ALGORITHM;
    let (s3_code, s3_status, s3_message) = if unsupported {
        ("InvalidArgument", 400, "Unsupported Authorization Type".to_owned())
    } else if components_missing {
        ("AuthorizationHeaderMalformed", 400, S3_THREE_COMPONENTS.to_owned())
    } else {
        // Only the date is missing: S3 words that one differently.
        ("AccessDenied", 403, S3_NEEDS_DATE.to_owned())
    };
    if !missing.is_empty() {
        return Err(malformed(
            format!("{missing}Authorization={value}"),
            s3_code,
            s3_status,
            s3_message,
        ));
    }
    if unsupported {
        return Err(malformed(
            format!("Unsupported AWS 'algorithm': '{algorithm}'."),
            s3_code,
            s3_status,
            s3_message,
        ));
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some(date_value)) =
        (credential, signed_headers, signature, date_value)
    else {
        return Err(malformed(format!("Authorization={value}"), s3_code, s3_status, s3_message));
    };

    let (access_key_id, scope) = parse_credential(credential, false)?;
    let (amz_date, request_time_unix) = match req.header("x-amz-date") {
        Some(v) => parse_amz_date(v.trim()).map(|t| (v.trim().to_owned(), t)),
        None => parse_http_date(date_value).map(|t| (format_amz_date(t), t)),
    }
    .ok_or_else(|| {
        malformed(
            format!("Date must be in ISO-8601 'basic format'. Got '{date_value}'. See http://en.wikipedia.org/wiki/ISO_8601"),
            "AccessDenied",
            403,
            S3_NEEDS_DATE.to_owned(),
        )
    })?;
    check_credential_date(&scope, &amz_date, false)?;
    let signed_headers = split_signed_headers(signed_headers);
    let s3 = scope.service == "s3";
    check_signed_headers(req, &signed_headers, s3)?;
    let payload = match req.header("x-amz-content-sha256") {
        Some(v) => parse_payload_mode(v.trim())?,
        None if s3 => return Err(SigV4Error::MissingContentSha256),
        None => PayloadMode::FromBody,
    };
    Ok(ParsedAuth {
        access_key_id,
        scope,
        signed_headers,
        signature: signature.to_owned(),
        amz_date,
        request_time_unix,
        security_token: req.header("x-amz-security-token").map(|t| t.trim().to_owned()),
        presigned: false,
        expires_seconds: None,
        payload,
    })
}

fn parse_query_auth(req: &HttpRequest<'_>) -> Result<ParsedAuth, SigV4Error> {
    let mut algorithm = None;
    let mut credential = None;
    let mut date = None;
    let mut expires = None;
    let mut signed_headers = None;
    let mut signature = None;
    let mut token = None;
    for (name, value) in query_params(req.query) {
        let slot = match &*name {
            "X-Amz-Algorithm" => &mut algorithm,
            "X-Amz-Credential" => &mut credential,
            "X-Amz-Date" => &mut date,
            "X-Amz-Expires" => &mut expires,
            "X-Amz-SignedHeaders" => &mut signed_headers,
            "X-Amz-Signature" => &mut signature,
            "X-Amz-Security-Token" => &mut token,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.into_owned());
        }
    }
    let missing: Vec<&str> = [
        ("X-Amz-Algorithm", algorithm.is_some()),
        ("X-Amz-Credential", credential.is_some()),
        ("X-Amz-Signature", signature.is_some()),
        ("X-Amz-Date", date.is_some()),
        ("X-Amz-SignedHeaders", signed_headers.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| !present)
    .map(|(name, _)| name)
    .collect();
    let (Some(algorithm), Some(credential), Some(signature), Some(date), Some(signed_headers)) =
        (algorithm, credential, signature, date, signed_headers)
    else {
        let list = missing.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ");
        return Err(malformed(
            format!("AWS query-string parameters must include {list}. Re-examine the query-string parameters."),
            "AuthorizationQueryParametersError",
            400,
            S3_QUERY_PARAMS.to_owned(),
        ));
    };
    if algorithm != ALGORITHM {
        return Err(malformed(
            format!("Unsupported AWS 'algorithm': '{algorithm}'."),
            "AuthorizationQueryParametersError",
            400,
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"".to_owned(),
        ));
    }
    let (access_key_id, scope) = parse_credential(&credential, true)?;
    let s3 = scope.service == "s3";
    let expires_seconds = match expires {
        None if s3 => {
            return Err(malformed(
                "AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters.".to_owned(),
                "AuthorizationQueryParametersError",
                400,
                S3_QUERY_PARAMS.to_owned(),
            ))
        }
        None => None,
        Some(raw) => Some(parse_expires(&raw)?),
    };
    let request_time_unix = parse_amz_date(&date).ok_or_else(|| {
        malformed(
            format!("Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"),
            "AuthorizationQueryParametersError",
            400,
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".to_owned(),
        )
    })?;
    check_credential_date(&scope, &date, true)?;
    let signed_headers = split_signed_headers(&signed_headers);
    check_signed_headers(req, &signed_headers, s3)?;
    let payload = match req.header("x-amz-content-sha256") {
        Some(v) => parse_payload_mode(v.trim())?,
        None if s3 => PayloadMode::Unsigned,
        None => PayloadMode::FromBody,
    };
    Ok(ParsedAuth {
        access_key_id,
        scope,
        signed_headers,
        signature,
        amz_date: date,
        request_time_unix,
        security_token: token,
        presigned: true,
        expires_seconds,
        payload,
    })
}

fn parse_expires(raw: &str) -> Result<u64, SigV4Error> {
    let fail = |msg: &str| {
        malformed(msg.to_owned(), "AuthorizationQueryParametersError", 400, msg.to_owned())
    };
    let value: i64 = raw.trim().parse().map_err(|_| fail("X-Amz-Expires should be a number"))?;
    if value < 0 {
        return Err(fail("X-Amz-Expires must be non-negative"));
    }
    let value = u64::try_from(value).unwrap_or(0);
    if value == 0 {
        return Err(fail("X-Amz-Expires must be greater than 0"));
    }
    if value > MAX_EXPIRES_SECONDS {
        return Err(fail("X-Amz-Expires must be less than a week (in seconds) that is 604800"));
    }
    Ok(value)
}

/// Splits `AKID/YYYYMMDD/region/service/aws4_request`.
fn parse_credential(credential: &str, presigned: bool) -> Result<(String, Scope), SigV4Error> {
    let (s3_code, s3_prefix) = if presigned {
        ("AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter; ")
    } else {
        ("AuthorizationHeaderMalformed", "The authorization header is malformed; ")
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [akid, date, region, service, terminator] = parts.as_slice() else {
        return Err(malformed(
            format!("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"),
            s3_code,
            400,
            format!("{s3_prefix}{S3_BAD_CREDENTIAL}"),
        ));
    };
    if *terminator != "aws4_request" {
        return Err(malformed(
            format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."),
            s3_code,
            400,
            format!("{s3_prefix}{S3_BAD_CREDENTIAL}"),
        ));
    }
    if akid.is_empty()
        || region.is_empty()
        || service.is_empty()
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(malformed(
            format!("Credential should be scoped to a valid date, region and service, got '{credential}'"),
            s3_code,
            400,
            format!("{s3_prefix}{S3_BAD_CREDENTIAL}"),
        ));
    }
    Ok((
        (*akid).to_owned(),
        Scope {
            date: (*date).to_owned(),
            region: (*region).to_owned(),
            service: (*service).to_owned(),
        },
    ))
}

fn check_credential_date(scope: &Scope, amz_date: &str, presigned: bool) -> Result<(), SigV4Error> {
    let day = amz_date.get(..8).unwrap_or(amz_date);
    if scope.date == day {
        return Ok(());
    }
    let (s3_code, s3_message) = if presigned {
        (
            "AuthorizationQueryParametersError",
            format!("Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{day}\".", scope.date),
        )
    } else {
        (
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.".to_owned(),
        )
    };
    Err(malformed(
        format!("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.", scope.date),
        s3_code,
        400,
        s3_message,
    ))
}

fn split_signed_headers(raw: &str) -> Vec<String> {
    raw.split(';').filter(|h| !h.is_empty()).map(str::to_owned).collect()
}

/// `host` must always be signed; S3 also refuses any unsigned `x-amz-*` header.
fn check_signed_headers(
    req: &HttpRequest<'_>,
    signed: &[String],
    s3: bool,
) -> Result<(), SigV4Error> {
    let is_signed = |name: &str| signed.iter().any(|s| s.eq_ignore_ascii_case(name));
    if !is_signed("host") {
        return Err(SigV4Error::HeadersNotSigned(vec!["host".to_owned()]));
    }
    if s3 {
        let mut unsigned: Vec<String> = Vec::new();
        for (name, _) in req.headers {
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("x-amz-")
                && lower != "x-amz-content-sha256"
                && !is_signed(&lower)
                && !unsigned.contains(&lower)
            {
                unsigned.push(lower);
            }
        }
        if !unsigned.is_empty() {
            return Err(SigV4Error::HeadersNotSigned(unsigned));
        }
    }
    Ok(())
}

/// Reads `x-amz-content-sha256`.
fn parse_payload_mode(value: &str) -> Result<PayloadMode, SigV4Error> {
    Ok(match value {
        "UNSIGNED-PAYLOAD" => PayloadMode::Unsigned,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => PayloadMode::Streaming(StreamingMode::SignedChunks),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => {
            PayloadMode::Streaming(StreamingMode::SignedChunksWithTrailer)
        }
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => {
            PayloadMode::Streaming(StreamingMode::UnsignedWithTrailer)
        }
        v if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            PayloadMode::Hash(v.to_owned())
        }
        other => return Err(SigV4Error::InvalidContentSha256(other.to_owned())),
    })
}
