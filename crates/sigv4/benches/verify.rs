//! parse + verify of a small signed request (an STS form POST with a session token, and an S3
//! GET), with the signing key derived per request and cached.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use xacct_sigv4::{
    parse, sign_headers, verify, verify_with_key, Credentials, HttpRequest, SignPayload,
    SigningKey, SigningParams,
};

const T0: i64 = 1_716_000_000;

fn signed(
    service: &str,
    method: &str,
    path: &str,
    query: &str,
    base: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    let params = SigningParams {
        credentials: Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            session_token: Some("FwoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLETOKEN+/="),
        },
        region: "us-east-1",
        service,
        time_unix: T0,
        payload: SignPayload::Body(body),
        content_sha256_header: service == "s3",
    };
    let out = sign_headers(&HttpRequest { method, path, query, headers: base }, &params);
    let mut all: Vec<(String, String)> =
        base.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    all.extend(out.to_pairs().into_iter().map(|(n, v)| (n.to_owned(), v)));
    all
}

fn bench(c: &mut Criterion) {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let body = b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fdemo&RoleSessionName=s1&Version=2011-06-15";
    let base = [
        ("Host", "127.0.0.1:4566"),
        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("User-Agent", "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64"),
    ];
    let owned = signed("sts", "POST", "/", "", &base, body);
    let headers: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let req = HttpRequest { method: "POST", path: "/", query: "", headers: &headers };
    let auth = parse(&req).unwrap();
    let key = SigningKey::for_scope(secret, &auth.scope);

    c.bench_function("sts_post/parse+verify (derive key)", |b| {
        b.iter(|| {
            let auth = parse(black_box(&req)).unwrap();
            verify(&req, &auth, body, secret, T0).unwrap();
        });
    });
    c.bench_function("sts_post/parse+verify_with_key (cached key)", |b| {
        b.iter(|| {
            let auth = parse(black_box(&req)).unwrap();
            verify_with_key(&req, &auth, body, &key, T0).unwrap();
        });
    });
    c.bench_function("sts_post/parse only", |b| b.iter(|| parse(black_box(&req)).unwrap()));

    let base = [("Host", "127.0.0.1:4566"), ("Range", "bytes=0-99")];
    let owned = signed(
        "s3",
        "GET",
        "/my-bucket/photos/2024/cat%20picture.jpg",
        "versionId=abc",
        &base,
        b"",
    );
    let headers: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let req = HttpRequest {
        method: "GET",
        path: "/my-bucket/photos/2024/cat%20picture.jpg",
        query: "versionId=abc",
        headers: &headers,
    };
    c.bench_function("s3_get/parse+verify (derive key)", |b| {
        b.iter(|| {
            let auth = parse(black_box(&req)).unwrap();
            verify(&req, &auth, b"", secret, T0).unwrap();
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
