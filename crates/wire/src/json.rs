//! The awsJson 1.0 and 1.1 protocols (organizations, kms, cloudtrail, proton, ecs): JSON bodies
//! checked and typed per the input shape, outputs written per the output shape in model order,
//! and the `{"__type": .., "message": ..}` error envelope.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::model::{Operation, ServiceModel, Shape, ShapeRef, ShapeType};
use crate::value;
use crate::{AwsError, HttpRequest, HttpResponse, Protocol, Rejection, RejectionKind};

/// Largest JSON request body accepted, in bytes. AWS does not publish one number for these
/// services; their largest documented inputs (ECS task definitions, Proton templates, CloudTrail
/// event selectors) are far below it.
pub(crate) const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// Decodes a JSON request body into the operation's input Value.
pub(crate) fn decode(
    svc: &ServiceModel,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, Rejection> {
    if req.body.len() > JSON_BODY_LIMIT {
        return Err(Rejection::new(
            RejectionKind::BodyTooLarge { limit: JSON_BODY_LIMIT },
            "request too large",
        ));
    }
    match req.media_type().as_deref() {
        Some("application/x-amz-json-1.0" | "application/x-amz-json-1.1" | "application/json") => {}
        None if req.body.is_empty() => {}
        other => {
            return Err(Rejection::new(
                RejectionKind::UnsupportedContentType,
                format!("Unsupported Content-Type: {}", other.unwrap_or("(none)")),
            ))
        }
    }
    let body: Value = if req.body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(req.body)
            .map_err(|e| Rejection::malformed(format!("The request body is not valid JSON: {e}")))?
    };
    decode_value(svc, op.input.as_ref(), &body)
}

/// Checks and types a parsed JSON document against an input shape (shared with rest-json bodies).
pub(crate) fn decode_value(
    svc: &ServiceModel,
    input: Option<&ShapeRef>,
    body: &Value,
) -> Result<Value, Rejection> {
    let Some(input) = input else {
        return Ok(Value::Object(Map::new()));
    };
    let shape = svc
        .shape(&input.shape)
        .ok_or_else(|| Rejection::malformed("input shape missing from model"))?;
    let mut path = String::new();
    // A `null` document is an empty input: required members are still checked.
    let empty = Value::Object(Map::new());
    let body = if body.is_null() { &empty } else { body };
    decode_shape(svc, shape, body, &mut path)?.map_or_else(|| Ok(Value::Object(Map::new())), Ok)
}

fn found_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL_VALUE",
        Value::Bool(true) => "TRUE_VALUE",
        Value::Bool(false) => "FALSE_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::String(_) => "STRING_VALUE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

/// The rejection AWS's JSON front end gives for a value of the wrong type.
fn mismatch(path: &str, v: &Value, ty: ShapeType) -> Rejection {
    let message = match (v, ty) {
        (Value::Object(_), _) => "Start of structure or map found where not expected.".to_owned(),
        (Value::Array(_), _) => "Start of list found where not expected".to_owned(),
        (_, ShapeType::Structure | ShapeType::Map) => {
            format!("{} can not be converted to a structure or map", found_name(v))
        }
        (_, ShapeType::List) => format!("{} can not be converted to a list", found_name(v)),
        _ => {
            let target = match ty {
                ShapeType::Integer | ShapeType::Short | ShapeType::Byte => "an Integer",
                ShapeType::Long | ShapeType::Biginteger => "a Long",
                ShapeType::Float => "a Float",
                ShapeType::Double | ShapeType::Bigdecimal => "a Double",
                ShapeType::Boolean => "a Boolean",
                ShapeType::Timestamp => "a Timestamp",
                ShapeType::Blob => "a Blob",
                _ => "a String",
            };
            format!("{} can not be converted to {target}", found_name(v))
        }
    };
    let shown = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Rejection::new(RejectionKind::InvalidType { member: path.to_owned(), value: shown }, message)
}

fn push(path: &mut String, seg: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(seg);
    len
}

