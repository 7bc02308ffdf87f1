//! Cost of the wire layer for the hottest request (sts GetCallerIdentity): classify + decode +
//! encode must stay within a few microseconds. Run with
//! `cargo test --release -p xacct-wire --test perf -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Instant;

use serde_json::json;
use xacct_wire::{classify, decode, encode_output, HttpRequest, Models};

#[test]
#[ignore = "timing; run in release"]
fn get_caller_identity_round_trip_cost() {
    let models = Models::load().unwrap();
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("Host", "127.0.0.1:4566"),
        ("X-Amz-Date", "20261123T085626Z"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0"),
    ];
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: b"Action=GetCallerIdentity&Version=2011-06-15",
    };
    let out = json!({"UserId": "AIDAEXAMPLE", "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/Jane"});
    let n = 200_000u32;
    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..n {
        let route = classify(&models, &req, Some("sts"), Some("us-east-1")).unwrap();
        let input = decode(&models, &route, &req).unwrap();
        assert!(input.is_object());
        let resp = encode_output(&models, &route, &out, "8f2a7c1e-3b4d-4e5f-9a6b-7c8d9e0f1a2b");
        bytes += resp.body.len();
    }
    let per = start.elapsed() / n;
    eprintln!("GetCallerIdentity classify+decode+encode: {per:?} per request ({bytes} bytes)");
    assert!(per.as_micros() < 50, "too slow: {per:?}");
}
