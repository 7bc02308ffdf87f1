//! The REST protocols: rest-json (Image Builder) and rest-xml (S3), interpreted from the model.
//!
//! This module owns, for both protocols:
//! - **routing** ([`route`]): method + raw path + query (+ the headers an operation requires)
//!   against every operation's `requestUri`, most specific first; S3 virtual-hosted requests
//!   (`Host: bucket.s3.amazonaws.com`, `bucket.localhost`, …) are rewritten to path style first
//!   (rules in [`uri::virtual_host_bucket`]);
//! - **decoding** ([`decode`]): URI labels, query string, headers, prefix header maps and the body
//!   (JSON, XML or the raw `payload`) into one input Value keyed by member names;
//! - **encoding** ([`encode_output`], [`encode_error`], [`encode_error_with`]): status code,
//!   header-bound members and the body in the protocol's format.
//!
//! # Streaming payloads
//! A streaming blob payload (S3 `PutObject`/`UploadPart` `Body`, `GetObject` `Body`) never goes
//! through a Value: [`decode`] leaves the member out (the caller owns the request body bytes) and
//! [`encode_output`] writes an empty body unless the Value carries the member as base64. The
//! caller replaces [`HttpResponse::body`] with the object bytes for such operations; every header
//! (`Content-Length` excepted, which the server computes) is already set.
//!
//! # HEAD
//! Error responses carry a body; the HTTP layer must drop it for `HEAD` requests (hyper does).

mod rest_json;
mod rest_xml;
pub(crate) mod s3;
#[cfg(test)]
mod tests;
pub(crate) mod uri;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::{AwsError, Rejection};
use crate::model::{Location, Operation, ServiceModel, Shape, ShapeRef, ShapeType};
use crate::{value, HttpRequest, HttpResponse, Protocol};

use uri::UriTemplate;

/// The `timestampFormat` values botocore knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimestampFormat {
    /// `2009-10-12T17:50:30.000Z`
    Iso8601,
    /// `Mon, 12 Oct 2009 17:50:30 GMT`
    Rfc822,
    /// `1255369830`
    UnixTimestamp,
}

impl TimestampFormat {
    /// The member's `timestampFormat` (reference first, then shape), or `default`.
    pub(crate) fn of(r: &ShapeRef, s: &Shape, default: TimestampFormat) -> TimestampFormat {
        match r.timestamp_format.as_deref().or(s.timestamp_format.as_deref()) {
            Some("iso8601") => TimestampFormat::Iso8601,
            Some("rfc822") => TimestampFormat::Rfc822,
            Some("unixTimestamp") => TimestampFormat::UnixTimestamp,
            _ => default,
        }
    }

    /// Formats epoch seconds (or an RFC 3339 string) from an output Value.
    pub(crate) fn format(self, v: &Value) -> Option<String> {
        let secs = value::timestamp_seconds(v)?;
        match self {
            TimestampFormat::Iso8601 => value::format_iso8601(secs, true),
            TimestampFormat::Rfc822 => value::format_rfc822(secs),
            TimestampFormat::UnixTimestamp => value::epoch_number(secs).map(|n| n.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Model helpers (free functions: model.rs belongs to the core module).

/// The shape a reference points at.
pub(crate) fn shape_of<'m>(svc: &'m ServiceModel, r: &ShapeRef) -> Option<&'m Shape> {
    svc.shape(&r.shape)
}

/// The wire name of a member: the reference's `locationName`, then the shape's, then the member
/// name (botocore's `serialization['name']`).
pub(crate) fn wire_name<'a>(member: &'a str, r: &'a ShapeRef, s: &'a Shape) -> &'a str {
    r.location_name.as_deref().or(s.location_name.as_deref()).unwrap_or(member)
}

/// Whether a member is bound outside the body (uri, query, header(s), status code).
fn is_bound(r: &ShapeRef) -> bool {
    r.location.is_some()
}

