//! Property tests: arbitrary header, query, path and body bytes never make parsing, verifying or
//! chunk decoding panic, and whatever we sign verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use xacct_sigv4::chunked::ChunkedDecoder;
use xacct_sigv4::{
    parse, presign_url, sign_headers, verify, Credentials, HttpRequest, Scope, SignPayload,
    SigningKey, SigningParams, StreamingMode,
};

const T0: i64 = 1_440_938_160;

/// Authorization-ish strings: fragments of the real grammar glued with noise.
fn auth_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("AWS4-HMAC-SHA256 ".to_owned()),
        Just("Credential=".to_owned()),
        Just("AKID/20150830/us-east-1/s3/aws4_request".to_owned()),
        Just("AKID/20150830/us-east-1/iam/aws4_request".to_owned()),
        Just(", SignedHeaders=".to_owned()),
        Just("host;x-amz-date".to_owned()),
        Just(", Signature=".to_owned()),
        Just("0".repeat(64)),
        Just("=".to_owned()),
        Just(",".to_owned()),
        Just("/".to_owned()),
        ".{0,12}",
    ];
    prop::collection::vec(piece, 0..10).prop_map(|v| v.concat())
}

fn query_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("X-Amz-Algorithm=AWS4-HMAC-SHA256".to_owned()),
        Just("X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs3%2Faws4_request".to_owned()),
        Just("X-Amz-Date=20150830T123600Z".to_owned()),
        Just("X-Amz-Expires=".to_owned()),
        Just("X-Amz-SignedHeaders=host".to_owned()),
        Just("X-Amz-Signature=".to_owned()),
        Just("&".to_owned()),
        Just("%".to_owned()),
        Just("%E1%88".to_owned()),
        ".{0,10}",
    ];
    prop::collection::vec(piece, 0..10).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_and_verify_never_panic(
        auth in auth_value(),
        query in query_value(),
        path in ".{0,30}",
        date in prop_oneof![Just("20150830T123600Z".to_owned()), ".{0,20}"],
        sha in prop_oneof![Just("UNSIGNED-PAYLOAD".to_owned()), Just("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_owned()), ".{0,70}"],
        extra_name in "[ -~]{0,12}",
        extra_value in ".{0,20}",
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in -10_000_000_000i64..10_000_000_000i64,
        use_auth in any::<bool>(),
    ) {
        let mut headers: Vec<(&str, &str)> = vec![("Host", "h"), ("X-Amz-Date", &date), ("x-amz-content-sha256", &sha), (&extra_name, &extra_value)];
        if use_auth {
            headers.push(("Authorization", &auth));
        }
        let req = HttpRequest { method: "GET", path: &path, query: &query, headers: &headers };
        if let Ok(parsed) = parse(&req) {
            let result = verify(&req, &parsed, &body, "secret", now);
            if let Err(e) = result {
                let _ = (e.code(), e.http_status(), e.message(), e.s3_code());
            }
        }
    }

    #[test]
    fn chunk_decoder_never_panics(body in prop::collection::vec(any::<u8>(), 0..512), piece in 1usize..64, mode in 0u8..3) {
        let mode = [StreamingMode::SignedChunks, StreamingMode::SignedChunksWithTrailer, StreamingMode::UnsignedWithTrailer][usize::from(mode)];
        let scope = Scope { date: "20150830".into(), region: "us-east-1".into(), service: "s3".into() };
        let mut d = ChunkedDecoder::with_seed(mode, SigningKey::for_scope("s", &scope), "20150830T123600Z", &scope, "00");
        let mut out = Vec::new();
        for p in body.chunks(piece) {
            if d.feed(p, &mut out).is_err() {
                break;
            }
        }
        let _ = d.finish();
    }

    #[test]
    fn whatever_we_sign_verifies(
        path in "/[ -~]{0,40}",
        query in "[ -~]{0,40}",
        body in prop::collection::vec(any::<u8>(), 0..100),
        s3 in any::<bool>(),
        value in "[ -~]{0,20}",
        presigned in any::<bool>(),
    ) {
        // '#' ends the URL and '?' starts the query on the wire; keep the parts well-formed.
        let path = path.replace(['?', '#'], "_");
        let query = query.replace('#', "_");
        let service = if s3 { "s3" } else { "iam" };
        let params = SigningParams {
            credentials: Credentials { access_key_id: "AKID", secret_access_key: "secret", session_token: Some("tok") },
            region: "eu-west-1",
            service,
            time_unix: T0,
            payload: SignPayload::Body(&body),
            content_sha256_header: s3,
        };
        let base = [("Host", "127.0.0.1:4566"), ("X-Amz-Meta-Thing", value.as_str())];
        if presigned {
            let base = [("Host", "127.0.0.1:4566")];
            let q = presign_url(&HttpRequest { method: "GET", path: &path, query: &query, headers: &base }, &params, 300);
            let req = HttpRequest { method: "GET", path: &path, query: &q, headers: &base };
            let auth = parse(&req).unwrap();
            prop_assert_eq!(verify(&req, &auth, &body, "secret", T0 + 300), Ok(()));
        } else {
            let out = sign_headers(&HttpRequest { method: "PUT", path: &path, query: &query, headers: &base }, &params);
            let pairs = out.to_pairs();
            let mut headers: Vec<(&str, &str)> = base.to_vec();
            headers.extend(pairs.iter().map(|(n, v)| (*n, v.as_str())));
            let req = HttpRequest { method: "PUT", path: &path, query: &query, headers: &headers };
            let auth = parse(&req);
            // A query that itself carries X-Amz-Signature/Credential/Algorithm is two mechanisms.
            if let Ok(auth) = auth {
                prop_assert_eq!(verify(&req, &auth, &body, "secret", T0), Ok(()));
            }
        }
    }
}
