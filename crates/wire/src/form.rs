//! What the query and ec2 protocols share: form-encoded request parameters decoded per the input
//! shape, and XML response bodies written per the output shape. The two protocols differ only in
//! how members and list elements are named, captured by [`Flavor`].

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::model::{ServiceModel, Shape, ShapeRef, ShapeType};
use crate::value;
use crate::xml::XmlWriter;
use crate::{HttpRequest, Rejection, RejectionKind};

/// Largest form body (and query string) accepted by the query and ec2 front ends, in bytes.
/// AWS does not publish one number; IAM's largest inputs (policy documents, 131072 characters,
/// percent-encoded up to 3x) fit comfortably.
pub(crate) const FORM_BODY_LIMIT: usize = 1024 * 1024;

/// Query (awsQuery) or ec2 naming rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `Name.member.N`, `locationName` as is.
    Query,
    /// `Name.N`, `queryName` or capitalised `locationName`.
    Ec2,
}

/// The parameters of a form, as a tree split on `.`: `Tags.member.1.Key=a` is
/// `Tags → member → 1 → Key = "a"`. Children are hashed so a form with many parameters stays
/// linear to build.
#[derive(Debug, Default)]
pub(crate) struct Node {
    value: Option<String>,
    children: HashMap<String, Node>,
}

/// Deepest parameter name kept (`A.B.1.C` is 4): no model nests deeper, and the bound keeps a
/// hostile `a.a.a...` key from building a tree too deep to drop.
const MAX_KEY_DEPTH: usize = 32;

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.get(name)
    }

    fn insert(&mut self, key: &str, value: String) {
        if key.split('.').nth(MAX_KEY_DEPTH).is_some() {
            return;
        }
        let mut node = self;
        for seg in key.split('.') {
            node = node.children.entry(seg.to_owned()).or_default();
        }
        // A repeated key keeps its first value, as AWS's front end does.
        if node.value.is_none() {
            node.value = Some(value);
        }
    }

    /// Children whose names are positive integers, in numeric order (list elements).
    fn indexed(&self) -> Vec<&Node> {
        let mut items: Vec<(u32, &Node)> = self
            .children
            .iter()
            .filter_map(|(n, c)| n.parse::<u32>().ok().filter(|i| *i > 0).map(|i| (i, c)))
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, c)| c).collect()
    }
}

/// The parameters of a query/ec2 request (query string plus form body), with `Action` and
/// `Version` pulled out.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pub(crate) action: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) tree: Node,
}

/// Whether `raw` is well-formed `application/x-www-form-urlencoded` text: every `%` starts a
/// two-hex-digit escape and the decoded bytes are UTF-8.
fn check_form(raw: &[u8]) -> Result<(), Rejection> {
    let text = std::str::from_utf8(raw)
        .map_err(|_| Rejection::malformed("the request is not valid UTF-8"))?;
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let ok = matches!(
                (bytes.get(i + 1), bytes.get(i + 2)),
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit()
            );
            if !ok {
                return Err(Rejection::malformed(format!(
                    "invalid percent-encoding at offset {i}"
                )));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    for (k, v) in form_urlencoded::parse(raw) {
        if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') {
            return Err(Rejection::malformed("a parameter does not decode to valid UTF-8"));
        }
    }
    Ok(())
}

/// Whether the request carries its parameters in a form body.
pub(crate) fn has_form_body(req: &HttpRequest<'_>) -> bool {
    !req.body.is_empty()
        && req.media_type().is_some_and(|m| m == "application/x-www-form-urlencoded")
}

