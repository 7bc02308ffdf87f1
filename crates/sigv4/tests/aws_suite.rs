//! AWS's published SigV4 test suite (tests/aws-sig-v4-test-suite/, see README.md there): for each
//! case our canonical request, string to sign and Authorization header must equal AWS's byte for
//! byte, `verify` must accept the signed request, and must reject it with one signature byte
//! changed or with another secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use xacct_sigv4::{
    canonical_request, parse, sha256_hex, sign_headers, string_to_sign, verify, Credentials,
    HttpRequest, SigV4Error, SignPayload, SigningKey, SigningParams,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const NOW: i64 = 1_440_938_160; // 20150830T123600Z

/// A request read from a `.req`/`.sreq` file.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    /// Request line `METHOD URI HTTP/1.1` (the URI may hold spaces), header lines `Name:value`
    /// where an indented line continues the previous header as another value, a blank line,
    /// then the body.
    fn read(text: &str) -> Self {
        let (head, body) = match text.split_once("\n\n") {
            Some((h, b)) => (h, b.as_bytes().to_vec()),
            None => (text, Vec::new()),
        };
        let mut lines = head.lines();
        let request_line = lines.next().unwrap();
        let method = request_line.split(' ').next().unwrap().to_owned();
        let uri = request_line[method.len() + 1..request_line.rfind(' ').unwrap()].to_owned();
        let (path, query) = uri.split_once('?').unwrap_or((&uri, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let name = headers.last().unwrap().0.clone();
                headers.push((name, line.to_owned()));
            } else {
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        Self { method, path: path.to_owned(), query: query.to_owned(), headers, body }
    }

    fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }
}

fn cases() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                if path.join(format!("{name}.req")).exists() {
                    out.push(path.clone());
                }
                walk(&path, out);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws-sig-v4-test-suite");
    let mut out = Vec::new();
    walk(&root, &mut out);
    out.sort();
    out
}

fn read(dir: &Path, ext: &str) -> String {
    let name = dir.file_name().unwrap().to_str().unwrap();
    std::fs::read_to_string(dir.join(format!("{name}.{ext}"))).unwrap()
}

#[test]
fn suite_has_every_published_case() {
    let names: Vec<String> =
        cases().iter().map(|p| p.file_name().unwrap().to_str().unwrap().to_owned()).collect();
    for expected in [
        "get-vanilla",
        "get-vanilla-query",
        "get-vanilla-query-order-key-case",
        "get-vanilla-query-unreserved",
        "get-vanilla-utf8-query",
        "get-utf8",
        "get-unreserved",
        "get-space",
        "get-slash",
        "get-slashes",
        "get-slash-dot-slash",
        "get-slash-pointless-dot",
        "get-relative",
        "get-relative-relative",
        "get-header-key-duplicate",
        "get-header-value-order",
        "get-header-value-trim",
        "get-header-value-multiline",
        "post-vanilla",
        "post-vanilla-query",
        "post-x-www-form-urlencoded",
        "post-header-key-case",
        "post-header-key-sort",
        "post-header-value-case",
        "post-sts-header-before",
        "post-sts-header-after",
        "get-vanilla-empty-query-key",
        "post-vanilla-empty-query-value",
        "get-vanilla-query-order-key",
        "get-vanilla-query-order-value",
    ] {
        assert!(names.iter().any(|n| n == expected), "missing case {expected}");
    }
    assert_eq!(names.len(), 30);
}

#[test]
fn canonical_request_string_to_sign_and_authorization_match_aws() {
    let key = SigningKey::derive(SECRET, "20150830", "us-east-1", "service");
    for dir in cases() {
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let signed = RawRequest::read(&read(&dir, "sreq"));
        let headers = signed.header_refs();
        let req = HttpRequest {
            method: &signed.method,
            path: &signed.path,
            query: &signed.query,
            headers: &headers,
        };
        let auth = parse(&req).unwrap_or_else(|e| panic!("{name}: parse failed: {e:?}"));
        assert_eq!(auth.access_key_id, "AKIDEXAMPLE", "{name}");

        let creq = canonical_request(&req, &auth, &sha256_hex(&signed.body));
        assert_eq!(creq, read(&dir, "creq"), "{name}: canonical request");
        let sts = string_to_sign(&auth.amz_date, &auth.scope, &creq);
        assert_eq!(sts, read(&dir, "sts"), "{name}: string to sign");
        let authz = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}, SignedHeaders={}, Signature={}",
            auth.scope.to_scope_string(),
            auth.signed_headers.join(";"),
            hex::encode(key.sign(sts.as_bytes()))
        );
        assert_eq!(authz, read(&dir, "authz"), "{name}: authorization");

        verify(&req, &auth, &signed.body, SECRET, NOW)
            .unwrap_or_else(|e| panic!("{name}: verify failed: {e:?}"));

        let mut tampered = auth.clone();
        let last = tampered.signature.pop().unwrap();
        tampered.signature.push(if last == '0' { '1' } else { '0' });
        assert!(
            matches!(
                verify(&req, &tampered, &signed.body, SECRET, NOW),
                Err(SigV4Error::SignatureDoesNotMatch(_))
            ),
            "{name}: tampered signature accepted"
        );
        let err =
            verify(&req, &auth, &signed.body, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", NOW)
                .unwrap_err();
        match err {
            SigV4Error::SignatureDoesNotMatch(detail) => {
                assert_eq!(detail.canonical_request, creq, "{name}");
                assert_eq!(detail.string_to_sign, sts, "{name}");
            }
            other => panic!("{name}: wrong secret gave {other:?}"),
        }
    }
}

#[test]
fn sign_headers_reproduces_aws_authorization() {
    for dir in cases() {
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let authz = read(&dir, "authz");
        let signed_list = authz.split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap();
        let unsigned = RawRequest::read(&read(&dir, "req"));
        // Sign the headers AWS's signer signed; x-amz-date and the token are added by sign_headers.
        let headers: Vec<(&str, &str)> = unsigned
            .header_refs()
            .into_iter()
            .filter(|(n, _)| {
                let lower = n.to_ascii_lowercase();
                signed_list.split(';').any(|s| s == lower)
                    && lower != "x-amz-date"
                    && lower != "x-amz-security-token"
            })
            .collect();
        let token = unsigned
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"))
            .map(|(_, v)| v.as_str())
            .filter(|_| signed_list.contains("x-amz-security-token"));
        let req = HttpRequest {
            method: &unsigned.method,
            path: &unsigned.path,
            query: &unsigned.query,
            headers: &headers,
        };
        let out = sign_headers(
            &req,
            &SigningParams {
                credentials: Credentials {
                    access_key_id: "AKIDEXAMPLE",
                    secret_access_key: SECRET,
                    session_token: token,
                },
                region: "us-east-1",
                service: "service",
                time_unix: NOW,
                payload: SignPayload::Body(&unsigned.body),
                content_sha256_header: false,
            },
        );
        assert_eq!(out.authorization, authz, "{name}");
        assert_eq!(out.x_amz_date, "20150830T123600Z");
    }
}