/// Whether the payload member named by `shape.payload` is a streaming blob/string.
fn streaming_payload<'m>(svc: &'m ServiceModel, shape: &'m Shape) -> Option<&'m str> {
    let name = shape.payload.as_deref()?;
    let r = shape.member_ref(name)?;
    let s = shape_of(svc, r)?;
    (matches!(s.type_, ShapeType::Blob | ShapeType::String) && (r.streaming || s.streaming))
        .then_some(name)
}

// ---------------------------------------------------------------------------------------------
// Routing

/// One operation's routing facts, computed once per service.
struct RouteEntry {
    operation: String,
    method: String,
    template: UriTemplate,
    /// Query keys of required querystring members (the operation only matches with them).
    required_query: Vec<String>,
    /// Lowercased header names of required header members.
    required_headers: Vec<String>,
    /// Deprecated operations lose ties to their replacements (GetBucketLifecycle).
    deprecated: bool,
}

type RouteTable = Vec<RouteEntry>;

fn route_table(svc: &ServiceModel) -> Arc<RouteTable> {
    static TABLES: OnceLock<RwLock<HashMap<String, Arc<RouteTable>>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| RwLock::new(HashMap::new()));
    let key = format!("{}/{}", svc.id, svc.metadata.api_version);
    if let Ok(guard) = tables.read() {
        if let Some(t) = guard.get(&key) {
            return Arc::clone(t);
        }
    }
    let table = Arc::new(build_route_table(svc));
    if let Ok(mut guard) = tables.write() {
        guard.insert(key, Arc::clone(&table));
    }
    table
}

fn build_route_table(svc: &ServiceModel) -> RouteTable {
    let mut entries: Vec<RouteEntry> = svc
        .operations
        .iter()
        .map(|(name, op)| {
            let mut required_query = Vec::new();
            let mut required_headers = Vec::new();
            if let Some(input) = op.input.as_ref().and_then(|r| shape_of(svc, r)) {
                for (member, r) in input.members.iter() {
                    if !input.is_required(member) {
                        continue;
                    }
                    let wire = r.location_name.as_deref().unwrap_or(member);
                    match r.location {
                        Some(Location::Querystring) => required_query.push(wire.to_owned()),
                        Some(Location::Header) => {
                            required_headers.push(wire.to_ascii_lowercase());
                        }
                        _ => {}
                    }
                }
            }
            RouteEntry {
                operation: name.clone(),
                method: op.http.method.to_ascii_uppercase(),
                template: UriTemplate::parse(&op.http.request_uri),
                required_query,
                required_headers,
                deprecated: op.deprecated || s3::loses_ties(svc, name),
            }
        })
        .collect();
    // Deterministic tie-breaking regardless of HashMap order.
    entries.sort_by(|a, b| a.operation.cmp(&b.operation));
    entries
}

/// Decoded URI labels by label name.
type Labels = Vec<(String, String)>;

/// Specificity of a match; compared lexicographically, larger wins.
type Score = (usize, usize, bool, usize, bool);

/// Finds the operation a REST request addresses and its decoded URI labels.
///
/// The most specific match wins: more literal path segments, then more literal query keys
/// (`?tagging`), then more required query/header members present (S3 `UploadPart` needs
/// `partNumber` and `uploadId`; `CopyObject` needs `x-amz-copy-source`: an operation with all of
/// them present beats one missing some, then more present wins), then non-deprecated. A lone
/// candidate missing a required member still routes, so decoding names what is missing. For S3,
/// a virtual-hosted `Host` is first rewritten to path style, so `Bucket` is always a label.
pub(crate) fn route(svc: &ServiceModel, req: &HttpRequest<'_>) -> Option<(String, Labels)> {
    let query = uri::parse_query(req.query);
    let rewritten;
    let mut path = req.path;
    if s3::is_s3(svc) {
        if let Some(bucket) = req.header("host").and_then(uri::virtual_host_bucket) {
            rewritten = uri::to_path_style(&bucket, req.path);
            path = &rewritten;
        }
    }
    let method = req.method.to_ascii_uppercase();
    let table = route_table(svc);
    let mut best: Option<(Score, &RouteEntry, Labels)> = None;
    for entry in table.iter().filter(|e| e.method == method) {
        let required = entry.required_query.len() + entry.required_headers.len();
        let present =
            entry.required_query.iter().filter(|k| query.iter().any(|(qk, _)| qk == *k)).count()
                + entry.required_headers.iter().filter(|h| req.header(h).is_some()).count();
        let Some(labels) = entry.template.matches(path, &query) else {
            continue;
        };
        let score = (
            entry.template.literal_segments(),
            entry.template.literal_query_matched(&query),
            present == required,
            present,
            !entry.deprecated,
        );
        // Strictly greater: the first (alphabetical) entry keeps a tie.
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, entry, labels));
        }
    }
    best.map(|(_, e, labels)| (e.operation.clone(), labels))
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// How a body-level decoding problem is reported: S3 answers `MalformedXML` for any schema
/// violation in its XML bodies; rest-json names the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    Xml,
}

