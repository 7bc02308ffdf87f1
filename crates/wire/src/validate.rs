//! Model constraints on decoded input (`min`/`max` lengths and values, `pattern`, `enum`), checked
//! the way AWS's request validation does before a service runs, with AWS's message format:
//! `1 validation error detected: Value 'x y' at 'roleName' failed to satisfy constraint: Member
//! must satisfy regular expression pattern: [\w+=,.@-]+` (several violations joined by `; `).
//!
//! Model patterns are Java regular expressions matched against the whole value; they are
//! translated to the `regex` crate's syntax (ASCII `\w`, `\d`, `\s` as Java has them) and compiled
//! once per service. A pattern that does not translate (look-around) is not enforced.

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;
use regex::Regex;
use serde_json::Value;

use crate::model::{ServiceModel, Shape, ShapeType};

/// Compiled `pattern`s of one service, keyed by the Java source.
pub(crate) type Patterns = HashMap<String, Regex>;

/// Compiles every pattern of `svc`'s shapes (called once per service, on first validation).
pub(crate) fn compile_patterns(svc: &ServiceModel) -> Patterns {
    let mut out = HashMap::new();
    for shape in svc.shapes.values() {
        if let Some(p) = shape.pattern.as_deref() {
            if out.contains_key(p) {
                continue;
            }
            if let Ok(re) = Regex::new(&format!("^(?:{})$", translate_java(p))) {
                out.insert(p.to_owned(), re);
            }
        }
    }
    out
}

/// Java regex → `regex` crate: ASCII-only `\w`, `\d`, `\s` (Java's defaults).
fn translate_java(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut in_class = false;
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                if n == 'u' {
                    out.push_str(&unicode_escape(&mut chars));
                    continue;
                }
                let ascii = match n {
                    'w' => Some("a-zA-Z0-9_"),
                    'd' => Some("0-9"),
                    's' => Some(" \\t\\n\\x0B\\x0C\\r"),
                    _ => None,
                };
                match (ascii, in_class) {
                    (Some(set), true) => out.push_str(set),
                    (Some(set), false) => {
                        out.push('[');
                        out.push_str(set);
                        out.push(']');
                    }
                    (None, _) => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `]` or `^]` is literal in both dialects; copy it through.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '[' if in_class => out.push_str("\\["),
            _ => out.push(c),
        }
    }
    out
}

/// The rest of a Java `\uXXXX` escape (after `\u`) as a `regex` escape; a UTF-16 surrogate pair
/// written as two escapes (`\uD800\uDC00`) becomes the one code point it encodes.
fn unicode_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    fn hex4(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<u32> {
        let digits: String = (0..4).filter_map(|_| chars.next()).collect();
        u32::from_str_radix(&digits, 16).ok().filter(|_| digits.len() == 4)
    }
    let mut probe = chars.clone();
    let Some(hi) = hex4(&mut probe) else {
        return "\\u".to_owned();
    };
    *chars = probe;
    if (0xD800..0xDC00).contains(&hi) {
        let mut look = chars.clone();
        if look.next() == Some('\\') && look.next() == Some('u') {
            if let Some(lo) = hex4(&mut look).filter(|lo| (0xDC00..0xE000).contains(lo)) {
                *chars = look;
                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return format!("\\x{{{cp:X}}}");
            }
        }
    }
    format!("\\x{{{hi:X}}}")
}

