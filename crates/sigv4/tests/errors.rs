//! Each authentication failure gives AWS's code, status and message; signing round-trips through
//! verification.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use xacct_sigv4::{
    canonical_request, check_scope, parse, presign_url, sign_headers, string_to_sign, verify,
    verify_without_body, Credentials, ErrorFlavor, HttpRequest, ParsedAuth, PayloadMode,
    SigV4Error, SignPayload, SigningKey, SigningParams, EMPTY_SHA256,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const T0: i64 = 1_440_938_160; // 20150830T123600Z

fn req<'a>(
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [(&'a str, &'a str)],
) -> HttpRequest<'a> {
    HttpRequest { method, path, query, headers }
}

fn params<'a>(
    service: &'a str,
    payload: SignPayload<'a>,
    token: Option<&'a str>,
) -> SigningParams<'a> {
    SigningParams {
        credentials: Credentials {
            access_key_id: AKID,
            secret_access_key: SECRET,
            session_token: token,
        },
        region: "us-east-1",
        service,
        time_unix: T0,
        payload,
        content_sha256_header: service == "s3",
    }
}

/// Signs `base` headers for `service` and returns the full header list as owned pairs.
fn signed_headers(
    method: &str,
    path: &str,
    query: &str,
    base: &[(&str, &str)],
    service: &str,
    body: &[u8],
    token: Option<&str>,
) -> Vec<(String, String)> {
    let r = req(method, path, query, base);
    let out = sign_headers(&r, &params(service, SignPayload::Body(body), token));
    let mut all: Vec<(String, String)> =
        base.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    all.extend(out.to_pairs().into_iter().map(|(n, v)| (n.to_owned(), v)));
    all
}