/// Decodes a REST request into the operation's input Value.
///
/// `labels` are the decoded URI labels [`route`] returned. Streaming payload members are left
/// out (see the module docs). Required members missing anywhere → a [`Rejection`].
pub(crate) fn decode(
    svc: &ServiceModel,
    op: &Operation,
    req: &HttpRequest<'_>,
    labels: &[(String, String)],
) -> Result<Value, Rejection> {
    let mut out = Map::new();
    let Some(input_ref) = op.input.as_ref() else {
        return Ok(Value::Object(out));
    };
    let Some(shape) = shape_of(svc, input_ref) else {
        return Ok(Value::Object(out));
    };
    let kind = body_kind(svc);
    let query = uri::parse_query(req.query);
    let template = UriTemplate::parse(&op.http.request_uri);
    // Query keys consumed by named members or the template, so a query map gets the rest.
    let mut consumed: Vec<&str> = template.query.iter().map(|(k, _)| k.as_str()).collect();
    let mut query_map: Option<&str> = None;
    let mut has_body_members = false;

    for (member, r) in shape.members.iter() {
        let Some(ms) = shape_of(svc, r) else { continue };
        let wire = r.location_name.as_deref().unwrap_or(member);
        match r.location {
            Some(Location::Uri) => {
                if let Some((_, v)) = labels.iter().find(|(n, _)| n == wire) {
                    out.insert(member.to_owned(), scalar_from_text(ms, r, v, member)?);
                }
            }
            Some(Location::Querystring) => {
                if ms.type_ == ShapeType::Map {
                    query_map = Some(member);
                    continue;
                }
                consumed.push(wire);
                let values: Vec<&str> =
                    query.iter().filter(|(k, _)| k == wire).map(|(_, v)| v.as_str()).collect();
                if values.is_empty() {
                    continue;
                }
                let v = if ms.type_ == ShapeType::List {
                    let (er, es) = list_member(svc, ms).ok_or_else(|| internal_model(member))?;
                    Value::Array(
                        values
                            .iter()
                            .map(|t| scalar_from_text(es, er, t, member))
                            .collect::<Result<_, _>>()?,
                    )
                } else {
                    let first = values.first().copied().unwrap_or_default();
                    scalar_from_text(ms, r, first, member)?
                };
                out.insert(member.to_owned(), v);
            }
            Some(Location::Header) => {
                let Some(text) = req.header(wire) else {
                    continue;
                };
                let v = if ms.type_ == ShapeType::List {
                    let (er, es) = list_member(svc, ms).ok_or_else(|| internal_model(member))?;
                    Value::Array(
                        split_header_list(text)
                            .into_iter()
                            .map(|t| scalar_from_text(es, er, t, member))
                            .collect::<Result<_, _>>()?,
                    )
                } else {
                    scalar_from_text(ms, r, text, member)?
                };
                out.insert(member.to_owned(), v);
            }
            Some(Location::Headers) => {
                let prefix = wire.to_ascii_lowercase();
                let mut map = Map::new();
                for (name, v) in req.headers {
                    let lower = name.to_ascii_lowercase();
                    if let Some(rest) = lower.strip_prefix(&prefix) {
                        map.insert(rest.to_owned(), Value::String((*v).to_owned()));
                    }
                }
                if !map.is_empty() {
                    out.insert(member.to_owned(), Value::Object(map));
                }
            }
            Some(Location::StatusCode) => {}
            None => has_body_members = true,
        }
    }

    if let Some(member) = query_map {
        let mut map = Map::new();
        for (k, v) in &query {
            if !consumed.contains(&k.as_str()) {
                map.insert(k.clone(), Value::String(v.clone()));
            }
        }
        if !map.is_empty() {
            out.insert(member.to_owned(), Value::Object(map));
        }
    }

    decode_body(svc, shape, req.body, kind, has_body_members, &mut out)?;
    s3::adjust_input(svc, shape, req, &mut out);

    let streaming = streaming_payload(svc, shape);
    for required in &shape.required {
        if out.contains_key(required) || streaming == Some(required.as_str()) {
            continue;
        }
        let bound = shape.member_ref(required).is_some_and(is_bound);
        let in_payload = shape.payload.as_deref() == Some(required.as_str());
        return Err(if kind == BodyKind::Xml && (in_payload || !bound) {
            Rejection::malformed(format!("missing required element `{required}`"))
        } else {
            Rejection::missing_required(required.clone())
        });
    }
    Ok(Value::Object(out))
}

