//! Request-URI templates of the REST protocols (`/{Bucket}/{Key+}?uploads`), matched against raw
//! request paths and query strings, plus S3 virtual-host rewriting.
//!
//! Everything here works on strings only; the model-aware choice between candidate operations
//! lives in `rest::route`.

use percent_encoding::percent_decode_str;

/// One `/`-separated piece of a template path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Must equal the request segment exactly (after percent-decoding).
    Literal(String),
    /// `{Name}`: one non-empty segment, percent-decoded.
    Label(String),
    /// `{Name+}`: the rest of the path (at least one character), `/` kept.
    Greedy(String),
}

/// A parsed `requestUri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UriTemplate {
    pub(crate) segments: Vec<Segment>,
    /// Literal query keys (`?uploads` → `("uploads", None)`, `?list-type=2` → `("list-type", Some("2"))`).
    pub(crate) query: Vec<(String, Option<String>)>,
}

/// Query keys the SDKs put in requestUri for their own routing but never send (botocore strips
/// `x-id`); they are optional when matching.
const OPTIONAL_QUERY_KEYS: &[&str] = &["x-id"];

impl UriTemplate {
    /// Parses a botocore `requestUri`.
    pub(crate) fn parse(template: &str) -> UriTemplate {
        let (path, query) = match template.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (template, None),
        };
        let segments = split_path(path)
            .into_iter()
            .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(greedy) => Segment::Greedy(greedy.to_owned()),
                    None => Segment::Label(name.to_owned()),
                },
                None => Segment::Literal(decode_component(seg)),
            })
            .collect();
        let query = query
            .map(|q| {
                q.split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| match p.split_once('=') {
                        Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                        None => (p.to_owned(), None),
                    })
                    .collect()
            })
            .unwrap_or_default();
        UriTemplate { segments, query }
    }

    /// Number of literal path segments (more literal = more specific).
    pub(crate) fn literal_segments(&self) -> usize {
        self.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count()
    }

    /// Number of literal query keys the request actually carried (required ones always count).
    pub(crate) fn literal_query_matched(&self, query: &[(String, String)]) -> usize {
        self.query.iter().filter(|(k, _)| query.iter().any(|(qk, _)| qk == k)).count()
    }

    /// Matches a raw (still percent-encoded) path and the decoded query pairs; returns the
    /// decoded label values by label name.
    pub(crate) fn matches(
        &self,
        raw_path: &str,
        query: &[(String, String)],
    ) -> Option<Vec<(String, String)>> {
        for (key, want) in &self.query {
            let found = query.iter().find(|(k, _)| k == key);
            match (found, want) {
                (None, _) if OPTIONAL_QUERY_KEYS.contains(&key.as_str()) => {}
                (None, _) => return None,
                (Some((_, got)), Some(want)) if got != want => return None,
                (Some(_), _) => {}
            }
        }
        self.match_path(raw_path)
    }

    fn match_path(&self, raw_path: &str) -> Option<Vec<(String, String)>> {
        let mut parts = split_path(raw_path);
        let ends_with_greedy = matches!(self.segments.last(), Some(Segment::Greedy(_)));
        // `/bucket/` addresses the bucket: a trailing slash is tolerated unless a greedy label
        // would capture it.
        if !ends_with_greedy && parts.len() == self.segments.len() + 1 {
            if let Some(&"") = parts.last() {
                parts.pop();
            }
        }
        let mut labels = Vec::new();
        let mut idx = 0usize;
        for seg in &self.segments {
            match seg {
                Segment::Literal(lit) => {
                    let part = parts.get(idx)?;
                    if decode_component(part) != *lit {
                        return None;
                    }
                    idx += 1;
                }
                Segment::Label(name) => {
                    let part = parts.get(idx)?;
                    if part.is_empty() {
                        return None;
                    }
                    labels.push((name.clone(), decode_component(part)));
                    idx += 1;
                }
                Segment::Greedy(name) => {
                    let rest = parts.get(idx..)?;
                    let joined = rest.join("/");
                    if joined.is_empty() {
                        return None;
                    }
                    labels.push((name.clone(), decode_component(&joined)));
                    idx = parts.len();
                }
            }
        }
        (idx == parts.len()).then_some(labels)
    }
}