/// Decodes `v` per `shape`; `Ok(None)` for JSON `null` (absent, as AWS treats it).
fn decode_shape(
    svc: &ServiceModel,
    shape: &Shape,
    v: &Value,
    path: &mut String,
) -> Result<Option<Value>, Rejection> {
    if v.is_null() {
        return Ok(None);
    }
    if shape.document {
        return Ok(Some(v.clone()));
    }
    let ty = shape.type_;
    let out = match (ty, v) {
        (ShapeType::Structure, Value::Object(obj)) => {
            let mut out = Map::new();
            for (name, r) in shape.members.iter() {
                let wire = r.location_name.as_deref().unwrap_or(name);
                let Some(mv) = obj.get(wire) else {
                    continue;
                };
                let Some(ms) = svc.shape(&r.shape) else {
                    continue;
                };
                let mark = push(path, name);
                let decoded = decode_shape(svc, ms, mv, path)?;
                path.truncate(mark);
                if let Some(d) = decoded {
                    out.insert(name.to_owned(), d);
                }
            }
            if let Some(missing) = shape.required.iter().find(|r| !out.contains_key(*r)) {
                let mark = push(path, missing);
                let full = path.clone();
                path.truncate(mark);
                return Err(Rejection::missing_required(full));
            }
            Value::Object(out)
        }
        (ShapeType::List, Value::Array(items)) => {
            let Some(ms) = shape.member.as_ref().and_then(|m| svc.shape(&m.shape)) else {
                return Ok(None);
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let mark = push(path, &(i + 1).to_string());
                let decoded = decode_shape(svc, ms, item, path)?;
                path.truncate(mark);
                // A null inside a list is dropped, as AWS's deserializers do for sparse lists.
                if let Some(d) = decoded {
                    out.push(d);
                }
            }
            Value::Array(out)
        }
        (ShapeType::Map, Value::Object(obj)) => {
            let Some(vs) = shape.value.as_ref().and_then(|m| svc.shape(&m.shape)) else {
                return Ok(None);
            };
            let mut out = Map::new();
            for (k, ev) in obj {
                let mark = push(path, k);
                let decoded = decode_shape(svc, vs, ev, path)?;
                path.truncate(mark);
                if let Some(d) = decoded {
                    out.insert(k.clone(), d);
                }
            }
            Value::Object(out)
        }
        (ShapeType::String | ShapeType::Character, Value::String(_)) => v.clone(),
        (
            ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte,
            Value::Number(n),
        ) if n.is_i64() || n.is_u64() => v.clone(),
        (ShapeType::Float | ShapeType::Double, Value::Number(_)) => v.clone(),
        (ShapeType::Biginteger | ShapeType::Bigdecimal, Value::Number(n)) => {
            Value::String(n.to_string())
        }
        (ShapeType::Boolean, Value::Bool(_)) => v.clone(),
        (ShapeType::Timestamp, Value::Number(n)) => {
            value::epoch_value(n.as_f64().unwrap_or_default())
        }
        (ShapeType::Timestamp, Value::String(s)) => match value::parse_timestamp_text(s) {
            Some(secs) => value::epoch_value(secs),
            None => return Err(mismatch(path, v, ty)),
        },
        (ShapeType::Blob, Value::String(s)) if value::is_base64(s) => v.clone(),
        _ => return Err(mismatch(path, v, ty)),
    };
    Ok(Some(out))
}

/// Writes `output` as the operation's JSON response body, members in model order.
pub(crate) fn encode_output(
    svc: &ServiceModel,
    op: &Operation,
    protocol: Protocol,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let mut body = String::with_capacity(256);
    match op.output.as_ref().and_then(|r| svc.shape(&r.shape)) {
        Some(shape) => write_shape(&mut body, svc, shape, output),
        None => body.push_str("{}"),
    }
    if body.is_empty() {
        body.push_str("{}");
    }
    response(protocol, 200, request_id, body.into_bytes())
}

