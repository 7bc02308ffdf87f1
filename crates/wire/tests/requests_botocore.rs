//! Requests serialized by botocore's own serializers (fixtures made by `requests/gen_requests.py`)
//! classify to the right operation and decode to the Value the fixture expects.
//! `XACCT_REQUESTS_DIR=<dir>` runs the same checks on another fixture set (e.g. one request per
//! operation: `gen_requests.py --all-operations <dir>`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;

use serde_json::Value;
use xacct_wire::{classify, decode, HttpRequest, Models, Protocol, RejectionKind};

fn models() -> &'static Models {
    static M: std::sync::OnceLock<Models> = std::sync::OnceLock::new();
    M.get_or_init(|| Models::load().unwrap())
}

struct Fixture {
    name: String,
    json: Value,
}

fn fixtures() -> Vec<Fixture> {
    let dir = std::env::var_os("XACCT_REQUESTS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/requests"),
        std::path::PathBuf::from,
    );
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            out.push(Fixture {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                json,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(out.len() >= 12, "fixtures missing");
    out
}

/// Classifies and decodes one fixture; `false` when a synthesized value missed a pattern.
fn check(f: &Fixture, scope: Option<&str>) -> bool {
    let j = &f.json;
    let headers: Vec<(String, String)> = j["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_str().unwrap().to_owned()))
        .collect();
    let header_refs: Vec<(&str, &str)> =
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let req = HttpRequest {
        method: j["method"].as_str().unwrap(),
        path: j["path"].as_str().unwrap(),
        query: j["query"].as_str().unwrap(),
        headers: &header_refs,
        body: j["body"].as_str().unwrap().as_bytes(),
    };
    let route = classify(models(), &req, scope, Some("eu-west-1"))
        .unwrap_or_else(|e| panic!("{}: classify: {e:?}", f.name));
    assert_eq!(route.service_id(), j["service"].as_str().unwrap(), "{}", f.name);
    assert_eq!(route.operation, j["operation"].as_str().unwrap(), "{}", f.name);
    assert_eq!(route.region, "eu-west-1");
    let expected_protocol = match j["protocol"].as_str().unwrap() {
        "query" => Protocol::Query,
        "ec2" => Protocol::Ec2,
        "json" => route.protocol,
        other => panic!("unexpected protocol {other}"),
    };
    assert_eq!(route.protocol, expected_protocol, "{}", f.name);
    match decode(models(), &route, &req) {
        Ok(value) => {
            assert_eq!(value, j["expect"], "{}", f.name);
            true
        }
        // Synthesized fixtures (another XACCT_REQUESTS_DIR) may miss a model `pattern`; that
        // rejection is the validator working, and nothing else is tolerated.
        Err(xacct_wire::Rejection {
            kind: RejectionKind::ConstraintViolation { violations },
            ..
        }) if std::env::var_os("XACCT_REQUESTS_DIR").is_some()
            && violations.iter().all(|v| v.contains("regular expression pattern")) =>
        {
            false
        }
        Err(e) => panic!("{}: {e:?}", f.name),
    }
}

fn check_all(scoped: bool) {
    let all = fixtures();
    let mut decoded = 0;
    for f in &all {
        let svc = f.json["service"].as_str().unwrap().to_owned();
        if check(f, scoped.then_some(svc.as_str())) {
            decoded += 1;
        }
    }
    eprintln!("{decoded} of {} botocore requests decoded to their expected Value", all.len());
}

#[test]
fn botocore_requests_decode_with_the_credential_scope() {
    check_all(true);
}

#[test]
fn botocore_requests_decode_without_a_credential_scope() {
    check_all(false);
}

#[test]
fn json_protocol_version_follows_the_model() {
    for f in fixtures() {
        let ct = f.json["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "Content-Type")
            .map(|h| h[1].as_str().unwrap().to_owned())
            .unwrap();
        let svc = models().service(f.json["service"].as_str().unwrap()).unwrap();
        if let Some(v) = svc.metadata.json_version.as_deref() {
            if svc.metadata.protocol == "json" {
                assert_eq!(ct, format!("application/x-amz-json-{v}"), "{}", f.name);
            }
        }
    }
}
