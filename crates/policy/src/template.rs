//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`) and the
//! escapes `${*}`, `${?}`, `${$}` in Resource and condition values. Only documents with
//! `"Version": "2012-10-17"` have variables; in older ones the text is literal.

use crate::glob::{LITERAL_QUESTION, LITERAL_STAR};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(Box<str>),
    Star,
    Question,
    Dollar,
    Var { key: Box<str>, default: Option<Box<str>> },
}

/// A value that holds at least one policy variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Box<[Part]>,
}

/// A value as written in the policy: constant text (escapes already applied) or a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Text {
    Const(Box<str>),
    Template(Template),
}

/// How escapes are rendered: for wildcard matching a literal `*`/`?` must not be a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Glob,
    Plain,
}

fn parse_parts(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let (before, after) = rest.split_at(start);
        lit.push_str(before);
        let inner_and_more = after.get(2..).unwrap_or("");
        let Some(end) = inner_and_more.find('}') else {
            // No closing brace: the remainder is literal text.
            lit.push_str(after);
            rest = "";
            break;
        };
        let inner = inner_and_more.get(..end).unwrap_or("");
        rest = inner_and_more.get(end + 1..).unwrap_or("");
        let part = match inner {
            "*" => Part::Star,
            "?" => Part::Question,
            "$" => Part::Dollar,
            _ => match parse_var(inner) {
                Some(p) => p,
                None => {
                    lit.push_str("${");
                    lit.push_str(inner);
                    lit.push('}');
                    continue;
                }
            },
        };
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(&mut lit).into()));
        }
        parts.push(part);
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        parts.push(Part::Lit(lit.into()));
    }
    parts
}

fn parse_var(inner: &str) -> Option<Part> {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let d = default.trim();
            let d = d.strip_prefix('\'')?.strip_suffix('\'')?;
            (key.trim(), Some(d.into()))
        }
        None => (inner.trim(), None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some(Part::Var { key: key.to_lowercase().into(), default })
}

impl Text {
    /// Parses a policy value. `variables` is false for pre-2012-10-17 documents.
    pub(crate) fn new(text: &str, variables: bool, mode: Mode) -> Text {
        if !variables || !text.contains("${") {
            return Text::Const(text.into());
        }
        let parts = parse_parts(text);
        if parts.iter().any(|p| matches!(p, Part::Var { .. })) {
            return Text::Template(Template { parts: parts.into() });
        }
        let mut out = String::with_capacity(text.len());
        for p in &parts {
            render_fixed(p, mode, &mut out);
        }
        Text::Const(out.into())
    }
}

fn render_fixed(p: &Part, mode: Mode, out: &mut String) {
    match (p, mode) {
        (Part::Lit(s), _) => out.push_str(s),
        (Part::Star, Mode::Glob) => out.push(LITERAL_STAR),
        (Part::Question, Mode::Glob) => out.push(LITERAL_QUESTION),
        (Part::Star, Mode::Plain) => out.push('*'),
        (Part::Question, Mode::Plain) => out.push('?'),
        (Part::Dollar, _) => out.push('$'),
        (Part::Var { .. }, _) => {}
    }
}

impl Template {
    /// Renders into `out` using `lookup` (lowercased key → its single value). Returns false
    /// when a variable's key is missing and it has no default: that value then matches nothing.
    pub(crate) fn render<'v>(
        &self,
        lookup: impl Fn(&str) -> Option<&'v str>,
        mode: Mode,
        out: &mut String,
    ) -> bool {
        out.clear();
        for p in self.parts.iter() {
            match p {
                Part::Var { key, default } => {
                    let value = match lookup(key) {
                        Some(v) => v,
                        None => match default {
                            Some(d) => d,
                            None => return false,
                        },
                    };
                    // Substituted values are data, never wildcards.
                    for c in value.chars() {
                        match (c, mode) {
                            ('*', Mode::Glob) => out.push(LITERAL_STAR),
                            ('?', Mode::Glob) => out.push(LITERAL_QUESTION),
                            (c, _) => out.push(c),
                        }
                    }
                }
                fixed => render_fixed(fixed, mode, out),
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, mode: Mode, lookup: &[(&str, &str)]) -> Option<String> {
        match Text::new(text, true, mode) {
            Text::Const(c) => Some(c.into()),
            Text::Template(t) => {
                let mut out = String::new();
                let ok = t.render(
                    |k| lookup.iter().find(|(key, _)| *key == k).map(|(_, v)| *v),
                    mode,
                    &mut out,
                );
                ok.then_some(out)
            }
        }
    }

    #[test]
    fn substitutes_variables_case_insensitively() {
        let got = render("home/${aws:UserName}/*", Mode::Plain, &[("aws:username", "David")]);
        assert_eq!(got.as_deref(), Some("home/David/*"));
    }

    #[test]
    fn missing_key_without_default_fails() {
        assert_eq!(render("${aws:username}", Mode::Plain, &[]), None);
    }

    #[test]
    fn default_value_form() {
        let got = render("${aws:PrincipalTag/team, 'company-wide'}", Mode::Plain, &[]);
        assert_eq!(got.as_deref(), Some("company-wide"));
        let got = render(
            "${aws:PrincipalTag/team, 'company-wide'}",
            Mode::Plain,
            &[("aws:principaltag/team", "blue")],
        );
        assert_eq!(got.as_deref(), Some("blue"));
    }

    #[test]
    fn escapes() {
        assert_eq!(render("a${*}b${?}c${$}", Mode::Plain, &[]).as_deref(), Some("a*b?c$"));
        let glob = render("a${*}", Mode::Glob, &[]).unwrap();
        assert_eq!(glob, format!("a{LITERAL_STAR}"));
    }

    #[test]
    fn substituted_wildcards_are_literal_in_glob_mode() {
        let got = render("${aws:username}", Mode::Glob, &[("aws:username", "a*")]).unwrap();
        assert_eq!(got, format!("a{LITERAL_STAR}"));
    }

    #[test]
    fn old_version_is_literal() {
        assert_eq!(
            Text::new("${aws:username}", false, Mode::Plain),
            Text::Const("${aws:username}".into())
        );
    }

    #[test]
    fn unclosed_is_literal() {
        assert_eq!(render("a${aws:username", Mode::Plain, &[]).as_deref(), Some("a${aws:username"));
    }
}