/// Parses the query string and (when form-encoded) the body into [`Params`].
pub(crate) fn parse_params(req: &HttpRequest<'_>) -> Result<Params, Rejection> {
    if req.body.len() > FORM_BODY_LIMIT || req.query.len() > FORM_BODY_LIMIT {
        return Err(Rejection::new(
            RejectionKind::BodyTooLarge { limit: FORM_BODY_LIMIT },
            "request too large",
        ));
    }
    if !req.body.is_empty() && !has_form_body(req) {
        return Err(Rejection::new(
            RejectionKind::UnsupportedContentType,
            format!(
                "unsupported content type `{}`",
                req.header("content-type").unwrap_or_default()
            ),
        ));
    }
    let mut params = Params::default();
    for raw in [req.query.as_bytes(), req.body] {
        if raw.is_empty() {
            continue;
        }
        check_form(raw)?;
        for (k, v) in form_urlencoded::parse(raw) {
            match k.as_ref() {
                "Action" => {
                    params.action.get_or_insert_with(|| v.into_owned());
                }
                "Version" => {
                    params.version.get_or_insert_with(|| v.into_owned());
                }
                key => params.tree.insert(key, v.into_owned()),
            }
        }
    }
    Ok(params)
}

/// Finds only `Action` and `Version` (for classification) without building the tree.
pub(crate) fn peek_action(req: &HttpRequest<'_>) -> (Option<String>, Option<String>) {
    let mut action = None;
    let mut version = None;
    let body: &[u8] = if has_form_body(req) { req.body } else { &[] };
    'sources: for raw in [req.query.as_bytes(), body] {
        for (k, v) in form_urlencoded::parse(raw) {
            match k.as_ref() {
                "Action" if action.is_none() => action = Some(v.into_owned()),
                "Version" if version.is_none() => version = Some(v.into_owned()),
                _ => {}
            }
            // Clients put both first: the rest of the body need not be decoded.
            if action.is_some() && version.is_some() {
                break 'sources;
            }
        }
    }
    (action, version)
}

/// Decodes the operation's input from `params` per the input shape.
pub(crate) fn decode_input(
    svc: &ServiceModel,
    input: Option<&ShapeRef>,
    params: &Params,
    flavor: Flavor,
) -> Result<Value, Rejection> {
    let Some(input) = input else {
        return Ok(Value::Object(Map::new()));
    };
    let shape = svc
        .shape(&input.shape)
        .ok_or_else(|| Rejection::malformed("input shape missing from model"))?;
    let mut path = String::new();
    decode_structure(svc, shape, &params.tree, flavor, &mut path)
}

/// The wire name of a structure member in a request.
fn request_name<'a>(name: &'a str, r: &'a ShapeRef, flavor: Flavor) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    match flavor {
        Flavor::Query => Cow::Borrowed(r.location_name.as_deref().unwrap_or(name)),
        Flavor::Ec2 => {
            if let Some(q) = r.query_name.as_deref() {
                Cow::Borrowed(q)
            } else if let Some(l) = r.location_name.as_deref() {
                let mut c = l.chars();
                match c.next() {
                    Some(first) => Cow::Owned(first.to_uppercase().chain(c).collect()),
                    None => Cow::Borrowed(name),
                }
            } else {
                Cow::Borrowed(name)
            }
        }
    }
}

fn push_path(path: &mut String, seg: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(seg);
    len
}

fn decode_structure(
    svc: &ServiceModel,
    shape: &Shape,
    node: &Node,
    flavor: Flavor,
    path: &mut String,
) -> Result<Value, Rejection> {
    let mut out = Map::new();
    for (name, r) in shape.members.iter() {
        let wire = request_name(name, r, flavor);
        let Some(child) = node.child(&wire) else {
            continue;
        };
        let mark = push_path(path, &wire);
        let v = decode_ref(svc, r, child, flavor, path)?;
        path.truncate(mark);
        if let Some(v) = v {
            out.insert(name.to_owned(), v);
        }
    }
    for req in &shape.required {
        if !out.contains_key(req) {
            let wire = shape
                .member_ref(req)
                .map_or_else(|| req.clone(), |r| request_name(req, r, flavor).into_owned());
            let mark = push_path(path, &wire);
            let full = path.clone();
            path.truncate(mark);
            return Err(Rejection::missing_required(full));
        }
    }
    Ok(Value::Object(out))
}

