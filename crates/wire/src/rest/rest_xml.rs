//! rest-xml bodies: a small XML tree parsed with quick-xml, decoded by shape the way botocore's
//! `RestXMLParser` reads responses (flattened lists and maps, `xmlAttribute`, namespaces
//! ignored on input), and the encoder mirroring it (roots, `xmlNamespace`, flattened members).
//!
//! # Security
//! Request bodies are hostile input: DOCTYPE declarations are refused (so no entity expansion,
//! internal or external), only XML's predefined entities and character references are decoded,
//! and nesting is capped at [`MAX_DEPTH`]. Body size limits belong to the HTTP layer.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

use super::{is_bound, scalar_from_text, shape_of, typed_text, wire_name, TimestampFormat};
use crate::error::Rejection;
use crate::model::{ServiceModel, Shape, ShapeRef, ShapeType};
use crate::xml::escape_into;

/// Nesting deeper than any S3 body: refuse rather than recurse without bound.
const MAX_DEPTH: usize = 64;

/// One element: local name (namespace prefix dropped), attributes as written, child elements and
/// the concatenated text directly inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
}

fn malformed(detail: impl std::fmt::Display) -> Rejection {
    Rejection::malformed(format!("the XML body is not well-formed: {detail}"))
}

fn local(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    match s.rsplit_once(':') {
        Some((_, l)) => l.to_owned(),
        None => s.into_owned(),
    }
}

/// Parses a whole XML document (one root element). DOCTYPEs are refused (no entity expansion).
pub(crate) fn parse(body: &[u8]) -> Result<Element, Rejection> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = Reader::from_reader(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(malformed)?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() && stack.is_empty() => {
                return Err(malformed(format!(
                    "a second root element `{}`",
                    local(e.name().as_ref())
                )));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed("elements nested too deeply"));
                }
                stack.push(start_element(&e)?);
            }
            Event::Empty(e) => {
                let el = start_element(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| malformed("unbalanced end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(malformed)?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(malformed("text outside the root element")),
                }
            }
            Event::CData(c) => {
                let bytes = c.into_inner();
                let text = std::str::from_utf8(&bytes).map_err(malformed)?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(text),
                    None => return Err(malformed("CDATA outside the root element")),
                }
            }
            Event::DocType(_) => return Err(malformed("DOCTYPE is not allowed")),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed("unclosed element"));
    }
    root.ok_or_else(|| malformed("no root element"))
}

fn start_element(e: &quick_xml::events::BytesStart<'_>) -> Result<Element, Rejection> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(malformed)?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let val = a.unescape_value().map_err(malformed)?.into_owned();
        attrs.push((key, val));
    }
    Ok(Element { name: local(e.name().as_ref()), attrs, children: Vec::new(), text: String::new() })
}

fn flattened(r: &ShapeRef, s: &Shape) -> bool {
    r.flattened || s.flattened
}

/// The element name a structure member is found under (botocore `_member_key_name`: a
/// flattened list uses its member's `locationName` when it has one).
fn member_key_name<'a>(member: &'a str, r: &'a ShapeRef, s: &'a Shape) -> &'a str {
    if s.type_ == ShapeType::List && flattened(r, s) {
        if let Some(n) = s.member.as_ref().and_then(|m| m.location_name.as_deref()) {
            return n;
        }
    }
    wire_name(member, r, s)
}