fn body_kind(svc: &ServiceModel) -> BodyKind {
    if Protocol::from_model(svc) == Protocol::RestXml {
        BodyKind::Xml
    } else {
        BodyKind::Json
    }
}

fn decode_body(
    svc: &ServiceModel,
    shape: &Shape,
    body: &[u8],
    kind: BodyKind,
    has_body_members: bool,
    out: &mut Map<String, Value>,
) -> Result<(), Rejection> {
    if let Some(payload) = shape.payload.as_deref() {
        let Some(r) = shape.member_ref(payload) else {
            return Ok(());
        };
        let Some(ps) = shape_of(svc, r) else {
            return Ok(());
        };
        let blank = body.iter().all(u8::is_ascii_whitespace);
        let raw = matches!(ps.type_, ShapeType::String | ShapeType::Blob);
        if body.is_empty() || (blank && !raw) || streaming_payload(svc, shape).is_some() {
            return Ok(());
        }
        let v = match ps.type_ {
            ShapeType::String => Value::String(
                std::str::from_utf8(body)
                    .map_err(|_| Rejection::malformed("the body is not valid UTF-8"))?
                    .to_owned(),
            ),
            ShapeType::Blob => {
                Value::String(base64::engine::general_purpose::STANDARD.encode(body))
            }
            _ => match kind {
                BodyKind::Json => rest_json::decode_document(svc, ps, body)?,
                BodyKind::Xml => {
                    let root = rest_xml::parse(body)?;
                    let expected = wire_name(payload, r, ps);
                    if root.name != expected {
                        return Err(Rejection::malformed(format!(
                            "expected root element `{expected}`, found `{}`",
                            root.name
                        )));
                    }
                    rest_xml::decode_value(svc, r, ps, &root, payload)?
                }
            },
        };
        out.insert(payload.to_owned(), v);
        return Ok(());
    }
    if !has_body_members || body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let decoded = match kind {
        BodyKind::Json => rest_json::decode_members(svc, shape, body)?,
        BodyKind::Xml => {
            let root = rest_xml::parse(body)?;
            rest_xml::decode_structure_members(svc, shape, &root, "")?
        }
    };
    out.extend(decoded);
    Ok(())
}

fn list_member<'m>(svc: &'m ServiceModel, list: &'m Shape) -> Option<(&'m ShapeRef, &'m Shape)> {
    let r = list.member.as_ref()?;
    Some((r, shape_of(svc, r)?))
}

fn internal_model(member: &str) -> Rejection {
    Rejection::malformed(format!("member `{member}` has no usable shape in the model"))
}

