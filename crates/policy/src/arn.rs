//! ARNs as the policy language sees them: `arn:partition:service:region:account:resource`,
//! matched segment by segment (case-sensitively) so a wildcard in the partition, service,
//! region or account never crosses a `:`, while one in the resource part spans `/` and `:`.

use std::cell::Cell;

use crate::glob::{wildcard_match, Glob};

/// The five matchable segments of a concrete ARN (`arn` itself dropped), borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArnParts<'a> {
    /// `aws`, `aws-cn`, ...
    pub partition: &'a str,
    /// `iam`, `s3`, ...
    pub service: &'a str,
    /// Region, empty for global services.
    pub region: &'a str,
    /// Account id, empty for S3 buckets.
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

impl<'a> ArnParts<'a> {
    /// Splits `text` if it is a six-part ARN; `None` otherwise.
    pub fn parse(text: &'a str) -> Option<ArnParts<'a>> {
        let mut it = text.splitn(6, ':');
        if it.next()? != "arn" {
            return None;
        }
        Some(ArnParts {
            partition: it.next()?,
            service: it.next()?,
            region: it.next()?,
            account: it.next()?,
            resource: it.next()?,
        })
    }
}

/// A request ARN, split into segments only if a pattern needs it.
#[derive(Debug)]
pub(crate) struct Target<'a> {
    text: &'a str,
    parts: Cell<Option<Option<ArnParts<'a>>>>,
}

impl<'a> Target<'a> {
    pub(crate) fn new(text: &'a str) -> Target<'a> {
        Target { text, parts: Cell::new(None) }
    }

    fn parts(&self) -> Option<ArnParts<'a>> {
        if let Some(p) = self.parts.get() {
            return p;
        }
        let p = ArnParts::parse(self.text);
        self.parts.set(Some(p));
        p
    }
}

/// A compiled ARN pattern (a Resource element entry or an `Arn*` condition value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// `*`.
    Any,
    /// A full ARN without wildcards: string equality.
    Exact(Box<str>),
    /// A full ARN whose only wildcard is a trailing `*` in the resource part: since the
    /// prefix holds all five colons, a string prefix test is the segment-wise match.
    Prefix(Box<str>),
    /// Segment-wise globs.
    Segments(Box<[Glob; 5]>),
    /// Not an ARN at all (only possible for condition values): whole-string glob.
    Text(Glob),
}

impl ArnPattern {
    /// Compiles pattern text. Missing trailing segments (IAM accepts `arn:aws:svc`) are `*`.
    pub(crate) fn new(text: &str) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Any;
        }
        let mut it = text.splitn(6, ':');
        if it.next() != Some("arn") {
            return ArnPattern::Text(Glob::new(text, false));
        }
        let mut seg = || it.next().map_or(Glob::Any, |s| Glob::new(s, false));
        let segments = [seg(), seg(), seg(), seg(), seg()];
        let fixed_head = segments.iter().take(4).all(|g| matches!(g, Glob::Exact(_)));
        let full = text.splitn(6, ':').count() == 6;
        if fixed_head && full {
            let head: Option<String> = segments
                .iter()
                .take(4)
                .map(|g| match g {
                    Glob::Exact(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(|parts| format!("arn:{}:", parts.join(":")));
            if let Some(head) = head {
                match segments.get(4) {
                    Some(Glob::Exact(r)) => return ArnPattern::Exact(format!("{head}{r}").into()),
                    Some(Glob::Prefix(r)) => {
                        return ArnPattern::Prefix(format!("{head}{r}").into())
                    }
                    _ => {}
                }
            }
        }
        ArnPattern::Segments(Box::new(segments))
    }

    /// Matches a request ARN.
    pub(crate) fn matches(&self, target: &Target<'_>) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Exact(e) => **e == *target.text,
            ArnPattern::Prefix(p) => target.text.starts_with(&**p),
            ArnPattern::Text(g) => g.matches(target.text, false),
            ArnPattern::Segments(s) => match target.parts() {
                Some(p) => {
                    let [partition, service, region, account, resource] = s.as_ref();
                    service.matches(p.service, false)
                        && resource.matches(p.resource, false)
                        && account.matches(p.account, false)
                        && region.matches(p.region, false)
                        && partition.matches(p.partition, false)
                }
                None => false,
            },
        }
    }
}