/// Decodes the unbound members of structure `s` from element `el`. A missing required member
/// is malformed XML, as S3 answers.
pub(crate) fn decode_structure_members(
    svc: &ServiceModel,
    s: &Shape,
    el: &Element,
    path: &str,
) -> Result<Map<String, Value>, Rejection> {
    let mut out = Map::new();
    for (member, r) in s.members.iter() {
        if is_bound(r) {
            continue;
        }
        let Some(ms) = shape_of(svc, r) else { continue };
        let child_path =
            if path.is_empty() { member.to_owned() } else { format!("{path}.{member}") };
        if r.xml_attribute {
            let name = wire_name(member, r, ms);
            let local_name = name.rsplit_once(':').map_or(name, |(_, l)| l);
            let found = el
                .attrs
                .iter()
                .find(|(k, _)| k == name)
                .or_else(|| el.attrs.iter().find(|(k, _)| local(k.as_bytes()) == local_name));
            if let Some((_, v)) = found {
                out.insert(member.to_owned(), scalar_from_text(ms, r, v, &child_path)?);
            }
            continue;
        }
        let key = member_key_name(member, r, ms);
        let nodes: Vec<&Element> = el.children.iter().filter(|c| c.name == key).collect();
        if nodes.is_empty() {
            continue;
        }
        out.insert(member.to_owned(), decode_nodes(svc, r, ms, &nodes, &child_path)?);
    }
    for required in &s.required {
        let bound = s.member_ref(required).is_some_and(is_bound);
        if !bound && !out.contains_key(required) {
            return Err(Rejection::malformed(format!(
                "missing required element `{required}` in `{}`",
                if path.is_empty() { el.name.as_str() } else { path }
            )));
        }
    }
    Ok(out)
}

/// Decodes one element as a value of shape `s`.
pub(crate) fn decode_value(
    svc: &ServiceModel,
    r: &ShapeRef,
    s: &Shape,
    el: &Element,
    path: &str,
) -> Result<Value, Rejection> {
    decode_nodes(svc, r, s, &[el], path)
}

