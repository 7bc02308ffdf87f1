//! rest-json bodies: JSON read and written by shape, keyed by `locationName` where the model sets
//! one, timestamps as epoch seconds unless `timestampFormat` says otherwise.

use serde_json::{Map, Value};

use super::{is_bound, shape_of, TimestampFormat};
use crate::error::Rejection;
use crate::model::{ServiceModel, Shape, ShapeRef, ShapeType};
use crate::value;

fn parse_json(body: &[u8]) -> Result<Value, Rejection> {
    serde_json::from_slice(body)
        .map_err(|e| Rejection::malformed(format!("the request body is not valid JSON: {e}")))
}

fn json_name<'a>(member: &'a str, r: &'a ShapeRef) -> &'a str {
    r.location_name.as_deref().unwrap_or(member)
}

/// Decodes a whole body that is the value of shape `s` (a structure `payload` member).
pub(crate) fn decode_document(
    svc: &ServiceModel,
    s: &Shape,
    body: &[u8],
) -> Result<Value, Rejection> {
    let v = parse_json(body)?;
    decode_value(svc, s, &v, "")
}

/// Decodes the unbound members of the input structure `shape` from a JSON object body.
pub(crate) fn decode_members(
    svc: &ServiceModel,
    shape: &Shape,
    body: &[u8],
) -> Result<Map<String, Value>, Rejection> {
    let v = parse_json(body)?;
    let Value::Object(obj) = v else {
        return Err(Rejection::malformed("the request body must be a JSON object"));
    };
    decode_structure(svc, shape, &obj, "", false)
}

fn decode_structure(
    svc: &ServiceModel,
    s: &Shape,
    obj: &Map<String, Value>,
    path: &str,
    check_bound_required: bool,
) -> Result<Map<String, Value>, Rejection> {
    let mut out = Map::new();
    for (member, r) in s.members.iter() {
        if is_bound(r) {
            continue;
        }
        let Some(raw) = obj.get(json_name(member, r)).filter(|v| !v.is_null()) else {
            continue;
        };
        let Some(ms) = shape_of(svc, r) else { continue };
        let child = join(path, member);
        out.insert(member.to_owned(), decode_value(svc, ms, raw, &child)?);
    }
    for required in &s.required {
        let bound = s.member_ref(required).is_some_and(is_bound);
        if (check_bound_required || !bound) && !out.contains_key(required) {
            return Err(Rejection::missing_required(join(path, required)));
        }
    }
    Ok(out)
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_owned()
    } else {
        format!("{path}.{member}")
    }
}

fn decode_value(svc: &ServiceModel, s: &Shape, v: &Value, path: &str) -> Result<Value, Rejection> {
    let bad =
        || Rejection::invalid_type(if path.is_empty() { "body" } else { path }, v.to_string());
    if s.document {
        return Ok(v.clone());
    }
    match (s.type_, v) {
        (ShapeType::Structure, Value::Object(obj)) => {
            Ok(Value::Object(decode_structure(svc, s, obj, path, true)?))
        }
        (ShapeType::List, Value::Array(items)) => {
            let Some(ms) = s.member.as_ref().and_then(|m| shape_of(svc, m)) else {
                return Err(bad());
            };
            items
                .iter()
                .enumerate()
                .filter(|(_, item)| !item.is_null())
                .map(|(i, item)| decode_value(svc, ms, item, &format!("{path}.{}", i + 1)))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        (ShapeType::Map, Value::Object(map)) => {
            let Some(vs) = s.value.as_ref().and_then(|m| shape_of(svc, m)) else {
                return Err(bad());
            };
            let mut out = Map::new();
            for (k, item) in map {
                if item.is_null() {
                    continue;
                }
                out.insert(k.clone(), decode_value(svc, vs, item, &join(path, k))?);
            }
            Ok(Value::Object(out))
        }
        (ShapeType::String | ShapeType::Character, Value::String(_)) => Ok(v.clone()),
        (
            ShapeType::Integer
            | ShapeType::Long
            | ShapeType::Short
            | ShapeType::Byte
            | ShapeType::Biginteger,
            Value::Number(n),
        ) if n.is_i64() || n.is_u64() => Ok(v.clone()),
        (ShapeType::Float | ShapeType::Double | ShapeType::Bigdecimal, Value::Number(_)) => {
            Ok(v.clone())
        }
        (ShapeType::Boolean, Value::Bool(_)) => Ok(v.clone()),
        (ShapeType::Timestamp, Value::Number(n)) => {
            n.as_f64().map(value::epoch_value).ok_or_else(bad)
        }
        (ShapeType::Timestamp, Value::String(t)) => {
            value::parse_timestamp_text(t).map(value::epoch_value).ok_or_else(bad)
        }
        (ShapeType::Blob, Value::String(b64)) if value::is_base64(b64) => Ok(v.clone()),
        _ => Err(bad()),
    }
}

/// Encodes an output value of shape `s` as JSON.
pub(crate) fn encode_value(svc: &ServiceModel, r: &ShapeRef, s: &Shape, v: &Value) -> Value {
    if s.document {
        return v.clone();
    }
    match (s.type_, v) {
        (ShapeType::Structure, Value::Object(obj)) => Value::Object(encode_members(svc, s, obj)),
        (ShapeType::List, Value::Array(items)) => {
            let (Some(mr), Some(ms)) =
                (s.member.as_ref(), s.member.as_ref().and_then(|m| shape_of(svc, m)))
            else {
                return Value::Array(Vec::new());
            };
            Value::Array(
                items
                    .iter()
                    .filter(|i| !i.is_null())
                    .map(|i| encode_value(svc, mr, ms, i))
                    .collect(),
            )
        }
        (ShapeType::Map, Value::Object(map)) => {
            let (Some(vr), Some(vs)) =
                (s.value.as_ref(), s.value.as_ref().and_then(|m| shape_of(svc, m)))
            else {
                return Value::Object(Map::new());
            };
            Value::Object(
                map.iter()
                    .filter(|(_, i)| !i.is_null())
                    .map(|(k, i)| (k.clone(), encode_value(svc, vr, vs, i)))
                    .collect(),
            )
        }
        (ShapeType::Timestamp, _) => {
            match TimestampFormat::of(r, s, TimestampFormat::UnixTimestamp) {
                TimestampFormat::UnixTimestamp => value::timestamp_seconds(v)
                    .and_then(value::epoch_number)
                    .map_or(Value::Null, Value::Number),
                other => other.format(v).map_or(Value::Null, Value::String),
            }
        }
        _ => v.clone(),
    }
}

/// Encodes the unbound members of structure `s` (model order, `null` skipped).
pub(crate) fn encode_members(
    svc: &ServiceModel,
    s: &Shape,
    obj: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (member, r) in s.members.iter() {
        if is_bound(r) {
            continue;
        }
        let Some(v) = obj.get(member).filter(|v| !v.is_null()) else {
            continue;
        };
        let Some(ms) = shape_of(svc, r) else { continue };
        let encoded = encode_value(svc, r, ms, v);
        if !encoded.is_null() {
            out.insert(json_name(member, r).to_owned(), encoded);
        }
    }
    out
}
