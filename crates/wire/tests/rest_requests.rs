//! Requests exactly as botocore's own clients serialize them (captured by
//! `tests/requests_rest/make_requests.py`), routed and decoded by the REST protocols: each must
//! reach the operation botocore called and decode to the parameters botocore was given.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use base64::Engine as _;
use serde_json::Value;
use xacct_wire::{classify, decode, HttpRequest, Models};

fn fixtures() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/requests_rest");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn botocore_requests_route_and_decode_to_their_parameters() {
    let models = Models::lazy();
    let cases = fixtures();
    assert!(cases.len() >= 40, "fixtures missing: run make_requests.py");
    let mut failures = Vec::new();
    for (name, fx) in &cases {
        let r = &fx["request"];
        let mut headers: Vec<(String, String)> = r["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_str().unwrap().to_owned()))
            .collect();
        headers.push(("Host".to_owned(), r["host"].as_str().unwrap().to_owned()));
        let header_refs: Vec<(&str, &str)> =
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = base64::engine::general_purpose::STANDARD
            .decode(r["body_base64"].as_str().unwrap())
            .unwrap();
        let req = HttpRequest {
            method: r["method"].as_str().unwrap(),
            path: r["path"].as_str().unwrap(),
            query: r["query"].as_str().unwrap(),
            headers: &header_refs,
            body: &body,
        };
        let service = fx["service"].as_str().unwrap();
        let route = match classify(&models, &req, Some(service), Some("us-east-1")) {
            Ok(route) => route,
            Err(e) => {
                failures.push(format!("{name}: not routed: {e:?}"));
                continue;
            }
        };
        if route.operation != fx["operation"].as_str().unwrap() {
            failures.push(format!(
                "{name}: routed to {} instead of {}",
                route.operation, fx["operation"]
            ));
            continue;
        }
        let decoded = match decode(&models, &route, &req) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: not decoded: {e:?}"));
                continue;
            }
        };
        for (key, want) in fx["expect"].as_object().unwrap() {
            if decoded.get(key) != Some(want) {
                failures.push(format!(
                    "{name}: member {key}: decoded {:?}, botocore sent {want}",
                    decoded.get(key)
                ));
            }
        }
        if let Some(streaming) = fx["streaming_member"].as_str() {
            assert!(
                decoded.get(streaming).is_none(),
                "{name}: streaming payload must stay out of the Value"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