/// AWS's name for a member in validation messages: the first letter lowered.
fn lower_first(name: &str) -> String {
    let mut c = name.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

fn join(path: &str, seg: &str) -> String {
    if path.is_empty() {
        seg.to_owned()
    } else {
        format!("{path}.{seg}")
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// How AWS's Java request validation prints a blob member's value: the `toString` of the
/// `java.nio.HeapByteBuffer` holding it, e.g. `java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]` for an
/// empty blob (as AWS answers, e.g. Rekognition's "Value 'java.nio.HeapByteBuffer[pos=0 lim=0
/// cap=0]' at 'image.bytes' failed to satisfy constraint: Member must have length greater than or
/// equal to 1"). A buffer wrapping the decoded bytes has `lim` and `cap` equal to their length.
fn show_blob(len: usize) -> String {
    format!("java.nio.HeapByteBuffer[pos=0 lim={len} cap={len}]")
}

fn bound(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

struct Checker<'a> {
    svc: &'a ServiceModel,
    patterns: &'a Patterns,
    violations: Vec<String>,
}

impl Checker<'_> {
    /// One violation; `shown` is the value as AWS prints it (left out for sensitive members).
    fn violation(&mut self, shape: &Shape, shown: &str, path: &str, constraint: &str) {
        let mut msg = String::new();
        if shape.sensitive {
            let _ = write!(msg, "Value at '{path}'");
        } else {
            let _ = write!(msg, "Value '{shown}' at '{path}'");
        }
        let _ = write!(msg, " failed to satisfy constraint: Member must {constraint}");
        self.violations.push(msg);
    }

    fn length(&mut self, shape: &Shape, shown: &str, path: &str, len: usize) {
        #[expect(clippy::cast_precision_loss, reason = "lengths are far below 2^52")]
        let n = len as f64;
        if let Some(min) = shape.min.filter(|m| n < *m) {
            let c = format!("have length greater than or equal to {}", bound(min));
            self.violation(shape, shown, path, &c);
        }
        if let Some(max) = shape.max.filter(|m| n > *m) {
            let c = format!("have length less than or equal to {}", bound(max));
            self.violation(shape, shown, path, &c);
        }
    }

    fn check(&mut self, shape: &Shape, v: &Value, path: &str) {
        match (shape.type_, v) {
            (ShapeType::Structure, Value::Object(obj)) => {
                for (name, r) in shape.members.iter() {
                    let (Some(mv), Some(ms)) = (obj.get(name), self.svc.shape(&r.shape)) else {
                        continue;
                    };
                    let p = join(path, &lower_first(name));
                    self.check(ms, mv, &p);
                }
            }
            (ShapeType::List, Value::Array(items)) => {
                self.length(shape, &show(v), path, items.len());
                let Some(ms) = shape.member.as_ref().and_then(|m| self.svc.shape(&m.shape)) else {
                    return;
                };
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{path}.{}.member", i + 1);
                    self.check(ms, item, &p);
                }
            }
            (ShapeType::Map, Value::Object(obj)) => {
                self.length(shape, &show(v), path, obj.len());
                let ks = shape.key.as_ref().and_then(|k| self.svc.shape(&k.shape));
                let vs = shape.value.as_ref().and_then(|m| self.svc.shape(&m.shape));
                for (k, ev) in obj {
                    if let Some(ks) = ks {
                        self.check(ks, &Value::String(k.clone()), &format!("{path}.key"));
                    }
                    if let Some(vs) = vs {
                        self.check(vs, ev, &format!("{path}.{k}.member"));
                    }
                }
            }
            (ShapeType::String, Value::String(s)) => {
                self.length(shape, s, path, s.chars().count());
                if !shape.enum_.is_empty() && !shape.enum_.iter().any(|e| e == s) {
                    let c = format!("satisfy enum value set: [{}]", shape.enum_.join(", "));
                    self.violation(shape, s, path, &c);
                }
                if let Some(p) = shape.pattern.as_deref() {
                    if let Some(re) = self.patterns.get(p) {
                        if !re.is_match(s) {
                            let c = format!("satisfy regular expression pattern: {p}");
                            self.violation(shape, s, path, &c);
                        }
                    }
                }
            }
            (ShapeType::Blob, Value::String(s)) => {
                let t = s.trim_end_matches('=');
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(t) {
                    self.length(shape, &show_blob(bytes.len()), path, bytes.len());
                }
            }
            (
                ShapeType::Integer
                | ShapeType::Long
                | ShapeType::Float
                | ShapeType::Double
                | ShapeType::Short
                | ShapeType::Byte,
                Value::Number(n),
            ) => {
                let Some(x) = n.as_f64() else {
                    return;
                };
                if let Some(min) = shape.min.filter(|m| x < *m) {
                    let c = format!("have value greater than or equal to {}", bound(min));
                    self.violation(shape, &show(v), path, &c);
                }
                if let Some(max) = shape.max.filter(|m| x > *m) {
                    let c = format!("have value less than or equal to {}", bound(max));
                    self.violation(shape, &show(v), path, &c);
                }
            }
            _ => {}
        }
    }
}

/// Every constraint violation of `input` against `shape`, as AWS words them, in model order.
pub(crate) fn violations(
    svc: &ServiceModel,
    patterns: &Patterns,
    shape: &Shape,
    input: &Value,
) -> Vec<String> {
    let mut c = Checker { svc, patterns, violations: Vec::new() };
    c.check(shape, input, "");
    c.violations
}

/// IAM answers a `Path`/`NewPath` that breaks its pattern (`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
/// with a sentence of its own instead of the generic message (CreateRole with `test/`,
/// aws-cloudformation/cfn-lint#722); a path that is only too long gets the generic one. The
/// sentence names the member as the generic message would (`path`, `newPath`).
pub(crate) fn iam_path_message(
    svc: &ServiceModel,
    patterns: &Patterns,
    shape: &Shape,
    input: &Value,
) -> Option<String> {
    if svc.id != "iam" {
        return None;
    }
    let Value::Object(obj) = input else {
        return None;
    };
    shape.members.iter().find_map(|(name, r)| {
        if r.shape != "pathType" {
            return None;
        }
        let value = obj.get(name)?.as_str()?;
        let ps = svc.shape(&r.shape)?;
        let re = patterns.get(ps.pattern.as_deref()?)?;
        let too_long = ps.max.is_some_and(|m| value.chars().count() as f64 > m);
        (!too_long && !re.is_match(value)).then(|| {
            format!(
                "The specified value for {} is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
                lower_first(name)
            )
        })
    })
}

/// `N validation error(s) detected: a; b`.
pub(crate) fn message(violations: &[String]) -> String {
    let n = violations.len();
    format!(
        "{n} validation error{} detected: {}",
        if n == 1 { "" } else { "s" },
        violations.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_paths_get_iams_sentence() {
        let models = crate::Models::load().unwrap();
        let svc = models.service("iam").unwrap();
        let op = svc.operation("CreateRole").unwrap();
        let shape = svc.shape(&op.input.as_ref().unwrap().shape).unwrap();
        let patterns = compile_patterns(svc);
        let msg = |path: &str| {
            let input = serde_json::json!({"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Path": path});
            iam_path_message(svc, &patterns, shape, &input)
        };
        assert_eq!(
            msg("my-path").as_deref(),
            Some("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
        );
        assert_eq!(msg("/my-path/"), None);
        assert_eq!(msg(&format!("/{}/", "b".repeat(511))), None, "too long: generic message");
    }

    #[test]
    fn blobs_print_as_java_byte_buffers_and_sensitive_members_not_at_all() {
        let models = crate::Models::load().unwrap();
        let svc = models.service("kms").unwrap();
        let op = svc.operation("Verify").unwrap();
        let shape = svc.shape(&op.input.as_ref().unwrap().shape).unwrap();
        let patterns = compile_patterns(svc);
        let check = |input: serde_json::Value| violations(svc, &patterns, shape, &input);
        // Signature (CiphertextType, min 1) is not sensitive: its value shows as the buffer.
        let v = check(serde_json::json!({
            "KeyId": "k", "Message": "bWVzc2FnZQ==", "Signature": "", "SigningAlgorithm": "RSASSA_PSS_SHA_256"
        }));
        assert_eq!(
            v,
            vec!["Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'signature' failed to satisfy constraint: Member must have length greater than or equal to 1".to_owned()]
        );
        // 6145 bytes: over CiphertextType's max of 6144.
        let long = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 6145]);
        let v = check(serde_json::json!({
            "KeyId": "k", "Message": "bWVzc2FnZQ==", "Signature": long, "SigningAlgorithm": "RSASSA_PSS_SHA_256"
        }));
        assert_eq!(
            v,
            vec!["Value 'java.nio.HeapByteBuffer[pos=0 lim=6145 cap=6145]' at 'signature' failed to satisfy constraint: Member must have length less than or equal to 6144".to_owned()]
        );
        // Message (PlaintextType) is sensitive: no value at all.
        let v = check(serde_json::json!({
            "KeyId": "k", "Message": "", "Signature": "c2ln", "SigningAlgorithm": "RSASSA_PSS_SHA_256"
        }));
        assert_eq!(
            v,
            vec!["Value at 'message' failed to satisfy constraint: Member must have length greater than or equal to 1".to_owned()]
        );
        // Strings print as themselves; enums list the model's values in model order.
        let v = check(serde_json::json!({
            "KeyId": "k", "Message": "bWVzc2FnZQ==", "Signature": "c2ln", "SigningAlgorithm": "INVALID"
        }));
        assert_eq!(v.len(), 1);
        assert!(
            v[0].starts_with("Value 'INVALID' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSASSA_PSS_SHA_256, RSASSA_PSS_SHA_384, "),
            "{}",
            v[0]
        );
    }

    #[test]
    fn java_classes_become_ascii() {
        assert_eq!(translate_java(r"[\w+=,.@-]+"), "[a-zA-Z0-9_+=,.@-]+");
        assert_eq!(translate_java(r"\d{12}"), "[0-9]{12}");
        let re = Regex::new(&format!("^(?:{})$", translate_java(r"[\w+=,.@-]+"))).unwrap();
        assert!(re.is_match("productionapp"));
        assert!(!re.is_match("bad name"));
        assert!(!re.is_match("é"));
        let re =
            Regex::new(&format!("^(?:{})$", translate_java(r"[\u0009\u000A\u000D\u0020-\u00FF]+")))
                .unwrap();
        assert!(re.is_match("{\"Version\": \"2012-10-17\"}\n"));
        assert!(!re.is_match("\u{1}"));
        assert_eq!(
            translate_java(r"[\u0020-\uD7FF\uD800\uDC00-\uDBFF\uDFFF]"),
            r"[\x{20}-\x{D7FF}\x{10000}-\x{10FFFF}]"
        );
    }

    #[test]
    fn every_model_pattern_without_lookaround_compiles() {
        let models = crate::Models::load().unwrap();
        for info in models.infos() {
            let svc = models.service(info.id).unwrap();
            let compiled = compile_patterns(svc);
            for shape in svc.shapes.values() {
                if let Some(p) = shape.pattern.as_deref() {
                    if !p.contains("(?!") && !p.contains("(?=") && !p.contains("(?<") {
                        assert!(compiled.contains_key(p), "{}: {p}", info.id);
                    }
                }
            }
        }
    }
}