/// Decodes the elements found for one member: several only for flattened lists and maps.
fn decode_nodes(
    svc: &ServiceModel,
    r: &ShapeRef,
    s: &Shape,
    nodes: &[&Element],
    path: &str,
) -> Result<Value, Rejection> {
    let Some(first) = nodes.first() else {
        return Ok(Value::Null);
    };
    match s.type_ {
        ShapeType::Structure => Ok(Value::Object(decode_structure_members(svc, s, first, path)?)),
        ShapeType::List => {
            let Some(mr) = s.member.as_ref() else {
                return Ok(Value::Array(Vec::new()));
            };
            let Some(mshape) = shape_of(svc, mr) else {
                return Ok(Value::Array(Vec::new()));
            };
            let items: Vec<&Element> =
                if flattened(r, s) { nodes.to_vec() } else { first.children.iter().collect() };
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    decode_nodes(svc, mr, mshape, &[item], &format!("{path}.{}", i + 1))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        ShapeType::Map => {
            let (Some(kr), Some(vr)) = (s.key.as_ref(), s.value.as_ref()) else {
                return Ok(Value::Object(Map::new()));
            };
            let (Some(ks), Some(vs)) = (shape_of(svc, kr), shape_of(svc, vr)) else {
                return Ok(Value::Object(Map::new()));
            };
            let key_name = kr.location_name.as_deref().unwrap_or("key");
            let value_name = vr.location_name.as_deref().unwrap_or("value");
            let entries: Vec<&Element> =
                if flattened(r, s) { nodes.to_vec() } else { first.children.iter().collect() };
            let mut out = Map::new();
            for entry in entries {
                let k = entry.children.iter().find(|c| c.name == key_name);
                let v = entry.children.iter().find(|c| c.name == value_name);
                if let (Some(k), Some(v)) = (k, v) {
                    let key_path = format!("{path}.{}", k.text);
                    let key = match decode_nodes(svc, kr, ks, &[k], path)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    out.insert(key, decode_nodes(svc, vr, vs, &[v], &key_path)?);
                }
            }
            Ok(Value::Object(out))
        }
        _ => scalar_from_text(s, r, &first.text, path),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// A document whose root is `name`, the value of shape `s` (a structure payload such as
/// `CopyObjectResult`), declaring `default_ns` unless the model names a namespace.
pub(crate) fn encode_document(
    svc: &ServiceModel,
    name: &str,
    r: &ShapeRef,
    s: &Shape,
    v: &Value,
    default_ns: Option<&str>,
) -> Vec<u8> {
    let mut out = String::from(DECLARATION);
    let has_model_ns = r.xml_namespace.is_some() || s.xml_namespace.is_some();
    write_value(&mut out, svc, name, r, s, v, if has_model_ns { None } else { default_ns });
    out.into_bytes()
}

/// The document for an output whose body is the output structure itself, under `root`.
///
/// When the output's only body member is a scalar named like the root (S3 `GetBucketLocation`:
/// `<LocationConstraint>us-west-2</LocationConstraint>`), the scalar is the root's text.
pub(crate) fn encode_output_root(
    svc: &ServiceModel,
    root: &str,
    shape: &Shape,
    obj: &Map<String, Value>,
    default_ns: Option<&str>,
) -> Vec<u8> {
    let mut out = String::from(DECLARATION);
    let body_members: Vec<(&str, &ShapeRef)> =
        shape.members.iter().filter(|(_, r)| !is_bound(r)).collect();
    if let [(member, r)] = body_members.as_slice() {
        if let Some(ms) = shape_of(svc, r) {
            let is_scalar =
                !matches!(ms.type_, ShapeType::Structure | ShapeType::List | ShapeType::Map);
            if is_scalar && wire_name(member, r, ms) == root {
                open_tag(&mut out, root, default_ns, &[]);
                if let Some(v) = obj.get(*member) {
                    if let Some(t) = scalar_xml_text(ms, r, v) {
                        escape_into(&mut out, &t);
                    }
                }
                close_tag(&mut out, root);
                return out.into_bytes();
            }
        }
    }
    let attrs = namespace_attrs(None, shape);
    open_tag(&mut out, root, default_ns, &attrs);
    write_members(&mut out, svc, shape, obj);
    close_tag(&mut out, root);
    out.into_bytes()
}

fn open_tag(out: &mut String, name: &str, xmlns: Option<&str>, attrs: &[(String, String)]) {
    out.push('<');
    out.push_str(name);
    if let Some(ns) = xmlns {
        out.push_str(" xmlns=\"");
        escape_into(out, ns);
        out.push('"');
    }
    for (k, v) in attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape_into(out, v);
        out.push('"');
    }
    out.push('>');
}

fn close_tag(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// `xmlns`/`xmlns:prefix` declarations the model puts on a reference or shape.
fn namespace_attrs(r: Option<&ShapeRef>, s: &Shape) -> Vec<(String, String)> {
    let ns = r.and_then(|r| r.xml_namespace.as_ref()).or(s.xml_namespace.as_ref());
    let Some(ns) = ns else { return Vec::new() };
    let Some(uri) = ns.uri.as_deref() else {
        return Vec::new();
    };
    let key = match ns.prefix.as_deref() {
        Some(p) if !p.is_empty() => format!("xmlns:{p}"),
        _ => "xmlns".to_owned(),
    };
    vec![(key, uri.to_owned())]
}

fn write_members(out: &mut String, svc: &ServiceModel, s: &Shape, obj: &Map<String, Value>) {
    for (member, r) in s.members.iter() {
        if is_bound(r) || r.xml_attribute {
            continue;
        }
        let Some(v) = obj.get(member).filter(|v| !v.is_null()) else {
            continue;
        };
        let Some(ms) = shape_of(svc, r) else { continue };
        let name = member_key_name(member, r, ms);
        write_value(out, svc, name, r, ms, v, None);
    }
}

fn write_value(
    out: &mut String,
    svc: &ServiceModel,
    name: &str,
    r: &ShapeRef,
    s: &Shape,
    v: &Value,
    default_ns: Option<&str>,
) {
    if v.is_null() {
        return;
    }
    match (s.type_, v) {
        (ShapeType::Structure, Value::Object(obj)) => {
            let mut attrs = namespace_attrs(Some(r), s);
            for (member, mr) in s.members.iter() {
                if !mr.xml_attribute {
                    continue;
                }
                let Some(ms) = shape_of(svc, mr) else { continue };
                if let Some(t) = obj.get(member).and_then(|v| scalar_xml_text(ms, mr, v)) {
                    attrs.push((wire_name(member, mr, ms).to_owned(), t));
                }
            }
            open_tag(out, name, default_ns, &attrs);
            write_members(out, svc, s, obj);
            close_tag(out, name);
        }
        (ShapeType::List, Value::Array(items)) => {
            let (Some(mr), Some(ms)) =
                (s.member.as_ref(), s.member.as_ref().and_then(|m| shape_of(svc, m)))
            else {
                return;
            };
            if flattened(r, s) {
                for item in items {
                    write_value(out, svc, name, mr, ms, item, None);
                }
            } else {
                let item_name = mr.location_name.as_deref().unwrap_or("member");
                open_tag(out, name, default_ns, &namespace_attrs(Some(r), s));
                for item in items {
                    write_value(out, svc, item_name, mr, ms, item, None);
                }
                close_tag(out, name);
            }
        }
        (ShapeType::Map, Value::Object(map)) => {
            let (Some(kr), Some(vr)) = (s.key.as_ref(), s.value.as_ref()) else {
                return;
            };
            let (Some(ks), Some(vs)) = (shape_of(svc, kr), shape_of(svc, vr)) else {
                return;
            };
            let key_name = kr.location_name.as_deref().unwrap_or("key");
            let value_name = vr.location_name.as_deref().unwrap_or("value");
            let flat = flattened(r, s);
            if !flat {
                open_tag(out, name, default_ns, &namespace_attrs(Some(r), s));
            }
            for (k, item) in map {
                open_tag(out, if flat { name } else { "entry" }, None, &[]);
                write_value(out, svc, key_name, kr, ks, &Value::String(k.clone()), None);
                write_value(out, svc, value_name, vr, vs, item, None);
                close_tag(out, if flat { name } else { "entry" });
            }
            if !flat {
                close_tag(out, name);
            }
        }
        (ShapeType::Structure | ShapeType::List | ShapeType::Map, _) => {}
        _ => {
            if let Some(t) = scalar_xml_text(s, r, v) {
                open_tag(out, name, default_ns, &namespace_attrs(Some(r), s));
                escape_into(out, &t);
                close_tag(out, name);
            }
        }
    }
}

/// The text of a scalar in an XML body (timestamps ISO 8601 unless the model says otherwise).
fn scalar_xml_text(s: &Shape, r: &ShapeRef, v: &Value) -> Option<String> {
    if s.type_ == ShapeType::Timestamp {
        return TimestampFormat::of(r, s, TimestampFormat::Iso8601).format(v);
    }
    typed_text(s, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_elements_text_and_attributes() {
        let el = parse(
            br#"<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a &amp; b</Key></Object><Object><Key><![CDATA[c<d]]></Key></Object><Quiet>true</Quiet><G xmlns:xsi="x" xsi:type="CanonicalUser"/></Delete>"#,
        )
        .unwrap();
        assert_eq!(el.name, "Delete");
        assert_eq!(el.children.len(), 4);
        assert_eq!(el.children[0].children[0].text, "a & b");
        assert_eq!(el.children[1].children[0].text, "c<d");
        assert_eq!(el.children[3].attrs[1], ("xsi:type".to_owned(), "CanonicalUser".to_owned()));
    }

    #[test]
    fn refuses_malformed_documents() {
        for bad in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"<a/><b/>",
            b"text",
            b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            b"<a>&unknown;</a>",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(b"\xEF\xBB\xBF<a>x</a>").unwrap().text, "x");
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(deep.as_bytes()).is_err());
    }
}
