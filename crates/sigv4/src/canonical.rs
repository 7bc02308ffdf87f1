//! The canonical request, byte for byte as AWS specifies it: URI path (normalized and encoded
//! twice for every service but S3, decoded and encoded once for S3), query string (decoded,
//! re-encoded with the unreserved set, sorted), canonical headers (lowercase names, trimmed and
//! space-collapsed values, repeats joined with `,`), signed headers, hashed payload.
//!
//! Writers take a [`Sink`] so the verifier can hash the canonical request without building it.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// Where canonical bytes go: a buffer (for tests and error details) or a running hash.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// RFC 3986 unreserved characters, the only ones SigV4 leaves unencoded.
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Writes `bytes` percent-encoded with SigV4's unreserved set (and `/` kept when `keep_slash`).
pub(crate) fn write_encoded<S: Sink>(sink: &mut S, bytes: &[u8], keep_slash: bool) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            continue;
        }
        if let Some(run) = bytes.get(start..i) {
            sink.put(run);
        }
        let hi = HEX_UPPER.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
        let lo = HEX_UPPER.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
        sink.put(&[b'%', hi, lo]);
        start = i + 1;
    }
    if let Some(run) = bytes.get(start..) {
        sink.put(run);
    }
}

/// Percent-encodes `s` with SigV4's unreserved set (`/` encoded too).
pub fn uri_encode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    write_encoded(&mut out, s.as_bytes(), false);
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays literal. `+` stays `+`:
/// SigV4 clients encode a space as `%20`.
pub(crate) fn percent_decode(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.contains(&b'%') {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'%' {
            if let (Some(hi), Some(lo)) = (
                raw.get(i + 1).copied().and_then(hex_val),
                raw.get(i + 2).copied().and_then(hex_val),
            ) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

/// True when decoding then re-encoding `raw` would give `raw` back, so it can be used as is.
fn is_canonical(raw: &[u8], allow_slash: bool) -> bool {
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'%' {
            let (Some(&h), Some(&l)) = (raw.get(i + 1), raw.get(i + 2)) else { return false };
            let upper = |c: u8| c.is_ascii_digit() || (b'A'..=b'F').contains(&c);
            if !upper(h) || !upper(l) {
                return false;
            }
            let decoded = hex_val(h).unwrap_or(0) << 4 | hex_val(l).unwrap_or(0);
            if is_unreserved(decoded) || (allow_slash && decoded == b'/') {
                return false;
            }
            i += 3;
        } else if is_unreserved(b) || (allow_slash && b == b'/') {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// Decodes then re-encodes one query-string component (name or value).
fn canonical_component(raw: &str) -> Cow<'_, [u8]> {
    let bytes = raw.as_bytes();
    if is_canonical(bytes, false) {
        return Cow::Borrowed(bytes);
    }
    let decoded = percent_decode(bytes);
    let mut out = Vec::with_capacity(decoded.len() + 8);
    write_encoded(&mut out, &decoded, false);
    Cow::Owned(out)
}

/// One canonical (encoded) query parameter: name and value.
type QueryPair<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// Writes the canonical query string. Parameters are decoded and re-encoded, a parameter without
/// `=` gets an empty value, and pairs sort by encoded name then value. With `skip_signature`
/// (presigned requests) `X-Amz-Signature` is left out.
pub(crate) fn write_canonical_query<S: Sink>(sink: &mut S, query: &str, skip_signature: bool) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<QueryPair<'_>> = Vec::new();
    for piece in query.split('&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let name = canonical_component(name);
        if skip_signature && &*name == b"X-Amz-Signature" {
            continue;
        }
        pairs.push((name, canonical_component(value)));
    }
    pairs.sort_unstable();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            sink.put(b"&");
        }
        sink.put(name);
        sink.put(b"=");
        sink.put(value);
    }
}

/// Writes the canonical URI. `s3` paths are decoded and encoded once, segment by segment;
/// every other service's path has dot segments and empty segments removed, then is encoded as
/// received (so `%20` on the wire signs as `%2520`, which is what AWS's SDKs compute).
pub(crate) fn write_canonical_uri<S: Sink>(sink: &mut S, path: &str, s3: bool) {
    if path.is_empty() {
        sink.put(b"/");
        return;
    }
    if s3 {
        let bytes = path.as_bytes();
        if is_canonical(bytes, true) {
            sink.put(bytes);
            return;
        }
        for (i, segment) in path.split('/').enumerate() {
            if i > 0 {
                sink.put(b"/");
            }
            write_encoded(sink, &percent_decode(segment.as_bytes()), false);
        }
        return;
    }
    if !needs_normalizing(path) {
        write_encoded(sink, path.as_bytes(), true);
        return;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    sink.put(b"/");
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            sink.put(b"/");
        }
        write_encoded(sink, segment.as_bytes(), false);
    }
    if !segments.is_empty() && path.ends_with('/') {
        sink.put(b"/");
    }
}

