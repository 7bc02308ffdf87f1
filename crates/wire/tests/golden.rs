//! Golden encoder output: every `golden/{query,ec2,json}/<case>.case.json` is encoded and compared
//! byte for byte with `<case>.xml` / `<case>.json`. `XACCT_BLESS=1` rewrites the golden files;
//! `golden/check_botocore.py` then proves botocore's own parsers read them as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use xacct_wire::{
    classify, classify_protocol_hint, decode, encode_output, encode_rejection, encode_route_error,
    encode_route_rejection, AwsError, HttpRequest, HttpResponse, Models, Protocol, Route,
};

fn models() -> &'static Models {
    static M: std::sync::OnceLock<Models> = std::sync::OnceLock::new();
    M.get_or_init(|| Models::load().unwrap())
}

fn cases(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".case.json"))
        .collect();
    out.sort();
    out
}

/// Runs a raw request through classify + decode and renders the rejection it must produce.
fn reject(case: &Value) -> HttpResponse {
    let r = &case["request"];
    let headers: Vec<(String, String)> = r["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h[0].as_str().unwrap().into(), h[1].as_str().unwrap().into()))
        .collect();
    let hrefs: Vec<(&str, &str)> = headers.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let req = HttpRequest {
        method: r["method"].as_str().unwrap(),
        path: r["path"].as_str().unwrap(),
        query: r["query"].as_str().unwrap(),
        headers: &hrefs,
        body: r["body"].as_str().unwrap().as_bytes(),
    };
    let scope = case["scope"].as_str();
    let id = case["request_id"].as_str().unwrap();
    match classify(models(), &req, scope, None) {
        Err(rej) => encode_rejection(classify_protocol_hint(models(), &req, scope), &rej, id),
        Ok(route) => match decode(models(), &route, &req) {
            Err(rej) => encode_route_rejection(&route, &rej, id),
            Ok(v) => panic!("expected a rejection, decoded {v}"),
        },
    }
}

fn render(case: &Value) -> HttpResponse {
    if case.get("request").is_some() {
        return reject(case);
    }
    let svc = Arc::clone(models().service(case["service"].as_str().unwrap()).unwrap());
    let route = Route {
        protocol: Protocol::from_model(&svc),
        service: svc,
        operation: case["operation"].as_str().unwrap().to_owned(),
        region: "us-east-1".into(),
        labels: vec![],
    };
    let id = case["request_id"].as_str().unwrap();
    if let Some(e) = case.get("error") {
        let err = AwsError {
            code: e["code"].as_str().unwrap().into(),
            message: e["message"].as_str().unwrap().into(),
            status: u16::try_from(e["status"].as_u64().unwrap()).unwrap(),
            sender_fault: e["sender_fault"].as_bool().unwrap(),
        };
        return encode_route_error(&route, &err, id);
    }
    encode_output(models(), &route, &case["output"], id)
}

fn run(dir: &str, ext: &str, content_type: &str) {
    let bless = std::env::var_os("XACCT_BLESS").is_some();
    let all = cases(dir);
    assert!(all.len() >= 5, "golden cases missing in {dir}");
    for path in all {
        let case: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let resp = render(&case);
        let name = path.to_string_lossy().replace(".case.json", "");
        let expected_status =
            case["status"].as_u64().or_else(|| case["error"]["status"].as_u64()).unwrap_or(200);
        assert_eq!(u64::from(resp.status), expected_status, "{name}");
        assert!(resp.header("content-type").unwrap().starts_with(content_type), "{name}");
        assert_eq!(resp.header("x-amzn-requestid"), case["request_id"].as_str(), "{name}");
        let golden = PathBuf::from(format!("{name}.{ext}"));
        if bless {
            std::fs::write(&golden, &resp.body).unwrap();
        }
        let want = std::fs::read(&golden)
            .unwrap_or_else(|_| panic!("{} missing: run with XACCT_BLESS=1", golden.display()));
        assert_eq!(String::from_utf8_lossy(&resp.body), String::from_utf8_lossy(&want), "{name}");
        if let Some(code) = case["expect_code"].as_str() {
            assert!(String::from_utf8_lossy(&resp.body).contains(code), "{name}: {code}");
        }
    }
}

#[test]
fn query_golden() {
    run("query", "xml", "text/xml");
}

#[test]
fn ec2_golden() {
    run("ec2", "xml", "text/xml");
}

#[test]
fn json_golden() {
    run("json", "json", "application/x-amz-json-1.");
}