/// Matches pattern text (e.g. a rendered policy variable, literal markers included) segment
/// by segment without compiling it: the per-request path for templated patterns.
pub(crate) fn matches_text(pattern: &str, target: &Target<'_>) -> bool {
    if pattern == "*" {
        return true;
    }
    let mut it = pattern.splitn(6, ':');
    if it.next() != Some("arn") {
        return wildcard_match(pattern, target.text, false);
    }
    let Some(p) = target.parts() else {
        return false;
    };
    for text in [p.partition, p.service, p.region, p.account, p.resource] {
        match it.next() {
            Some(seg) if !wildcard_match(seg, text, false) => return false,
            Some(_) => {}
            // Missing trailing segments are `*`.
            None => return true,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, arn: &str) -> bool {
        ArnPattern::new(pattern).matches(&Target::new(arn))
    }

    #[test]
    fn splits_six_parts() {
        let p = ArnParts::parse("arn:aws:logs:us-east-1:111:log-group:x:*").unwrap();
        assert_eq!(p.service, "logs");
        assert_eq!(p.resource, "log-group:x:*");
        assert!(ArnParts::parse("arn:aws:s3::x").is_none());
        assert!(ArnParts::parse("foo").is_none());
    }

    #[test]
    fn resource_wildcard_spans_slash_and_colon() {
        assert!(m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c"));
        assert!(m("arn:aws:logs:*:111:*", "arn:aws:logs:us-east-1:111:log-group:x:y"));
        assert!(!m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket2/a"));
    }

    #[test]
    fn segment_wildcards_do_not_cross_colons() {
        // `*` in the region segment cannot absorb the account.
        assert!(!m("arn:aws:ec2:*:instance/i-1", "arn:aws:ec2:us-east-1:111:instance/i-1"));
        assert!(m("arn:aws:ec2:*:*:instance/i-1", "arn:aws:ec2:us-east-1:111:instance/i-1"));
        assert!(m("arn:aws:iam::*:role/UpdateApp", "arn:aws:iam::999999999999:role/UpdateApp"));
    }

    #[test]
    fn fast_forms_agree_with_segments() {
        assert!(matches!(ArnPattern::new("arn:aws:iam::1:role/R"), ArnPattern::Exact(_)));
        assert!(matches!(ArnPattern::new("arn:aws:s3:::b/*"), ArnPattern::Prefix(_)));
        assert!(matches!(ArnPattern::new("arn:aws:s3:*::b/*"), ArnPattern::Segments(_)));
        assert!(m("arn:aws:iam::1:role/R", "arn:aws:iam::1:role/R"));
        assert!(!m("arn:aws:iam::1:role/R", "arn:aws:iam::1:role/R2"));
        assert!(m("arn:aws:s3:::b/*", "arn:aws:s3:::b/"));
        assert!(!m("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
        let literal = format!("arn:aws:s3:::b{}", crate::glob::LITERAL_STAR);
        assert!(m(&literal, "arn:aws:s3:::b*"));
        assert!(!m(&literal, "arn:aws:s3:::bx"));
    }

    #[test]
    fn text_matching_agrees_with_compiled() {
        let arns = [
            "arn:aws:s3:::b/k",
            "arn:aws:iam::1:role/R",
            "arn:aws:logs:us-east-1:1:log-group:x:y",
            "*",
            "nope",
        ];
        let patterns = [
            "*",
            "arn:aws:s3:::b/*",
            "arn:aws:s3",
            "arn:aws:iam::*:role/?",
            "arn:*:logs:*:*:*",
            "no*",
            "arn:aws:s3:::b/k",
        ];
        for p in patterns {
            for a in arns {
                assert_eq!(matches_text(p, &Target::new(a)), m(p, a), "{p} vs {a}");
            }
        }
    }

    #[test]
    fn case_sensitive() {
        assert!(!m("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket"));
        assert!(!m("arn:aws:S3:::bucket", "arn:aws:s3:::bucket"));
    }

    #[test]
    fn short_patterns_pad_with_wildcards() {
        assert!(m("arn:aws:s3", "arn:aws:s3:::anything"));
        assert!(!m("arn:aws:s3", "arn:aws:iam::1:root"));
    }

    #[test]
    fn non_arn_request_matches_only_star_or_text() {
        assert!(m("*", "*"));
        assert!(!m("arn:aws:s3:::*", "*"));
    }
}