fn decode_ref(
    svc: &ServiceModel,
    r: &ShapeRef,
    node: &Node,
    flavor: Flavor,
    path: &mut String,
) -> Result<Option<Value>, Rejection> {
    let shape = svc
        .shape(&r.shape)
        .ok_or_else(|| Rejection::malformed("member shape missing from model"))?;
    match shape.type_ {
        ShapeType::Structure => {
            if node.children.is_empty() {
                // `Name=` with no sub-keys is how an empty structure travels.
                return Ok(node.value.as_ref().map(|_| Value::Object(Map::new())));
            }
            decode_structure(svc, shape, node, flavor, path).map(Some)
        }
        ShapeType::List => {
            let Some(member) = shape.member.as_ref() else {
                return Ok(None);
            };
            let flattened = flavor == Flavor::Ec2 || shape.flattened || r.flattened;
            let items_node = if flattened {
                Some(node)
            } else {
                node.child(member.location_name.as_deref().unwrap_or("member"))
            };
            let mut items = Vec::new();
            if let Some(items_node) = items_node {
                for (i, item) in items_node.indexed().into_iter().enumerate() {
                    let seg = if flattened {
                        (i + 1).to_string()
                    } else {
                        format!("{}.{}", member.location_name.as_deref().unwrap_or("member"), i + 1)
                    };
                    let mark = push_path(path, &seg);
                    let v = decode_ref(svc, member, item, flavor, path)?;
                    path.truncate(mark);
                    if let Some(v) = v {
                        items.push(v);
                    }
                }
            }
            Ok(Some(Value::Array(items)))
        }
        ShapeType::Map => {
            let (Some(kr), Some(vr)) = (shape.key.as_ref(), shape.value.as_ref()) else {
                return Ok(None);
            };
            let entries =
                if shape.flattened || r.flattened { Some(node) } else { node.child("entry") };
            let key_name = kr.location_name.as_deref().unwrap_or("key");
            let value_name = vr.location_name.as_deref().unwrap_or("value");
            let mut out = Map::new();
            if let Some(entries) = entries {
                for (i, entry) in entries.indexed().into_iter().enumerate() {
                    let Some(k) = entry.child(key_name).and_then(|k| k.value.as_ref()) else {
                        continue;
                    };
                    let Some(vn) = entry.child(value_name) else {
                        continue;
                    };
                    let mark = push_path(path, &format!("entry.{}.{value_name}", i + 1));
                    let v = decode_ref(svc, vr, vn, flavor, path)?;
                    path.truncate(mark);
                    if let Some(v) = v {
                        out.insert(k.clone(), v);
                    }
                }
            }
            Ok(Some(Value::Object(out)))
        }
        _ => {
            let Some(text) = node.value.as_deref() else {
                return Ok(None);
            };
            decode_scalar(shape.type_, text, path).map(Some)
        }
    }
}

/// A scalar from its form text, typed per the shape.
pub(crate) fn decode_scalar(ty: ShapeType, text: &str, path: &str) -> Result<Value, Rejection> {
    let bad = || Rejection::invalid_type(path, text);
    match ty {
        ShapeType::String | ShapeType::Character => Ok(Value::String(text.to_owned())),
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => {
            value::parse_integer(text).ok_or_else(bad)
        }
        ShapeType::Biginteger | ShapeType::Bigdecimal => {
            // Kept as text: JSON numbers would lose precision.
            if text.trim().parse::<f64>().is_ok() {
                Ok(Value::String(text.trim().to_owned()))
            } else {
                Err(bad())
            }
        }
        ShapeType::Float | ShapeType::Double => value::parse_float(text).ok_or_else(bad),
        ShapeType::Boolean => value::parse_bool(text).ok_or_else(bad),
        ShapeType::Timestamp => {
            value::parse_timestamp_text(text).map(value::epoch_value).ok_or_else(bad)
        }
        ShapeType::Blob => {
            if value::is_base64(text) {
                Ok(Value::String(text.to_owned()))
            } else {
                Err(bad())
            }
        }
        ShapeType::Structure | ShapeType::List | ShapeType::Map => Err(bad()),
    }
}

/// Writes the members of `shape` found in `v` (an object keyed by member names), in model order.
pub(crate) fn write_members(
    w: &mut XmlWriter,
    svc: &ServiceModel,
    shape: &Shape,
    v: &Value,
    flavor: Flavor,
) {
    let Value::Object(obj) = v else {
        return;
    };
    for (name, r) in shape.members.iter() {
        let Some(mv) = obj.get(name) else {
            continue;
        };
        if mv.is_null() {
            continue;
        }
        let el = r.location_name.as_deref().unwrap_or(name);
        write_value(w, svc, r, el, mv, flavor);
    }
}

