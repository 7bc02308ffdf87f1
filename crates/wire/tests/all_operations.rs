//! Every operation of every query, ec2 and json service encodes a model-synthesized output into a
//! well-formed body, and decodes an empty request into either an input or a missing-member
//! rejection (never anything else). With `XACCT_SAMPLES_DIR=<dir>` the samples are also written
//! in the golden layout (`<dir>/<protocol>/<svc>-<Op>.case.json` + body) so that
//! `python3 tests/golden/check_botocore.py --derive-expect <dir>` checks each one against
//! botocore's own parser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;

use serde_json::{json, Map, Value};
use xacct_wire::{
    decode, encode_output, HttpRequest, Models, Protocol, RejectionKind, Route, ServiceModel,
    ShapeType,
};

fn models() -> &'static Models {
    static M: std::sync::OnceLock<Models> = std::sync::OnceLock::new();
    M.get_or_init(|| Models::load().unwrap())
}

/// A value for `shape_name` exercising every member, one element per list and map.
fn sample(svc: &ServiceModel, shape_name: &str, depth: usize, salt: &mut u32) -> Option<Value> {
    let shape = svc.shape(shape_name)?;
    *salt += 1;
    if shape.document {
        return Some(json!({"doc": [1, "two"]}));
    }
    Some(match shape.type_ {
        ShapeType::Structure => {
            if depth > 5 {
                return None;
            }
            let mut m = Map::new();
            for (name, r) in shape.members.iter() {
                if r.location.is_some() || r.streaming || r.eventpayload {
                    continue;
                }
                if let Some(v) = sample(svc, &r.shape, depth + 1, salt) {
                    m.insert(name.to_owned(), v);
                }
                if shape.union {
                    break;
                }
            }
            Value::Object(m)
        }
        ShapeType::List => {
            let member = shape.member.as_ref()?;
            Value::Array(sample(svc, &member.shape, depth + 1, salt).into_iter().collect())
        }
        ShapeType::Map => {
            let key_shape = svc.shape(&shape.key.as_ref()?.shape)?;
            let key = key_shape.enum_.first().cloned().unwrap_or_else(|| "k".into());
            let v = sample(svc, &shape.value.as_ref()?.shape, depth + 1, salt)?;
            json!({ key: v })
        }
        ShapeType::String => match shape.enum_.first() {
            Some(e) => Value::String(e.clone()),
            None => Value::String(format!("s{salt} <&>")),
        },
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => {
            json!(*salt)
        }
        ShapeType::Float | ShapeType::Double => json!(1.5),
        ShapeType::Boolean => json!(*salt % 2 == 0),
        ShapeType::Timestamp => json!(1_795_424_186 + i64::from(*salt)),
        ShapeType::Blob => json!("aGk="),
        _ => return None,
    })
}

#[test]
fn every_operation_encodes_and_decodes() {
    let out_dir = std::env::var_os("XACCT_SAMPLES_DIR").map(std::path::PathBuf::from);
    let mut count = 0;
    for info in models().infos() {
        let svc = Arc::clone(models().service(info.id).unwrap());
        let protocol = Protocol::from_model(&svc);
        let dir = match protocol {
            Protocol::Query => "query",
            Protocol::Ec2 => "ec2",
            Protocol::Json10 | Protocol::Json11 => "json",
            Protocol::RestJson | Protocol::RestXml => continue,
        };
        let mut names: Vec<&String> = svc.operations.keys().collect();
        names.sort();
        for name in names {
            let op = &svc.operations[name];
            let route = Route {
                service: Arc::clone(&svc),
                operation: name.clone(),
                protocol,
                region: "us-east-1".into(),
                labels: vec![],
            };
            let mut salt = 0;
            let output = op
                .output
                .as_ref()
                .and_then(|r| sample(&svc, &r.shape, 0, &mut salt))
                .unwrap_or_else(|| json!({}));
            let resp = encode_output(models(), &route, &output, "rid-1");
            assert_eq!(resp.status, 200, "{name}");
            if dir == "json" {
                let _: Value = serde_json::from_slice(&resp.body)
                    .unwrap_or_else(|e| panic!("{}.{name}: {e}", info.id));
            } else {
                let mut reader = quick_xml::Reader::from_reader(resp.body.as_slice());
                let mut buf = Vec::new();
                loop {
                    match reader.read_event_into(&mut buf) {
                        Ok(quick_xml::events::Event::Eof) => break,
                        Ok(_) => {}
                        Err(e) => panic!("{}.{name}: {e}", info.id),
                    }
                    buf.clear();
                }
            }
            if let Some(d) = &out_dir {
                let pdir = d.join(dir);
                std::fs::create_dir_all(&pdir).unwrap();
                let base = pdir.join(format!("{}-{name}", info.id));
                let case = json!({"service": info.id, "operation": name, "request_id": "rid-1", "output": output});
                std::fs::write(
                    base.with_extension("case.json"),
                    serde_json::to_vec_pretty(&case).unwrap(),
                )
                .unwrap();
                let ext = if dir == "json" { "json" } else { "xml" };
                std::fs::write(base.with_extension(ext), &resp.body).unwrap();
            }

            // An empty request decodes or names a missing required member.
            let (headers, body): (Vec<(&str, &str)>, String) = if dir == "json" {
                (vec![("Content-Type", "application/x-amz-json-1.1")], "{}".to_owned())
            } else {
                (
                    vec![("Content-Type", "application/x-www-form-urlencoded")],
                    format!("Action={name}&Version={}", svc.metadata.api_version),
                )
            };
            let req = HttpRequest {
                method: "POST",
                path: "/",
                query: "",
                headers: &headers,
                body: body.as_bytes(),
            };
            match decode(models(), &route, &req) {
                Ok(v) => assert!(v.is_object(), "{name}"),
                Err(r) => assert!(
                    matches!(
                        r.kind,
                        RejectionKind::MissingRequired { .. }
                            | RejectionKind::ConstraintViolation { .. }
                    ),
                    "{}.{name}: {r:?}",
                    info.id
                ),
            }
            count += 1;
        }
    }
    assert!(count > 1000, "only {count} operations");
}