/// Splits a comma-separated header list (RFC 7230), trimming each element.
fn split_header_list(text: &str) -> Vec<&str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// Converts text from a URI label, query parameter, header or XML element into a Value of the
/// member's scalar shape (timestamps in ISO 8601, HTTP-date or epoch form). `path` names the
/// member in rejections.
pub(crate) fn scalar_from_text(
    s: &Shape,
    r: &ShapeRef,
    text: &str,
    path: &str,
) -> Result<Value, Rejection> {
    let bad = || Rejection::invalid_type(path, text);
    match s.type_ {
        ShapeType::String | ShapeType::Character => {
            if r.jsonvalue {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|_| bad())?;
                serde_json::from_slice(&bytes).map_err(|_| bad())
            } else {
                Ok(Value::String(text.to_owned()))
            }
        }
        ShapeType::Integer
        | ShapeType::Long
        | ShapeType::Short
        | ShapeType::Byte
        | ShapeType::Biginteger => value::parse_integer(text).ok_or_else(bad),
        ShapeType::Float | ShapeType::Double | ShapeType::Bigdecimal => {
            value::parse_float(text).ok_or_else(bad)
        }
        ShapeType::Boolean => value::parse_bool(text).ok_or_else(bad),
        // Every format is accepted whatever the location's default: clients are not strict.
        ShapeType::Timestamp => {
            value::parse_timestamp_text(text).map(value::epoch_value).ok_or_else(bad)
        }
        ShapeType::Blob => {
            if value::is_base64(text.trim()) {
                Ok(Value::String(text.trim().to_owned()))
            } else {
                Err(bad())
            }
        }
        ShapeType::Structure | ShapeType::List | ShapeType::Map => Err(bad()),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Text of a scalar output Value in its shape's wire form: integers without a fraction even when
/// the Value holds `3.0`, the rest as [`value::scalar_text`].
pub(crate) fn typed_text(s: &Shape, v: &Value) -> Option<String> {
    let integral = matches!(
        s.type_,
        ShapeType::Integer
            | ShapeType::Long
            | ShapeType::Short
            | ShapeType::Byte
            | ShapeType::Biginteger
    );
    if let (true, Value::Number(n)) = (integral, v) {
        if n.as_i64().is_none() && n.as_u64().is_none() {
            let f = n.as_f64()?;
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                #[expect(clippy::cast_possible_truncation, reason = "whole and in i64 range")]
                return Some((f as i64).to_string());
            }
        }
    }
    value::scalar_text(v)
}

/// Text of a scalar output Value for a header (timestamps per `default_ts` or the model).
fn header_text(s: &Shape, r: &ShapeRef, v: &Value) -> Option<String> {
    match s.type_ {
        ShapeType::Timestamp => TimestampFormat::of(r, s, TimestampFormat::Rfc822).format(v),
        ShapeType::String if r.jsonvalue => {
            let json = serde_json::to_vec(v).ok()?;
            Some(base64::engine::general_purpose::STANDARD.encode(json))
        }
        _ => typed_text(s, v),
    }
}