fn refs(owned: &[(String, String)]) -> Vec<(&str, &str)> {
    owned.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

fn incomplete(err: &SigV4Error) -> String {
    assert_eq!(err.code(), "IncompleteSignature", "{err:?}");
    assert_eq!(err.http_status(), 400);
    err.message()
}

#[test]
fn no_authentication_is_missing_authentication_token() {
    let headers = [("Host", "iam.amazonaws.com")];
    let err = parse(&req("GET", "/", "Action=ListUsers", &headers)).unwrap_err();
    assert_eq!(err, SigV4Error::MissingAuthenticationToken);
    assert_eq!(err.code(), "MissingAuthenticationToken");
    assert_eq!(err.http_status(), 403);
    assert_eq!(err.message(), "Request is missing Authentication Token");
    assert_eq!(err.code_for(ErrorFlavor::Json), "MissingAuthenticationTokenException");
    assert_eq!(err.s3_code(), "AccessDenied");
}

#[test]
fn incomplete_signature_lists_missing_parts_like_aws() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request";
    let headers = [("Host", "h"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", value)];
    let err = parse(&req("GET", "/", "", &headers)).unwrap_err();
    assert_eq!(
        incomplete(&err),
        format!("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={value}")
    );
    assert_eq!(err.code_for(ErrorFlavor::S3), "AuthorizationHeaderMalformed");
    assert_eq!(
        err.message_for(ErrorFlavor::S3),
        "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."
    );

    // Not SigV4 at all, no date: every part is reported, as API Gateway and IAM do.
    let headers = [("Host", "h"), ("Authorization", "Basic ZWxhc3RpYzpwYXNz==")];
    let err = parse(&req("GET", "/", "", &headers)).unwrap_err();
    assert_eq!(
        incomplete(&err),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Basic ZWxhc3RpYzpwYXNz=="
    );
    assert_eq!(err.code_for(ErrorFlavor::S3), "InvalidArgument");
}

#[test]
fn incomplete_signature_missing_equal_sign() {
    let value = "AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=abc";
    let headers = [("Host", "h"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", value)];
    let err = parse(&req("GET", "/", "", &headers)).unwrap_err();
    assert_eq!(
        incomplete(&err),
        format!("'AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '{value}'.")
    );
}

#[test]
fn incomplete_signature_bad_credential_and_dates() {
    let cases = [
        ("Credential=AKIDEXAMPLE/20150830/us-east-1/aws4_request", "20150830T123600Z",
         "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/aws4_request'"),
        ("Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws5_request", "20150830T123600Z",
         "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."),
        ("Credential=AKIDEXAMPLE/20150831/us-east-1/iam/aws4_request", "20150830T123600Z",
         "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'."),
        ("Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request", "2015-08-30T12:36:00Z",
         "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"),
    ];
    for (credential, date, message) in cases {
        let value = format!(
            "AWS4-HMAC-SHA256 {credential}, SignedHeaders=host;x-amz-date, Signature={}",
            "0".repeat(64)
        );
        let headers = [("Host", "h"), ("X-Amz-Date", date), ("Authorization", value.as_str())];
        let err = parse(&req("GET", "/", "", &headers)).unwrap_err();
        assert_eq!(incomplete(&err), message);
    }
}

#[test]
fn unsupported_algorithm() {
    let value = format!("AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature={}", "0".repeat(64));
    let headers =
        [("Host", "h"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", value.as_str())];
    let err = parse(&req("GET", "/", "", &headers)).unwrap_err();
    assert_eq!(incomplete(&err), "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.");
}

#[test]
fn host_must_be_signed_and_s3_refuses_unsigned_amz_headers() {
    let value = format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=x-amz-date, Signature={}", "0".repeat(64));
    let headers =
        [("Host", "h"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", value.as_str())];
    let err = parse(&req("GET", "/", "", &headers)).unwrap_err();
    assert_eq!(
        incomplete(&err),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );

    let value = format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={}", "0".repeat(64));
    let headers = [
        ("Host", "h"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("X-Amz-Meta-Owner", "jane"),
        ("Authorization", value.as_str()),
    ];
    let err = parse(&req("PUT", "/b/k", "", &headers)).unwrap_err();
    assert_eq!(err, SigV4Error::HeadersNotSigned(vec!["x-amz-meta-owner".to_owned()]));
    assert_eq!(err.s3_code(), "AccessDenied");
    assert_eq!(err.http_status_for(ErrorFlavor::S3), 403);
    assert_eq!(
        err.message_for(ErrorFlavor::S3),
        "There were headers present in the request which were not signed"
    );
}

#[test]
fn s3_content_sha256_rules() {
    let value = format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature={}", "0".repeat(64));
    let headers =
        [("Host", "h"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", value.as_str())];
    let err = parse(&req("GET", "/b/k", "", &headers)).unwrap_err();
    assert_eq!(err, SigV4Error::MissingContentSha256);
    assert_eq!(err.s3_code(), "InvalidRequest");
    assert_eq!(
        err.message_for(ErrorFlavor::S3),
        "Missing required header for this request: x-amz-content-sha256"
    );

    let headers = [
        ("Host", "h"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("x-amz-content-sha256", "not-a-hash"),
        ("Authorization", value.as_str()),
    ];
    let err = parse(&req("GET", "/b/k", "", &headers)).unwrap_err();
    assert_eq!(err.s3_code(), "InvalidArgument");
    assert_eq!(err.http_status_for(ErrorFlavor::S3), 400);
}

fn signed_iam_request(now_offset: i64) -> Result<(), SigV4Error> {
    let base = [
        ("Host", "iam.amazonaws.com"),
        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
    ];
    let body = b"Action=ListUsers&Version=2010-05-08";
    let owned = signed_headers("POST", "/", "", &base, "iam", body, None);
    let headers = refs(&owned);
    let r = req("POST", "/", "", &headers);
    let auth = parse(&r)?;
    verify(&r, &auth, body, SECRET, T0 + now_offset)
}

#[test]
fn header_auth_clock_skew_window_is_fifteen_minutes_both_ways() {
    assert_eq!(signed_iam_request(0), Ok(()));
    assert_eq!(signed_iam_request(900), Ok(()));
    assert_eq!(signed_iam_request(-900), Ok(()));

    let past = signed_iam_request(1200).unwrap_err();
    assert_eq!(past.code(), "SignatureDoesNotMatch");
    assert_eq!(past.http_status(), 403);
    assert_eq!(past.message(), "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T125600Z - 15 min.)");
    assert_eq!(past.s3_code(), "RequestTimeTooSkewed");
    assert_eq!(
        past.message_for(ErrorFlavor::S3),
        "The difference between the request time and the current time is too large."
    );
    assert_eq!(past.code_for(ErrorFlavor::Json), "InvalidSignatureException");
    assert_eq!(past.http_status_for(ErrorFlavor::Json), 400);

    let future = signed_iam_request(-1200).unwrap_err();
    assert_eq!(future.message(), "Signature not yet current: 20150830T123600Z is still later than 20150830T123100Z (20150830T121600Z + 15 min.)");
}

#[test]
fn wrong_secret_is_signature_does_not_match() {
    let base = [("Host", "sts.amazonaws.com")];
    let owned = signed_headers(
        "GET",
        "/",
        "Action=GetCallerIdentity&Version=2011-06-15",
        &base,
        "sts",
        b"",
        Some("token/+="),
    );
    let headers = refs(&owned);
    let r = req("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15", &headers);
    let auth = parse(&r).unwrap();
    assert_eq!(auth.security_token.as_deref(), Some("token/+="));
    let err = verify(&r, &auth, b"", "another-secret", T0).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(err.http_status(), 403);
    assert_eq!(err.message(), "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
    assert_eq!(err.message_for(ErrorFlavor::S3), "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    // A changed query parameter breaks the signature too.
    let tampered = req("GET", "/", "Action=GetCallerIdentity&Version=2011-06-16", &headers);
    assert!(matches!(
        verify(&tampered, &auth, b"", SECRET, T0),
        Err(SigV4Error::SignatureDoesNotMatch(_))
    ));
    // A body that is not the signed one breaks it when the payload hash comes from the body.
    assert!(matches!(
        verify(&r, &auth, b"x", SECRET, T0),
        Err(SigV4Error::SignatureDoesNotMatch(_))
    ));
}

#[test]
fn caller_side_errors_have_aws_codes() {
    assert_eq!(SigV4Error::InvalidClientTokenId.code(), "InvalidClientTokenId");
    assert_eq!(SigV4Error::InvalidClientTokenId.http_status(), 403);
    assert_eq!(
        SigV4Error::InvalidClientTokenId.message(),
        "The security token included in the request is invalid."
    );
    assert_eq!(SigV4Error::InvalidClientTokenId.s3_code(), "InvalidAccessKeyId");
    assert_eq!(
        SigV4Error::InvalidClientTokenId.code_for(ErrorFlavor::Json),
        "UnrecognizedClientException"
    );
    assert_eq!(SigV4Error::ExpiredToken.code(), "ExpiredToken");
    assert_eq!(SigV4Error::ExpiredToken.http_status(), 403);
    assert_eq!(
        SigV4Error::ExpiredToken.message(),
        "The security token included in the request is expired"
    );
    assert_eq!(SigV4Error::ExpiredToken.http_status_for(ErrorFlavor::S3), 400);
    assert_eq!(SigV4Error::InvalidToken.s3_code(), "InvalidToken");
}

#[test]
fn s3_payload_hash_must_match_body() {
    let base = [("Host", "127.0.0.1:4566"), ("Content-Type", "text/plain")];
    let owned = signed_headers("PUT", "/bucket/key.txt", "", &base, "s3", b"hello", None);
    let headers = refs(&owned);
    let r = req("PUT", "/bucket/key.txt", "", &headers);
    let auth = parse(&r).unwrap();
    assert!(matches!(auth.payload, PayloadMode::Hash(_)));
    assert_eq!(verify(&r, &auth, b"hello", SECRET, T0), Ok(()));
    let err = verify(&r, &auth, b"hellO", SECRET, T0).unwrap_err();
    assert_eq!(err.code_for(ErrorFlavor::S3), "XAmzContentSHA256Mismatch");
    assert_eq!(err.http_status_for(ErrorFlavor::S3), 400);
    assert_eq!(
        err.message_for(ErrorFlavor::S3),
        "The provided 'x-amz-content-sha256' header does not match what was computed."
    );
    // The signature alone can be checked before the body arrives.
    let key = SigningKey::for_scope(SECRET, &auth.scope);
    assert_eq!(verify_without_body(&r, &auth, &key, T0), Ok(()));
}

#[test]
fn body_required_when_payload_hash_comes_from_body() {
    let base = [("Host", "iam.amazonaws.com")];
    let owned = signed_headers("POST", "/", "", &base, "iam", b"Action=ListUsers", None);
    let headers = refs(&owned);
    let r = req("POST", "/", "", &headers);
    let auth = parse(&r).unwrap();
    let key = SigningKey::for_scope(SECRET, &auth.scope);
    assert_eq!(verify_without_body(&r, &auth, &key, T0), Err(SigV4Error::BodyRequired));
}

fn presigned(service: &str, path: &str, query: &str, expires: u64, token: Option<&str>) -> String {
    let headers = [("host", "127.0.0.1:4566")];
    presign_url(
        &req("GET", path, query, &headers),
        &params(service, SignPayload::Body(b""), token),
        expires,
    )
}

fn verify_presigned(path: &str, query: &str, now: i64) -> Result<ParsedAuth, SigV4Error> {
    let headers = [("Host", "127.0.0.1:4566")];
    let r = req("GET", path, query, &headers);
    let auth = parse(&r)?;
    verify(&r, &auth, b"", SECRET, now)?;
    Ok(auth)
}

#[test]
fn presigned_round_trip_and_expiry() {
    let q = presigned("s3", "/bucket/my%20photo.jpg", "versionId=1", 3600, Some("tok/en"));
    let auth = verify_presigned("/bucket/my%20photo.jpg", &q, T0 + 3600).unwrap();
    assert!(auth.presigned);
    assert_eq!(auth.expires_seconds, Some(3600));
    assert_eq!(auth.payload, PayloadMode::Unsigned);
    assert_eq!(auth.security_token.as_deref(), Some("tok/en"));

    let err = verify_presigned("/bucket/my%20photo.jpg", &q, T0 + 3601).unwrap_err();
    assert_eq!(err.code_for(ErrorFlavor::S3), "AccessDenied");
    assert_eq!(err.http_status_for(ErrorFlavor::S3), 403);
    assert_eq!(err.message_for(ErrorFlavor::S3), "Request has expired");
    assert_eq!(err.code(), "RequestExpired");
    assert_eq!(err.http_status(), 400);
    match err {
        SigV4Error::RequestExpired { expires_at, server_time, expires_seconds } => {
            assert_eq!(expires_at, "2015-08-30T13:36:00Z");
            assert_eq!(server_time, "2015-08-30T13:36:01Z");
            assert_eq!(expires_seconds, 3600);
        }
        other => panic!("{other:?}"),
    }

    let err = verify_presigned("/bucket/my%20photo.jpg", &q, T0 - 901).unwrap_err();
    assert_eq!(err.message_for(ErrorFlavor::S3), "Request is not yet valid");

    // Tampering with the path breaks the signature.
    assert!(matches!(
        verify_presigned("/bucket/my%20photo.png", &q, T0),
        Err(SigV4Error::SignatureDoesNotMatch(_))
    ));

    // Non-S3 presigned (STS GetCallerIdentity, as EKS tokens use).
    let q = presigned("sts", "/", "Action=GetCallerIdentity&Version=2011-06-15", 60, None);
    let auth = verify_presigned("/", &q, T0 + 60).unwrap();
    assert_eq!(auth.payload, PayloadMode::FromBody);
    assert!(verify_presigned("/", &q, T0 + 61).is_err());
}

#[test]
fn presigned_parameter_errors() {
    let q = presigned("s3", "/b/k", "", 604_800, None);
    assert!(verify_presigned("/b/k", &q, T0).is_ok());
    for (bad, message) in [
        ("604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
        ("0", "X-Amz-Expires must be greater than 0"),
        ("-5", "X-Amz-Expires must be non-negative"),
        ("soon", "X-Amz-Expires should be a number"),
    ] {
        let q = q.replace("X-Amz-Expires=604800", &format!("X-Amz-Expires={bad}"));
        let err = verify_presigned("/b/k", &q, T0).unwrap_err();
        assert_eq!(err.code_for(ErrorFlavor::S3), "AuthorizationQueryParametersError", "{bad}");
        assert_eq!(err.message_for(ErrorFlavor::S3), message);
    }
    let without_signature: String =
        q.split('&').filter(|p| !p.starts_with("X-Amz-Signature=")).collect::<Vec<_>>().join("&");
    let without = without_signature.replace("X-Amz-Date=20150830T123600Z&", "");
    let err = verify_presigned("/b/k", &without, T0).unwrap_err();
    assert_eq!(err.message(), "AWS query-string parameters must include 'X-Amz-Signature', 'X-Amz-Date'. Re-examine the query-string parameters.");
    assert_eq!(err.message_for(ErrorFlavor::S3), "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
}

#[test]
fn both_mechanisms_are_refused() {
    let q = presigned("s3", "/b/k", "", 60, None);
    let headers = [("Host", "127.0.0.1:4566"), ("Authorization", "AWS4-HMAC-SHA256 Credential=x")];
    let err = parse(&req("GET", "/b/k", &q, &headers)).unwrap_err();
    assert_eq!(err, SigV4Error::MultipleAuthMechanisms);
    assert_eq!(err.s3_code(), "InvalidArgument");
}

#[test]
fn date_header_fallback_is_accepted() {
    let headers = [("Host", "iam.amazonaws.com"), ("Date", "Sun, 30 Aug 2015 12:36:00 GMT")];
    let signed = vec!["date".to_owned(), "host".to_owned()];
    // Build the signature by hand from the public pieces.
    let placeholder = format!("AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/iam/aws4_request, SignedHeaders=date;host, Signature={}", "0".repeat(64));
    let with_auth = [headers[0], headers[1], ("Authorization", placeholder.as_str())];
    let r = req("GET", "/", "Action=ListUsers&Version=2010-05-08", &with_auth);
    let auth = parse(&r).unwrap();
    assert_eq!(auth.amz_date, "20150830T123600Z");
    assert_eq!(auth.signed_headers, signed);
    let creq = canonical_request(&r, &auth, EMPTY_SHA256);
    let sts = string_to_sign(&auth.amz_date, &auth.scope, &creq);
    let sig = hex::encode(SigningKey::for_scope(SECRET, &auth.scope).sign(sts.as_bytes()));
    let real = placeholder.replace(&"0".repeat(64), &sig);
    let with_auth = [headers[0], headers[1], ("Authorization", real.as_str())];
    let r = req("GET", "/", "Action=ListUsers&Version=2010-05-08", &with_auth);
    let auth = parse(&r).unwrap();
    assert_eq!(verify(&r, &auth, b"", SECRET, T0), Ok(()));
}

#[test]
fn scope_must_match_endpoint() {
    let base = [("Host", "iam.amazonaws.com")];
    let owned = signed_headers("GET", "/", "", &base, "iam", b"", None);
    let headers = refs(&owned);
    let auth = parse(&req("GET", "/", "", &headers)).unwrap();
    assert_eq!(check_scope(&auth, "us-east-1", "iam"), Ok(()));
    let err = check_scope(&auth, "eu-west-1", "iam").unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(err.message(), "Credential should be scoped to a valid region, not 'us-east-1'. ");
    assert_eq!(err.s3_code(), "AuthorizationHeaderMalformed");
    assert!(check_scope(&auth, "us-east-1", "sts").is_err());
}

/// Amazon S3's documented examples (sig-v4-header-based-auth, sigv4-query-string-auth).
#[test]
fn s3_documentation_examples() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let now = 1_369_353_600; // 20130524T000000Z
    let auth_value = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    let headers = [
        ("Host", "examplebucket.s3.amazonaws.com"),
        ("Range", "bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("x-amz-date", "20130524T000000Z"),
        ("Authorization", auth_value),
    ];
    let r = req("GET", "/test.txt", "", &headers);
    let auth = parse(&r).unwrap();
    assert_eq!(verify(&r, &auth, b"", secret, now), Ok(()));

    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let headers = [("Host", "examplebucket.s3.amazonaws.com")];
    let r = req("GET", "/test.txt", query, &headers);
    let auth = parse(&r).unwrap();
    assert_eq!(verify(&r, &auth, b"", secret, now + 86_400), Ok(()));
    assert!(verify(&r, &auth, b"", secret, now + 86_401).is_err());
}
