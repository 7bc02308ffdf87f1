//! The request context: condition keys and their values, as the caller gathered them.
//! Key names are case-insensitive (so are tag keys after `aws:RequestTag/` etc., since the
//! whole key is folded); values keep their case.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use crate::policy::Fnv;

/// Condition keys → one or many string values. Keys are stored lowercased.
///
/// A context may be layered over a shared base ([`Context::layered`]): its own keys win, the
/// base answers the rest. A cached set of principal keys is then reused by many requests, each
/// adding its own keys, without copying the set.
#[derive(Debug, Clone, Default)]
pub struct Context {
    // FNV: keys are short and trusted-ish condition key names; lookups are on the hot path.
    entries: HashMap<Box<str>, Vec<String>, BuildHasherDefault<Fnv>>,
    base: Option<Arc<Context>>,
}

impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.len() == other.len() && self.keys().all(|k| self.get_folded(k) == other.get_folded(k))
    }
}

impl Eq for Context {}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// An empty context over `base`: lookups fall through to `base` for keys not set here.
    pub fn layered(base: Arc<Context>) -> Context {
        Context { entries: HashMap::default(), base: Some(base) }
    }

    /// Every key (lowercased), own keys first, each once.
    fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        let own = self.entries.keys().map(|k| &**k);
        let base =
            self.base.iter().flat_map(|b| b.keys()).filter(|k| !self.entries.contains_key(*k));
        own.chain(Box::new(base) as Box<dyn Iterator<Item = &str> + '_>)
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
        let key = key.to_lowercase();
        if self.base.as_ref().is_some_and(|b| b.get_folded(&key).is_some()) {
            // The base is shared: take its keys in before removing one of them.
            if let Some(base) = self.base.take() {
                for k in base.keys() {
                    if !self.entries.contains_key(k) {
                        let values = base.get_folded(k).map(<[String]>::to_vec).unwrap_or_default();
                        self.entries.insert(k.into(), values);
                    }
                }
            }
        }
        self.entries.remove(key.as_str())
    }

    /// Values of `key` (any case).
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
            self.get_folded(key.to_lowercase().as_str())
        } else {
            self.get_folded(key)
        }
    }

    /// Values of an already-lowercased key, without allocating.
    pub(crate) fn get_folded(&self, key: &str) -> Option<&[String]> {
        match self.entries.get(key) {
            Some(v) => Some(v.as_slice()),
            None => self.base.as_deref().and_then(|b| b.get_folded(key)),
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        match &self.base {
            None => self.entries.len(),
            Some(_) => self.keys().count(),
        }
    }

    /// No keys at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    fn a_layered_context_reads_through_and_its_own_keys_win() {
        let base = Arc::new(
            Context::new().with("aws:username", "David").with_many("aws:TagKeys", ["a", "b"]),
        );
        let mut c = Context::layered(Arc::clone(&base));
        c.insert("aws:SourceIp", "10.0.0.1").insert("aws:UserName", "Jane");
        assert_eq!(c.get("aws:username"), Some(&["Jane".to_owned()][..]));
        assert_eq!(c.get("aws:TagKeys").map(<[String]>::len), Some(2));
        assert_eq!(c.get("aws:sourceip"), Some(&["10.0.0.1".to_owned()][..]));
        assert_eq!(c.len(), 3);
        assert_eq!(base.get("aws:username"), Some(&["David".to_owned()][..]), "base untouched");
        let flat = Context::new()
            .with("aws:username", "Jane")
            .with_many("aws:TagKeys", ["a", "b"])
            .with("aws:SourceIp", "10.0.0.1");
        assert_eq!(c, flat);
        assert_eq!(c.remove("AWS:TagKeys").map(|v| v.len()), Some(2));
        assert_eq!(c.get("aws:tagkeys"), None);
        assert_eq!(c.len(), 2);
        assert_eq!(base.len(), 2, "removing from a layer leaves the shared base whole");
        assert!(Context::layered(Arc::new(Context::new())).is_empty());
    }

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