/// Appends the JSON encoding of `v` per `shape` (shared with rest-json bodies). Scalars given as
/// text or text given as a scalar are converted when unambiguous; a value that does not fit the
/// shape at all writes nothing, so callers skip the member.
pub(crate) fn write_shape(out: &mut String, svc: &ServiceModel, shape: &Shape, v: &Value) {
    if shape.document {
        out.push_str(&v.to_string());
        return;
    }
    match (shape.type_, v) {
        (ShapeType::Structure, Value::Object(obj)) => {
            out.push('{');
            let mut first = true;
            for (name, r) in shape.members.iter() {
                let Some(mv) = obj.get(name).filter(|x| !x.is_null()) else {
                    continue;
                };
                let Some(ms) = svc.shape(&r.shape) else {
                    continue;
                };
                let mark = out.len();
                if !first {
                    out.push(',');
                }
                write_string(out, r.location_name.as_deref().unwrap_or(name));
                out.push(':');
                let before = out.len();
                write_shape(out, svc, ms, mv);
                if out.len() == before {
                    out.truncate(mark);
                } else {
                    first = false;
                }
            }
            out.push('}');
        }
        (ShapeType::List, Value::Array(items)) => {
            let Some(ms) = shape.member.as_ref().and_then(|m| svc.shape(&m.shape)) else {
                return;
            };
            out.push('[');
            let mut first = true;
            for item in items.iter().filter(|x| !x.is_null()) {
                let mark = out.len();
                if !first {
                    out.push(',');
                }
                let before = out.len();
                write_shape(out, svc, ms, item);
                if out.len() == before {
                    out.truncate(mark);
                } else {
                    first = false;
                }
            }
            out.push(']');
        }
        (ShapeType::Map, Value::Object(obj)) => {
            let Some(vs) = shape.value.as_ref().and_then(|m| svc.shape(&m.shape)) else {
                return;
            };
            out.push('{');
            let mut first = true;
            for (k, ev) in obj.iter().filter(|(_, x)| !x.is_null()) {
                let mark = out.len();
                if !first {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                let before = out.len();
                write_shape(out, svc, vs, ev);
                if out.len() == before {
                    out.truncate(mark);
                } else {
                    first = false;
                }
            }
            out.push('}');
        }
        (ShapeType::Timestamp, _) => {
            if let Some(n) = value::timestamp_seconds(v).and_then(value::epoch_number) {
                let _ = write!(out, "{n}");
            }
        }
        (ShapeType::Boolean, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        (
            ShapeType::Integer
            | ShapeType::Long
            | ShapeType::Short
            | ShapeType::Byte
            | ShapeType::Float
            | ShapeType::Double
            | ShapeType::Biginteger
            | ShapeType::Bigdecimal,
            Value::Number(n),
        ) => {
            let _ = write!(out, "{n}");
        }
        (ShapeType::String | ShapeType::Character | ShapeType::Blob, Value::String(s)) => {
            write_string(out, s);
        }
        // Lenient where the intent is unambiguous, as the XML encoders are: a number or bool
        // for a string member, numeric text for a number member, "true"/"false" for a bool.
        (ShapeType::String | ShapeType::Character, Value::Number(_) | Value::Bool(_)) => {
            write_string(out, &v.to_string());
        }
        (
            ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte,
            Value::String(s),
        ) => {
            if let Some(n) = value::parse_integer(s) {
                let _ = write!(out, "{n}");
            }
        }
        (ShapeType::Float | ShapeType::Double, Value::String(s)) => {
            if let Some(n) = value::parse_float(s) {
                let _ = write!(out, "{n}");
            }
        }
        (ShapeType::Boolean, Value::String(s)) => {
            if let Some(b) = value::parse_bool(s) {
                let _ = write!(out, "{b}");
            }
        }
        _ => {}
    }
}

fn write_string(out: &mut String, s: &str) {
    // serde_json's escaping of a &str cannot fail.
    if let Ok(quoted) = serde_json::to_string(s) {
        out.push_str(&quoted);
    }
}

/// `{"__type": "Code", "message": ".."}` with the error's status.
pub(crate) fn encode_error(protocol: Protocol, err: &AwsError, request_id: &str) -> HttpResponse {
    let mut body = String::with_capacity(96 + err.message.len());
    body.push_str("{\"__type\":");
    write_string(&mut body, &err.code);
    body.push_str(",\"message\":");
    write_string(&mut body, &err.message);
    body.push('}');
    let mut resp = response(protocol, err.status, request_id, body.into_bytes());
    resp.headers.push(("x-amzn-ErrorType".to_owned(), err.code.clone()));
    resp
}

fn response(protocol: Protocol, status: u16, request_id: &str, body: Vec<u8>) -> HttpResponse {
    let ct = if protocol == Protocol::Json10 {
        "application/x-amz-json-1.0"
    } else {
        "application/x-amz-json-1.1"
    };
    HttpResponse {
        status,
        headers: vec![
            ("x-amzn-RequestId".to_owned(), request_id.to_owned()),
            ("Content-Type".to_owned(), ct.to_owned()),
        ],
        body,
    }
}
