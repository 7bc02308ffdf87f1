//! Cost of the wire layer for the hottest request (sts GetCallerIdentity): classify + decode +
//! encode. `cargo bench -p xacct-wire --bench roundtrip`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use xacct_wire::{classify, decode, encode_output, HttpRequest, Models};

fn get_caller_identity(c: &mut Criterion) {
    let models = Models::load().unwrap();
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("Host", "127.0.0.1:4566"),
        ("X-Amz-Date", "20261123T085626Z"),
    ];
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: b"Action=GetCallerIdentity&Version=2011-06-15",
    };
    let out = json!({"UserId": "AIDAEXAMPLE", "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/Jane"});
    c.bench_function("get_caller_identity_classify_decode_encode", |b| {
        b.iter(|| {
            let route = classify(&models, &req, Some("sts"), Some("us-east-1")).unwrap();
            let input = decode(&models, &route, &req).unwrap();
            let resp = encode_output(&models, &route, &out, "8f2a7c1e-3b4d-4e5f-9a6b-7c8d9e0f1a2b");
            (input, resp)
        });
    });
}

criterion_group!(benches, get_caller_identity);
criterion_main!(benches);