/// Writes one value as element `el` per the shape of `r`.
fn write_value(
    w: &mut XmlWriter,
    svc: &ServiceModel,
    r: &ShapeRef,
    el: &str,
    v: &Value,
    flavor: Flavor,
) {
    let Some(shape) = svc.shape(&r.shape) else {
        return;
    };
    match shape.type_ {
        ShapeType::Structure => {
            w.open(el, None);
            write_members(w, svc, shape, v, flavor);
            w.close(el);
        }
        ShapeType::List => {
            let (Value::Array(items), Some(member)) = (v, shape.member.as_ref()) else {
                return;
            };
            if shape.flattened || r.flattened {
                let item_el = member.location_name.as_deref().unwrap_or(el);
                for item in items.iter().filter(|i| !i.is_null()) {
                    write_value(w, svc, member, item_el, item, flavor);
                }
                return;
            }
            if items.is_empty() {
                w.empty(el);
                return;
            }
            let item_el = member.location_name.as_deref().unwrap_or("member");
            w.open(el, None);
            for item in items.iter().filter(|i| !i.is_null()) {
                write_value(w, svc, member, item_el, item, flavor);
            }
            w.close(el);
        }
        ShapeType::Map => {
            let (Value::Object(entries), Some(kr), Some(vr)) =
                (v, shape.key.as_ref(), shape.value.as_ref())
            else {
                return;
            };
            let key_el = kr.location_name.as_deref().unwrap_or("key");
            let value_el = vr.location_name.as_deref().unwrap_or("value");
            let flattened = shape.flattened || r.flattened;
            if !flattened {
                w.open(el, None);
            }
            for (k, ev) in entries {
                if ev.is_null() {
                    continue;
                }
                w.open(if flattened { el } else { "entry" }, None);
                w.text_element(key_el, k);
                write_value(w, svc, vr, value_el, ev, flavor);
                w.close(if flattened { el } else { "entry" });
            }
            if !flattened {
                w.close(el);
            }
        }
        ShapeType::Timestamp => {
            let Some(secs) = value::timestamp_seconds(v) else {
                return;
            };
            let text = match shape.timestamp_format.as_deref().or(r.timestamp_format.as_deref()) {
                Some("unixTimestamp") => value::epoch_number(secs).map(|n| n.to_string()),
                Some("rfc822") => value::format_rfc822(secs),
                _ => value::format_iso8601(secs, flavor == Flavor::Ec2),
            };
            if let Some(text) = text {
                w.text_element(el, &text);
            }
        }
        _ => {
            if let Some(text) = value::scalar_text(v) {
                w.text_element(el, &text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_splits_on_dots_and_orders_indexes_numerically() {
        let mut n = Node::default();
        n.insert("Tags.member.10.Key", "j".into());
        n.insert("Tags.member.2.Key", "b".into());
        n.insert("Tags.member.1.Key", "a".into());
        let items = n.child("Tags").unwrap().child("member").unwrap().indexed();
        let keys: Vec<&str> =
            items.iter().map(|i| i.child("Key").unwrap().value.as_deref().unwrap()).collect();
        assert_eq!(keys, ["a", "b", "j"]);
    }

    #[test]
    fn many_and_deep_parameters_stay_cheap() {
        let mut n = Node::default();
        for i in 0..100_000 {
            n.insert(&format!("p{i}"), String::new());
        }
        assert_eq!(n.children.len(), 100_000);
        let deep = vec!["a"; 200_000].join(".");
        let mut d = Node::default();
        d.insert(&deep, "x".into());
        assert!(d.children.is_empty());
    }

    #[test]
    fn broken_percent_escapes_are_malformed() {
        assert!(check_form(b"Action=ListRoles&Path=%2").is_err());
        assert!(check_form(b"Action=ListRoles&Path=%zz").is_err());
        assert!(check_form(b"Action=ListRoles&Path=%2F").is_ok());
        assert!(check_form(b"Path=%FF").is_err());
    }
}
