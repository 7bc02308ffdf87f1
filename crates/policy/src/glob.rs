//! Wildcard matching with `*` (any run, possibly empty) and `?` (exactly one character), the
//! only wildcards of the IAM policy language. Patterns are compiled once into the cheapest
//! matcher that fits (exact, prefix, suffix, general) and matched without allocating.
//!
//! Literal `*`/`?` produced by the policy-variable escapes `${*}`/`${?}` are carried inside
//! pattern text as the private-use characters [`LITERAL_STAR`]/[`LITERAL_QUESTION`].

/// Stands for a literal `*` inside pattern text.
pub(crate) const LITERAL_STAR: char = '\u{E000}';
/// Stands for a literal `?` inside pattern text.
pub(crate) const LITERAL_QUESTION: char = '\u{E001}';

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Glob {
    /// `*`: matches everything.
    Any,
    /// No wildcard: equality.
    Exact(Box<str>),
    /// `text*`.
    Prefix(Box<str>),
    /// `*text`.
    Suffix(Box<str>),
    /// Anything else; the text keeps its wildcards (and literal markers).
    General(Box<str>),
}

fn unescape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            LITERAL_STAR => '*',
            LITERAL_QUESTION => '?',
            other => other,
        })
        .collect()
}

fn is_wild(c: char) -> bool {
    c == '*' || c == '?'
}

impl Glob {
    /// Compiles `pattern`. With `fold_case`, the pattern is lowercased here and matching
    /// compares ASCII case-insensitively (IAM action names are ASCII).
    pub(crate) fn new(pattern: &str, fold_case: bool) -> Glob {
        let owned;
        let pattern = if fold_case {
            owned = pattern.to_ascii_lowercase();
            owned.as_str()
        } else {
            pattern
        };
        if pattern == "*" {
            return Glob::Any;
        }
        let wild_count = pattern.chars().filter(|c| is_wild(*c)).count();
        if wild_count == 0 {
            return Glob::Exact(unescape(pattern).into());
        }
        if wild_count == 1 {
            if let Some(head) = pattern.strip_suffix('*') {
                return Glob::Prefix(unescape(head).into());
            }
            if let Some(tail) = pattern.strip_prefix('*') {
                return Glob::Suffix(unescape(tail).into());
            }
        }
        Glob::General(pattern.into())
    }

    /// Does `text` match? With `fold_case`, the pattern must have been compiled folded.
    pub(crate) fn matches(&self, text: &str, fold_case: bool) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(p) => eq(p, text, fold_case),
            Glob::Prefix(p) => {
                text.len() >= p.len() && text.get(..p.len()).is_some_and(|h| eq(p, h, fold_case))
            }
            Glob::Suffix(p) => {
                text.len() >= p.len()
                    && text.get(text.len() - p.len()..).is_some_and(|t| eq(p, t, fold_case))
            }
            Glob::General(p) => wildcard_match(p, text, fold_case),
        }
    }
}

fn eq(pattern: &str, text: &str, fold_case: bool) -> bool {
    if fold_case {
        pattern.len() == text.len()
            && pattern.bytes().zip(text.bytes()).all(|(p, t)| p == t.to_ascii_lowercase())
    } else {
        pattern == text
    }
}

fn char_eq(p: char, t: char, fold_case: bool) -> bool {
    let p = match p {
        LITERAL_STAR => '*',
        LITERAL_QUESTION => '?',
        other => other,
    };
    if fold_case {
        p == t.to_ascii_lowercase()
    } else {
        p == t
    }
}

/// General `*`/`?` matching: greedy with backtracking to the last `*`, linear in practice and
/// O(n·m) at worst, never recursive, never allocating.
pub(crate) fn wildcard_match(pattern: &str, text: &str, fold_case: bool) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // (pattern index after the star, text index the star currently absorbs up to)
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        let p = pattern.get(pi..).and_then(|s| s.chars().next());
        let t = text.get(ti..).and_then(|s| s.chars().next());
        match (p, t) {
            (Some('*'), _) => {
                pi += 1;
                backtrack = Some((pi, ti));
                continue;
            }
            (Some('?'), Some(tc)) => {
                pi += 1;
                ti += tc.len_utf8();
                continue;
            }
            (Some(pc), Some(tc)) if char_eq(pc, tc, fold_case) => {
                pi += pc.len_utf8();
                ti += tc.len_utf8();
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        // Mismatch: let the last star absorb one more character, if there was one.
        match backtrack {
            Some((bp, bt)) => {
                let Some(c) = text.get(bt..).and_then(|s| s.chars().next()) else {
                    return false;
                };
                let next = bt + c.len_utf8();
                backtrack = Some((bp, next));
                pi = bp;
                ti = next;
            }
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_to_cheapest_form() {
        assert_eq!(Glob::new("*", false), Glob::Any);
        assert_eq!(Glob::new("s3:GetObject", true), Glob::Exact("s3:getobject".into()));
        assert_eq!(Glob::new("s3:*", true), Glob::Prefix("s3:".into()));
        assert_eq!(Glob::new("*Object", false), Glob::Suffix("Object".into()));
        assert!(matches!(Glob::new("s3:*Obj*", false), Glob::General(_)));
    }

    #[test]
    fn action_matching_is_case_insensitive() {
        let g = Glob::new("S3:Get*", true);
        assert!(g.matches("s3:GetObject", true));
        assert!(g.matches("S3:GETOBJECT", true));
        assert!(!g.matches("s3:PutObject", true));
        let g = Glob::new("iam:*Role*", true);
        assert!(g.matches("iam:PassRole", true));
        assert!(g.matches("iam:rolely", true));
        assert!(!g.matches("iam:CreateUser", true));
    }

    #[test]
    fn question_mark_is_exactly_one_character() {
        assert!(wildcard_match("a?c", "abc", false));
        assert!(wildcard_match("a?c", "aéc", false));
        assert!(!wildcard_match("a?c", "ac", false));
        assert!(!wildcard_match("a?c", "abbc", false));
    }

    #[test]
    fn star_backtracks() {
        assert!(wildcard_match("*a*b*c", "xxaxxbxxc", false));
        assert!(wildcard_match("a*", "a", false));
        assert!(wildcard_match("*", "", false));
        assert!(!wildcard_match("*a*b*c", "xxaxxbxx", false));
        assert!(wildcard_match("home/*/x?z", "home/a/b/xyz", false));
    }

    #[test]
    fn literal_markers_match_only_the_literal() {
        let pat = format!("a{LITERAL_STAR}b");
        assert!(wildcard_match(&pat, "a*b", false));
        assert!(!wildcard_match(&pat, "axb", false));
        let g = Glob::new(&pat, false);
        assert_eq!(g, Glob::Exact("a*b".into()));
    }

    #[test]
    fn case_sensitive_when_not_folding() {
        assert!(!Glob::new("Foo*", false).matches("foobar", false));
        assert!(Glob::new("Foo*", false).matches("Foobar", false));
    }
}