/// Encodes a service's output: status (`responseCode`, or a `statusCode` member), header-bound
/// members, `headers` prefix maps, then the body (JSON/XML of the unbound members, or the
/// `payload` member). See the module docs for streaming payloads.
pub(crate) fn encode_output(
    svc: &ServiceModel,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let kind = body_kind(svc);
    let mut status = op.http.response_code.unwrap_or(200);
    let mut headers = request_id_headers(kind, request_id);
    let mut body = Vec::new();
    // A handler may answer with another success status than the operation's (S3 RestoreObject:
    // 202 when a restore starts, 200 when the object is already restored) in `__status`.
    if let Some(code) = output
        .get("__status")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (200..300).contains(c))
    {
        status = code;
    }
    let shape = op.output.as_ref().and_then(|r| shape_of(svc, r).map(|s| (r, s)));
    let Some((out_ref, shape)) = shape else {
        if let Some(code) = s3::status_override(svc, op, &serde_json::Map::new()) {
            status = code;
        }
        if kind == BodyKind::Json {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
            body = b"{}".to_vec();
        }
        return HttpResponse { status, headers, body };
    };
    let empty = Map::new();
    let mut obj = output.as_object().unwrap_or(&empty);
    let url_encoded;
    if let Some(encoded) = s3::apply_encoding_type(svc, op, obj) {
        url_encoded = encoded;
        obj = &url_encoded;
    }

    let mut has_body_members = false;
    for (member, r) in shape.members.iter() {
        let Some(ms) = shape_of(svc, r) else { continue };
        let wire = r.location_name.as_deref().unwrap_or(member);
        match r.location {
            None => has_body_members = true,
            Some(Location::Header) => {
                let Some(v) = obj.get(member).filter(|v| !v.is_null()) else {
                    continue;
                };
                let text = match (ms.type_, v) {
                    (ShapeType::List, Value::Array(items)) => {
                        let Some((er, es)) = list_member(svc, ms) else {
                            continue;
                        };
                        if items.is_empty() {
                            continue;
                        }
                        let parts: Vec<String> =
                            items.iter().filter_map(|i| header_text(es, er, i)).collect();
                        parts.join(",")
                    }
                    _ => match header_text(ms, r, v) {
                        Some(t) => t,
                        None => continue,
                    },
                };
                headers.push((wire.to_owned(), text));
            }
            Some(Location::Headers) => {
                if let Some(Value::Object(map)) = obj.get(member) {
                    for (k, v) in map {
                        if let Some(t) = value::scalar_text(v) {
                            headers.push((format!("{wire}{k}"), t));
                        }
                    }
                }
            }
            Some(Location::StatusCode) => {
                if let Some(code) =
                    obj.get(member).and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok())
                {
                    status = code;
                }
            }
            Some(Location::Uri | Location::Querystring) => {}
        }
    }

    if let Some(payload) = shape.payload.as_deref() {
        let pr = shape.member_ref(payload);
        let ps = pr.and_then(|r| shape_of(svc, r));
        if let (Some(pr), Some(ps), Some(v)) = (pr, ps, obj.get(payload).filter(|v| !v.is_null())) {
            match ps.type_ {
                ShapeType::Structure if ps.eventstream => {
                    body = encode_event_stream(svc, ps, v);
                    headers.push((
                        "Content-Type".to_owned(),
                        "application/vnd.amazon.eventstream".to_owned(),
                    ));
                }
                ShapeType::String => {
                    if let Some(t) = value::scalar_text(v) {
                        body = t.into_bytes();
                    }
                }
                ShapeType::Blob => {
                    if let Some(bytes) = v
                        .as_str()
                        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                    {
                        body = bytes;
                    }
                }
                _ => match kind {
                    BodyKind::Json => {
                        body = rest_json::encode_value(svc, pr, ps, v).to_string().into_bytes();
                        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
                    }
                    BodyKind::Xml => {
                        let name = wire_name(payload, pr, ps);
                        body = rest_xml::encode_document(svc, name, pr, ps, v, s3::namespace(svc));
                        headers.push(("Content-Type".to_owned(), "application/xml".to_owned()));
                    }
                },
            }
        }
    } else if has_body_members {
        match kind {
            BodyKind::Json => {
                body = Value::Object(rest_json::encode_members(svc, shape, obj))
                    .to_string()
                    .into_bytes();
                headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
            }
            BodyKind::Xml => {
                let root = s3::output_root_name(svc, op, out_ref, shape);
                body = rest_xml::encode_output_root(svc, &root, shape, obj, s3::namespace(svc));
                headers.push(("Content-Type".to_owned(), "application/xml".to_owned()));
            }
        }
    } else if kind == BodyKind::Json {
        body = b"{}".to_vec();
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    if let Some(code) = s3::status_override(svc, op, obj) {
        status = code;
    }
    if let Some(ct) = s3::bodiless_content_type(svc, op) {
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            headers.push(("Content-Type".to_owned(), ct.to_owned()));
        }
    }
    HttpResponse { status, headers, body }
}