/// True when the path has empty, `.` or `..` segments, or does not start with `/`.
fn needs_normalizing(path: &str) -> bool {
    !path.starts_with('/') || path.contains("//") || path.split('/').any(|s| s == "." || s == "..")
}

/// Writes a header value with leading/trailing whitespace removed and inner runs collapsed to
/// one space (AWS's "Trimall").
fn write_trimmed_value<S: Sink>(sink: &mut S, value: &str) {
    for (i, word) in value.split_ascii_whitespace().enumerate() {
        if i > 0 {
            sink.put(b" ");
        }
        sink.put(word.as_bytes());
    }
}

/// Writes `name:value,value\n` for each signed header, in the order the client listed them.
/// A signed header the request lacks is written with an empty value.
pub(crate) fn write_canonical_headers<S: Sink>(
    sink: &mut S,
    headers: &[(&str, &str)],
    signed_headers: &[String],
) {
    for name in signed_headers {
        sink.put(name.as_bytes());
        sink.put(b":");
        let mut first = true;
        for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            if !first {
                sink.put(b",");
            }
            first = false;
            write_trimmed_value(sink, value);
        }
        sink.put(b"\n");
    }
}

/// Everything the canonical request is built from.
pub(crate) struct CanonicalParts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub signed_headers: &'a [String],
    pub s3: bool,
    pub presigned: bool,
    pub payload_hash: &'a str,
}

/// Writes the whole canonical request.
pub(crate) fn write_canonical_request<S: Sink>(sink: &mut S, p: &CanonicalParts<'_>) {
    sink.put(p.method.as_bytes());
    sink.put(b"\n");
    write_canonical_uri(sink, p.path, p.s3);
    sink.put(b"\n");
    write_canonical_query(sink, p.query, p.presigned);
    sink.put(b"\n");
    write_canonical_headers(sink, p.headers, p.signed_headers);
    sink.put(b"\n");
    for (i, name) in p.signed_headers.iter().enumerate() {
        if i > 0 {
            sink.put(b";");
        }
        sink.put(name.as_bytes());
    }
    sink.put(b"\n");
    sink.put(p.payload_hash.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str, s3: bool) -> String {
        let mut v = Vec::new();
        write_canonical_uri(&mut v, path, s3);
        String::from_utf8(v).unwrap()
    }

    fn query(q: &str) -> String {
        let mut v = Vec::new();
        write_canonical_query(&mut v, q, true);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn non_s3_paths_are_normalized_and_double_encoded() {
        assert_eq!(uri("/", false), "/");
        assert_eq!(uri("", false), "/");
        assert_eq!(uri("//example//", false), "/example/");
        assert_eq!(uri("/example1/example2/../..", false), "/");
        assert_eq!(uri("/./", false), "/");
        assert_eq!(uri("/a/./b/../c", false), "/a/c");
        assert_eq!(uri("/a b", false), "/a%20b");
        assert_eq!(uri("/a%20b", false), "/a%2520b");
        assert_eq!(uri("/a/b/", false), "/a/b/");
    }

    #[test]
    fn s3_paths_are_kept_and_encoded_once() {
        assert_eq!(
            uri("/bucket/my-object//example//photo.user", true),
            "/bucket/my-object//example//photo.user"
        );
        assert_eq!(uri("/bucket/a/../b", true), "/bucket/a/../b");
        assert_eq!(uri("/bucket/a%20b", true), "/bucket/a%20b");
        assert_eq!(uri("/bucket/a b", true), "/bucket/a%20b");
        assert_eq!(uri("/bucket/a%7eb", true), "/bucket/a~b");
        assert_eq!(uri("/bucket/a%2Fb!", true), "/bucket/a%2Fb%21");
        assert_eq!(uri("", true), "/");
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        assert_eq!(query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(query("flag&x=y"), "flag=&x=y");
        assert_eq!(query("a=b%20c&d=e+f"), "a=b%20c&d=e%2Bf");
        assert_eq!(query("k=%7e%2f"), "k=~%2F");
        assert_eq!(query("X-Amz-Signature=abc&X-Amz-Date=1"), "X-Amz-Date=1");
        assert_eq!(query("a=1&&b=2"), "a=1&b=2");
        assert_eq!(query("bad=%zz"), "bad=%25zz");
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let mut v = Vec::new();
        let headers = [("My-Header1", "  a   b  "), ("my-header1", "c"), ("Host", "h")];
        write_canonical_headers(
            &mut v,
            &headers,
            &["host".to_owned(), "my-header1".to_owned(), "absent".to_owned()],
        );
        assert_eq!(String::from_utf8(v).unwrap(), "host:h\nmy-header1:a b,c\nabsent:\n");
    }
}
