//! The request context: condition keys and their values, as the caller gathered them.
//! Key names are case-insensitive (so are tag keys after `aws:RequestTag/` etc., since the
//! whole key is folded); values keep their case.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::policy::Fnv;

/// Condition keys → one or many string values. Keys are stored lowercased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    // FNV: keys are short and trusted-ish condition key names; lookups are on the hot path.
    entries: HashMap<Box<str>, Vec<String>, BuildHasherDefault<Fnv>>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets `key` to the single value `value` (replacing what was there).
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl Into<String>) -> &mut Context {
        self.entries.insert(key.as_ref().to_lowercase().into(), vec![value.into()]);
        self
    }

    /// Sets `key` to a multi-valued set (e.g. `aws:TagKeys`); an empty set is kept as present
    /// but empty, which matters for `ForAllValues`/`ForAnyValue` and `Null`.
    pub fn insert_many<I, S>(&mut self, key: impl AsRef<str>, values: I) -> &mut Context
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.entries.insert(
            key.as_ref().to_lowercase().into(),
            values.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Builder form of [`Context::insert`].
    #[must_use]
    pub fn with(mut self, key: impl AsRef<str>, value: impl Into<String>) -> Context {
        self.insert(key, value);
        self
    }

    /// Builder form of [`Context::insert_many`].
    #[must_use]
    pub fn with_many<I, S>(mut self, key: impl AsRef<str>, values: I) -> Context
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.insert_many(key, values);
        self
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) -> Option<Vec<String>> {
        self.entries.remove(key.to_lowercase().as_str())
    }

    /// Values of `key` (any case).
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
            self.entries.get(key.to_lowercase().as_str()).map(Vec::as_slice)
        } else {
            self.get_folded(key)
        }
    }

    /// Values of an already-lowercased key, without allocating.
    pub(crate) fn get_folded(&self, key: &str) -> Option<&[String]> {
        self.entries.get(key).map(Vec::as_slice)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No keys at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The values a key has in one request: the caller's, or one derived from the principal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    Many(&'a [String]),
    One(&'a str),
}

impl<'a> Values<'a> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Values::Many(v) => v.len(),
            Values::One(_) => 1,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn single(&self) -> Option<&'a str> {
        match *self {
            Values::Many([one]) => Some(one.as_str()),
            Values::Many(_) => None,
            Values::One(v) => Some(v),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        let (many, one): (&'a [String], Option<&'a str>) = match *self {
            Values::Many(v) => (v, None),
            Values::One(v) => (&[], Some(v)),
        };
        many.iter().map(String::as_str).chain(one)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let ctx =
            Context::new().with("AWS:SourceIp", "203.0.113.5").with("aws:ResourceTag/Team", "x");
        assert_eq!(ctx.get("aws:sourceip").unwrap(), ["203.0.113.5"]);
        assert_eq!(ctx.get("aws:SOURCEIP").unwrap(), ["203.0.113.5"]);
        assert_eq!(ctx.get("aws:resourcetag/team").unwrap(), ["x"]);
        assert!(ctx.get("aws:username").is_none());
    }

    #[test]
    fn many_values_and_empty_sets() {
        let ctx = Context::new()
            .with_many("aws:TagKeys", ["a", "b"])
            .with_many("x:Empty", Vec::<String>::new());
        assert_eq!(ctx.get("aws:tagkeys").unwrap().len(), 2);
        assert_eq!(ctx.get("x:empty").unwrap().len(), 0);
        let v = Values::Many(ctx.get("aws:tagkeys").unwrap());
        assert_eq!(v.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert!(v.single().is_none());
        assert_eq!(Values::One("z").single(), Some("z"));
    }
}