/// An event stream payload: `v` is a list of events, each an object with one member, the
/// event's name in the stream shape `stream` (`{"Records": {"Payload": "<base64>"}}`). The
/// event's `eventpayload` member is the message payload (a blob as is, a structure as an XML
/// document named after its shape); `eventheader` members become string headers (S3's events
/// have none). An event that is not in the stream shape, or cannot be framed, is left out.
fn encode_event_stream(svc: &ServiceModel, stream: &Shape, v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    for event in v.as_array().map(Vec::as_slice).unwrap_or_default() {
        let Some((name, fields)) = event.as_object().and_then(|m| m.iter().next()) else {
            continue;
        };
        let Some(es) = stream.member_ref(name).and_then(|r| shape_of(svc, r)) else { continue };
        let mut headers: Vec<(String, String)> = vec![
            (":message-type".to_owned(), "event".to_owned()),
            (":event-type".to_owned(), name.clone()),
        ];
        let mut payload = Vec::new();
        for (member, r) in es.members.iter() {
            let (Some(ms), Some(mv)) = (shape_of(svc, r), fields.get(member)) else { continue };
            if r.eventpayload {
                match ms.type_ {
                    ShapeType::Blob => {
                        payload = mv
                            .as_str()
                            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                            .unwrap_or_default();
                        headers.push((
                            ":content-type".to_owned(),
                            "application/octet-stream".to_owned(),
                        ));
                    }
                    ShapeType::String => {
                        payload = value::scalar_text(mv).unwrap_or_default().into_bytes();
                        headers.push((":content-type".to_owned(), "text/plain".to_owned()));
                    }
                    _ => {
                        let root = r.shape.as_str();
                        payload = rest_xml::encode_document(svc, root, r, ms, mv, None);
                        headers.push((":content-type".to_owned(), "text/xml".to_owned()));
                    }
                }
            } else if r.eventheader {
                if let Some(t) = value::scalar_text(mv) {
                    headers.push(((*member).to_owned(), t));
                }
            }
        }
        let refs: Vec<(&str, &str)> =
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Ok(m) = crate::eventstream::encode_message(&refs, &payload) {
            out.extend_from_slice(&m);
        }
    }
    out
}

fn request_id_headers(kind: BodyKind, request_id: &str) -> Vec<(String, String)> {
    match kind {
        BodyKind::Json => vec![("x-amzn-RequestId".to_owned(), request_id.to_owned())],
        BodyKind::Xml => vec![
            ("x-amz-request-id".to_owned(), request_id.to_owned()),
            ("x-amz-id-2".to_owned(), s3::host_id(request_id)),
        ],
    }
}

/// Encodes a service error in the REST envelope of `protocol` (see [`encode_error_with`]).
pub(crate) fn encode_error(protocol: Protocol, err: &AwsError, request_id: &str) -> HttpResponse {
    encode_error_with(protocol, err, request_id, &[])
}

/// Encodes a service error with extra envelope fields.
///
/// rest-xml (S3): `<Error><Code/><Message/>{extra…}<RequestId/><HostId/></Error>` with
/// `x-amz-request-id`/`x-amz-id-2`, e.g. extra `[("BucketName", "b")]` for `NoSuchBucket`.
/// rest-json: `{"message": …, extra…}` with `x-amzn-ErrorType: <Code>` and `x-amzn-RequestId`
/// (botocore's RestJSONParser takes the code from `x-amzn-ErrorType`).
pub(crate) fn encode_error_with(
    protocol: Protocol,
    err: &AwsError,
    request_id: &str,
    extra: &[(&str, &str)],
) -> HttpResponse {
    if protocol == Protocol::RestXml {
        return s3::encode_error(err, request_id, extra);
    }
    let mut body = Map::new();
    body.insert("message".to_owned(), Value::String(err.message.clone()));
    for (k, v) in extra {
        body.insert((*k).to_owned(), Value::String((*v).to_owned()));
    }
    HttpResponse {
        status: err.status,
        headers: vec![
            ("x-amzn-RequestId".to_owned(), request_id.to_owned()),
            ("x-amzn-ErrorType".to_owned(), err.code.clone()),
            ("Content-Type".to_owned(), "application/json".to_owned()),
        ],
        body: Value::Object(body).to_string().into_bytes(),
    }
}