/// Splits an absolute path into its segments: `/` → `[]`, `/a/b` → `[a, b]`, `/a/` → `[a, ""]`.
fn split_path(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

/// Percent-decodes one path component; `+` stays a plus in paths. Invalid UTF-8 is replaced.
pub(crate) fn decode_component(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

/// Decodes a raw query string into ordered pairs (`+` is a space, as form encoding says).
/// A key without `=` has an empty value.
pub(crate) fn parse_query(raw: &str) -> Vec<(String, String)> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Host suffixes that name an S3 endpoint; `<bucket>.<suffix>` is a virtual-hosted request.
/// Regional AWS forms (`s3.<region>.amazonaws.com`, `s3-<region>.amazonaws.com`,
/// `s3.dualstack.<region>.amazonaws.com`) are recognised structurally in [`virtual_host_bucket`].
const S3_HOST_SUFFIXES: &[&str] =
    &["s3.localhost.localstack.cloud", "localhost.localstack.cloud", "s3.localhost", "localhost"];

/// The bucket named by an S3 virtual-hosted-style `Host` header, if any.
///
/// Rules (port and case ignored):
/// - IP literals and bare endpoint names (`127.0.0.1`, `localhost`, `s3.amazonaws.com`,
///   `s3.us-east-1.amazonaws.com`) are path style: `None`.
/// - `<bucket>.<suffix>` for a suffix in `localhost`, `s3.localhost`,
///   `localhost.localstack.cloud`, `s3.localhost.localstack.cloud` names `<bucket>`; a regional
///   form (`<bucket>.s3.<region>.<suffix>`) names what precedes its `s3` label.
/// - `<bucket>.s3[.-]….amazonaws.com` names `<bucket>`: everything before the first label that
///   is `s3` or starts with `s3-` (bucket names may contain dots).
/// - Any other host is path style.
pub(crate) fn virtual_host_bucket(host: &str) -> Option<String> {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    if let Some(front) = host.strip_suffix(".amazonaws.com") {
        return bucket_before_s3_label(front);
    }
    for suffix in S3_HOST_SUFFIXES {
        if let Some(front) = host.strip_suffix(suffix) {
            let front = front.strip_suffix('.')?;
            if front.is_empty() {
                return None;
            }
            // `bucket.s3.us-east-1.localhost.localstack.cloud` names its region too.
            let has_s3_label = front.split('.').any(is_s3_label);
            return if has_s3_label {
                bucket_before_s3_label(front)
            } else {
                Some(front.to_owned())
            };
        }
    }
    None
}

fn is_s3_label(label: &str) -> bool {
    label == "s3" || label.starts_with("s3-")
}

/// `my.bucket.s3.us-east-1` → `my.bucket`; `s3.us-east-1` or no `s3` label → `None`.
fn bucket_before_s3_label(front: &str) -> Option<String> {
    let labels: Vec<&str> = front.split('.').collect();
    let pos = labels.iter().position(|l| is_s3_label(l))?;
    if pos == 0 {
        return None;
    }
    labels.get(..pos).map(|b| b.join("."))
}

fn strip_port(host: &str) -> &str {
    // `[::1]:4566` keeps its brackets out; `name:port` loses the port.
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Rewrites a virtual-hosted path to path style: `/key` on `bucket` → `/bucket/key`.
/// `raw_path` stays percent-encoded; the bucket is encoded as a single segment.
pub(crate) fn to_path_style(bucket: &str, raw_path: &str) -> String {
    let enc = percent_encoding::utf8_percent_encode(bucket, SEGMENT).to_string();
    if raw_path.is_empty() || raw_path == "/" {
        format!("/{enc}")
    } else if raw_path.starts_with('/') {
        format!("/{enc}{raw_path}")
    } else {
        format!("/{enc}/{raw_path}")
    }
}

/// Characters escaped in a single path segment (RFC 3986 unreserved stay literal).
pub(crate) const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn parses_labels_greedy_and_query_literals() {
        let t = UriTemplate::parse("/{Bucket}/{Key+}?uploads");
        assert_eq!(
            t.segments,
            vec![Segment::Label("Bucket".into()), Segment::Greedy("Key".into())]
        );
        assert_eq!(t.query, vec![("uploads".to_owned(), None)]);
        let t = UriTemplate::parse("/{Bucket}?list-type=2");
        assert_eq!(t.query, vec![("list-type".to_owned(), Some("2".to_owned()))]);
        assert_eq!(UriTemplate::parse("/").segments, vec![]);
    }

    #[test]
    fn greedy_label_keeps_slashes_and_decodes() {
        let t = UriTemplate::parse("/{Bucket}/{Key+}");
        let labels = t.matches("/b/a/b%20x/c.txt", &[]).unwrap();
        assert_eq!(labels, q(&[("Bucket", "b"), ("Key", "a/b x/c.txt")]));
        assert!(t.matches("/b", &[]).is_none());
        assert!(t.matches("/b/", &[]).is_none());
        // a key that starts with a slash
        let labels = t.matches("/b//lead", &[]).unwrap();
        assert_eq!(labels[1].1, "/lead");
    }

    #[test]
    fn plain_label_takes_one_segment_and_tolerates_trailing_slash() {
        let t = UriTemplate::parse("/{Bucket}");
        assert_eq!(t.matches("/b", &[]).unwrap(), q(&[("Bucket", "b")]));
        assert_eq!(t.matches("/b/", &[]).unwrap(), q(&[("Bucket", "b")]));
        assert!(t.matches("/b/k", &[]).is_none());
        assert!(t.matches("/", &[]).is_none());
        let t = UriTemplate::parse("/tags/{resourceArn}");
        let arn = "arn%3Aaws%3Aimagebuilder%3Aus-east-1%3A123456789012%3Aimage-pipeline%2Fp";
        assert_eq!(
            t.matches(&format!("/tags/{arn}"), &[]).unwrap()[0].1,
            "arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/p"
        );
        assert!(t.matches("/other/x", &[]).is_none());
    }

    #[test]
    fn query_literals_must_be_present_with_their_value() {
        let t = UriTemplate::parse("/{Bucket}?list-type=2");
        assert!(t.matches("/b", &q(&[("list-type", "2")])).is_some());
        assert!(t.matches("/b", &q(&[("list-type", "1")])).is_none());
        assert!(t.matches("/b", &[]).is_none());
        let t = UriTemplate::parse("/{Bucket}/{Key+}?x-id=GetObject");
        assert!(t.matches("/b/k", &[]).is_some(), "x-id is optional");
        let t = UriTemplate::parse("/{Bucket}?tagging");
        assert_eq!(t.literal_query_matched(&q(&[("tagging", "")])), 1);
    }

    #[test]
    fn query_parsing_handles_bare_keys_and_plus() {
        assert_eq!(
            parse_query("uploads&prefix=a+b%2Fc&max-keys=2"),
            q(&[("uploads", ""), ("prefix", "a b/c"), ("max-keys", "2")])
        );
    }

    #[test]
    fn virtual_host_rules() {
        assert_eq!(virtual_host_bucket("127.0.0.1:4566"), None);
        assert_eq!(virtual_host_bucket("localhost:4566"), None);
        assert_eq!(virtual_host_bucket("[::1]:4566"), None);
        assert_eq!(virtual_host_bucket("s3.amazonaws.com"), None);
        assert_eq!(virtual_host_bucket("s3.us-west-2.amazonaws.com"), None);
        assert_eq!(virtual_host_bucket("iam.amazonaws.com"), None);
        assert_eq!(virtual_host_bucket("my.bucket.s3.amazonaws.com").as_deref(), Some("my.bucket"));
        assert_eq!(virtual_host_bucket("b.s3.us-west-2.amazonaws.com").as_deref(), Some("b"));
        assert_eq!(virtual_host_bucket("b.s3-us-west-2.amazonaws.com").as_deref(), Some("b"));
        assert_eq!(virtual_host_bucket("b.localhost:4566").as_deref(), Some("b"));
        assert_eq!(
            virtual_host_bucket("B.s3.localhost.localstack.cloud:4566").as_deref(),
            Some("b")
        );
        assert_eq!(virtual_host_bucket("s3.localhost.localstack.cloud"), None);
        assert_eq!(
            virtual_host_bucket("b.s3.us-east-1.localhost.localstack.cloud").as_deref(),
            Some("b")
        );
        assert_eq!(virtual_host_bucket("s3.us-east-1.localhost.localstack.cloud"), None);
        assert_eq!(virtual_host_bucket("localhost.localstack.cloud"), None);
        assert_eq!(virtual_host_bucket("example.com"), None);
    }

    #[test]
    fn path_style_rewrite() {
        assert_eq!(to_path_style("b", "/"), "/b");
        assert_eq!(to_path_style("b", ""), "/b");
        assert_eq!(to_path_style("b", "/a/c%20d"), "/b/a/c%20d");
    }
}
