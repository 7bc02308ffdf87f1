//! `PackedPolicySize`: how much of the session's packed allotment its session policies and
//! session tags use, in percent.
//!
//! AWS compresses the inline session policy, the managed policy ARNs and the session tags into
//! a packed binary with a fixed allotment and reports the share used; it does not publish the
//! format or the allotment. xacct's formula (documented, deterministic):
//!
//! ```text
//! packed  = raw DEFLATE (level 9) of
//!             compact(Policy) ‖ "\n" ‖ each PolicyArn + "\n" ‖ each tag "key=value\n"
//!           where compact() re-serializes the JSON without insignificant whitespace
//! percent = ceil(100 × len(packed) / 1024)
//! ```
//!
//! Transitive tag keys do not count, as AWS documents. With this allotment a typical
//! tutorial-size policy uses 10–30 %, a 2,048-character policy well under 100 %, and 50 tags of
//! high-entropy 128/256-character keys and values far more than 100 % — the shapes AWS shows
//! (tags exhaust the packed space long before the 50-tag limit).

use std::io::Write as _;

use flate2::write::DeflateEncoder;
use flate2::Compression;

/// The packed allotment in bytes.
pub const PACKED_ALLOTMENT: usize = 1024;

/// The packed size of one request's session policies and tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedSize {
    /// Percent of the allotment used (may exceed 100).
    pub percent: u32,
    /// Whether session tags were part of it (they name the error message).
    pub has_tags: bool,
}

impl PackedSize {
    /// AWS's `PackedPolicyTooLarge` message for this size.
    pub fn message(&self) -> String {
        let what = if self.has_tags { "session tags" } else { "session policies" };
        format!("Packed size of {what} consumes {}% of allotted space.", self.percent)
    }
}

fn compact(policy: &str) -> String {
    serde_json::from_str::<serde_json::Value>(policy)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| policy.split_whitespace().collect())
}

/// The packed size of `policy`, `arns` and `tags` (see the module docs for the formula).
pub fn packed_policy_size(
    policy: Option<&str>,
    arns: &[String],
    tags: &[(String, String)],
) -> PackedSize {
    let mut raw = String::new();
    if let Some(p) = policy {
        raw.push_str(&compact(p));
        raw.push('\n');
    }
    for a in arns {
        raw.push_str(a);
        raw.push('\n');
    }
    for (k, v) in tags {
        raw.push_str(k);
        raw.push('=');
        raw.push_str(v);
        raw.push('\n');
    }
    if raw.is_empty() {
        // Nothing to pack (the common case): skip the compressor's large zeroed state.
        return PackedSize { percent: 0, has_tags: false };
    }
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail; a failure would only under-count, so fall back to raw.
    let packed_len = match enc.write_all(raw.as_bytes()).and_then(|()| enc.finish()) {
        Ok(bytes) => bytes.len(),
        Err(_) => raw.len(),
    };
    let percent = packed_len.saturating_mul(100).div_ceil(PACKED_ALLOTMENT);
    PackedSize { percent: u32::try_from(percent).unwrap_or(u32::MAX), has_tags: !tags.is_empty() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_zero() {
        assert_eq!(packed_policy_size(None, &[], &[]).percent, 0);
    }

    #[test]
    fn small_policy_is_small_and_whitespace_does_not_count() {
        let p = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::productionapp/*"}]}"#;
        let spaced = p.replace(',', " ,\n   ");
        let a = packed_policy_size(Some(p), &[], &[]);
        let b = packed_policy_size(Some(&spaced), &[], &[]);
        assert_eq!(a, b);
        assert!((1..=20).contains(&a.percent), "{a:?}");
        assert_eq!(
            a.message(),
            format!("Packed size of session policies consumes {}% of allotted space.", a.percent)
        );
    }

    #[test]
    fn grows_with_tags_and_arns() {
        let arns = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned()];
        let one = packed_policy_size(None, &arns, &[]);
        let tags: Vec<(String, String)> =
            (0..10).map(|i| (format!("Key{i}"), format!("value-{i}-{}", i * 7919))).collect();
        let more = packed_policy_size(None, &arns, &tags);
        assert!(more.percent > one.percent);
        assert!(more.has_tags);
        assert!(more.message().starts_with("Packed size of session tags consumes"));
    }

    #[test]
    fn fifty_high_entropy_tags_exceed_the_allotment() {
        // Deterministic high-entropy text (xorshift) so compression cannot help.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut text = |n: usize| -> String {
            (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    char::from(
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                            [(x % 62) as usize],
                    )
                })
                .collect()
        };
        let tags: Vec<(String, String)> = (0..50).map(|_| (text(128), text(256))).collect();
        let s = packed_policy_size(None, &[], &tags);
        assert!(s.percent > 100, "{s:?}");
    }
}
