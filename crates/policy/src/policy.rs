//! A parsed, validated, compiled policy and its per-action statement index.
//!
//! Compile once, evaluate many: action patterns are lowercased once, resource patterns split
//! into ARN segments once, conditions compiled once. Statements are indexed by exact action
//! and by service prefix so evaluation cost does not grow with statements about other
//! actions; `NotAction` and wildcard-service statements sit in a short general list.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::arn::{matches_text, ArnPattern, Target};
use crate::condition::Condition;
use crate::error::PolicyError;
use crate::glob::Glob;
use crate::parse::parse_document;
use crate::principal::PrincipalSpec;
use crate::template::Template;

/// Which kind of policy a document is; validation rules and size quotas depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Managed or inline identity-based policy (no Principal).
    Identity,
    /// Resource-based policy (S3 bucket, KMS key, …): Principal required.
    Resource,
    /// Role trust policy: Principal required, no Resource, STS actions only.
    Trust,
    /// Organizations service control policy.
    Scp,
    /// Organizations resource control policy (Principal must be `*`).
    Rcp,
    /// Permissions boundary (a managed policy used as a boundary).
    PermissionsBoundary,
    /// Session policy passed to AssumeRole*/GetFederationToken.
    Session,
}

impl PolicyKind {
    /// The AWS size quota for the kind, in characters without whitespace: managed policies
    /// 6,144; role trust policy 2,048 (default quota); SCP and RCP 5,120; session 2,048.
    /// Resource-based policies are service-specific (S3 20 KB, KMS 32 KB): none by default.
    pub fn default_max_size(self) -> Option<usize> {
        match self {
            PolicyKind::Identity | PolicyKind::PermissionsBoundary => Some(6144),
            PolicyKind::Trust | PolicyKind::Session => Some(2048),
            PolicyKind::Scp | PolicyKind::Rcp => Some(5120),
            PolicyKind::Resource => None,
        }
    }

    pub(crate) fn requires_resource(self) -> bool {
        self != PolicyKind::Trust
    }

    pub(crate) fn requires_principal(self) -> bool {
        matches!(self, PolicyKind::Resource | PolicyKind::Trust | PolicyKind::Rcp)
    }

    /// Whether statements of this kind name principals (and so are matched against them).
    pub(crate) fn has_principals(self) -> bool {
        self.requires_principal()
    }
}

/// Knobs for [`Policy::parse_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Overrides the kind's size quota (e.g. 10,240 for an inline role policy, or a raised
    /// trust-policy quota up to 4,096).
    pub max_size: Option<usize>,
    /// Refuse documents without `"Version": "2012-10-17"`, as `CreatePolicy` does.
    pub require_current_version: bool,
}

/// Policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2008-10-17`, or no Version: no policy variables.
    V2008,
    /// `2012-10-17`.
    V2012,
}

/// A statement's Effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementEffect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

impl StatementEffect {
    /// `Allow` / `Deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementEffect::Allow => "Allow",
            StatementEffect::Deny => "Deny",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionMatcher {
    pub(crate) patterns: Vec<Glob>,
    pub(crate) negated: bool,
}

impl ActionMatcher {
    /// `action` as the request names it (any case).
    pub(crate) fn matches(&self, action: &str) -> bool {
        self.patterns.iter().any(|g| g.matches(action, true)) != self.negated
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ResourcePattern {
    Fixed(ArnPattern),
    Template(Template),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourceMatcher {
    pub(crate) patterns: Vec<ResourcePattern>,
    pub(crate) negated: bool,
}

/// One compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) sid: Option<Arc<str>>,
    pub(crate) index: usize,
    pub(crate) effect: StatementEffect,
    pub(crate) principal: Option<(PrincipalSpec, bool)>,
    pub(crate) actions: ActionMatcher,
    /// `None` in trust policies, which have no Resource element: any resource.
    pub(crate) resources: Option<ResourceMatcher>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    pub(crate) fn resource_matches(
        &self,
        target: &Target<'_>,
        scratch: &mut String,
        render: impl Fn(&Template, &mut String) -> bool,
    ) -> bool {
        let Some(m) = &self.resources else {
            return true;
        };
        let hit = m.patterns.iter().any(|p| match p {
            ResourcePattern::Fixed(a) => a.matches(target),
            ResourcePattern::Template(t) => render(t, scratch) && matches_text(scratch, target),
        });
        hit != m.negated
    }
}

/// FNV-1a: the index keys are short action names; SipHash's DoS resistance buys nothing here.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<V> = HashMap<Box<str>, V, BuildHasherDefault<Fnv>>;

/// Below this many statements a linear scan beats hashing.
const INDEX_THRESHOLD: usize = 8;

#[derive(Debug, Default)]
struct ActionIndex {
    exact: FastMap<Vec<u32>>,
    by_service: FastMap<Vec<u32>>,
    general: Vec<u32>,
}

impl ActionIndex {
    fn build(statements: &[Statement]) -> ActionIndex {
        let mut index = ActionIndex::default();
        for (i, st) in statements.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            if st.actions.negated {
                index.general.push(i);
                continue;
            }
            for g in &st.actions.patterns {
                let (list, key) = match g {
                    Glob::Exact(a) => (&mut index.exact, a.to_string()),
                    Glob::Any => {
                        push_unique(&mut index.general, i);
                        continue;
                    }
                    Glob::Prefix(p) | Glob::General(p) => match p.split_once(':') {
                        Some((svc, _)) if !svc.contains(['*', '?']) => {
                            (&mut index.by_service, svc.to_owned())
                        }
                        _ => {
                            push_unique(&mut index.general, i);
                            continue;
                        }
                    },
                    Glob::Suffix(_) => {
                        push_unique(&mut index.general, i);
                        continue;
                    }
                };
                push_unique(list.entry(key.into()).or_default(), i);
            }
        }
        index
    }
}

fn push_unique(v: &mut Vec<u32>, i: u32) {
    if v.last() != Some(&i) {
        v.push(i);
    }
}

/// A parsed, validated and compiled policy. Cheap to share (`Arc<Policy>`), `Send + Sync`.
#[derive(Debug)]
pub struct Policy {
    label: Arc<str>,
    kind: PolicyKind,
    version: Version,
    id: Option<String>,
    statements: Vec<Statement>,
    index: Option<ActionIndex>,
}

impl Policy {
    /// Parses, validates (IAM's rules and messages for `kind`) and compiles a document.
    pub fn parse(document: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        Policy::parse_with(document, kind, &ParseOptions::default())
    }

    /// [`Policy::parse`] with explicit options (size quota, required version).
    pub fn parse_with(
        document: &str,
        kind: PolicyKind,
        options: &ParseOptions,
    ) -> Result<Policy, PolicyError> {
        let parsed = parse_document(document, kind, options)?;
        let index = (parsed.statements.len() > INDEX_THRESHOLD)
            .then(|| ActionIndex::build(&parsed.statements));
        Ok(Policy {
            label: Arc::from(""),
            kind,
            version: parsed.version,
            id: parsed.id,
            statements: parsed.statements,
            index,
        })
    }

    /// A customer managed policy as `CreatePolicy` accepts it (Version 2012-10-17 required).
    pub fn parse_managed(document: &str) -> Result<Policy, PolicyError> {
        Policy::parse_with(
            document,
            PolicyKind::Identity,
            &ParseOptions { require_current_version: true, ..ParseOptions::default() },
        )
    }

    /// Names the policy in decision traces.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Policy {
        self.label = Arc::from(label.into());
        self
    }

    /// The trace label.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn label_arc(&self) -> &Arc<str> {
        &self.label
    }

    /// The kind it was validated as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The language version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The `Id` element.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Number of statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// Calls `f` with each statement that may apply to `action`, in document order, each
    /// once. `action_lc` is the lowercased action; `service_lc` its service prefix.
    pub(crate) fn for_candidates(
        &self,
        action_lc: &str,
        service_lc: &str,
        mut f: impl FnMut(&Statement),
    ) {
        let Some(index) = &self.index else {
            self.statements.iter().for_each(f);
            return;
        };
        let a: &[u32] = index.exact.get(action_lc).map_or(&[], Vec::as_slice);
        let b: &[u32] = index.by_service.get(service_lc).map_or(&[], Vec::as_slice);
        let c: &[u32] = &index.general;
        let (mut i, mut j, mut k) = (0, 0, 0);
        loop {
            let next = [a.get(i), b.get(j), c.get(k)].into_iter().flatten().min().copied();
            let Some(n) = next else { break };
            if a.get(i) == Some(&n) {
                i += 1;
            }
            if b.get(j) == Some(&n) {
                j += 1;
            }
            if c.get(k) == Some(&n) {
                k += 1;
            }
            if let Some(st) = usize::try_from(n).ok().and_then(|n| self.statements.get(n)) {
                f(st);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn many(n: usize, last: &str) -> Policy {
        let mut st: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"Effect":"Allow","Action":"svc{i}:Get{i}","Resource":"*"}}"#))
            .collect();
        st.push(last.to_owned());
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, st.join(","));
        Policy::parse_with(
            &doc,
            PolicyKind::Identity,
            &ParseOptions { max_size: Some(1 << 20), ..Default::default() },
        )
        .unwrap()
    }

    fn candidates(p: &Policy, action: &str) -> Vec<usize> {
        let a = action.to_ascii_lowercase();
        let svc = a.split(':').next().unwrap().to_owned();
        let mut out = vec![];
        p.for_candidates(&a, &svc, |s| out.push(s.index));
        out
    }

    #[test]
    fn index_narrows_to_relevant_statements() {
        let p =
            many(20, r#"{"Effect":"Allow","Action":["s3:Get*","s3:GetObject"],"Resource":"*"}"#);
        assert!(p.index.is_some());
        assert_eq!(candidates(&p, "s3:GetObject"), vec![20]);
        assert_eq!(candidates(&p, "SVC3:get3"), vec![3]);
        assert_eq!(candidates(&p, "ec2:RunInstances"), Vec::<usize>::new());
    }

    #[test]
    fn general_list_holds_not_action_and_wildcards() {
        let p = many(10, r#"{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}"#);
        assert_eq!(candidates(&p, "ec2:RunInstances"), vec![10]);
        let p = many(10, r#"{"Effect":"Allow","Action":["*","s3:GetObject"],"Resource":"*"}"#);
        assert_eq!(candidates(&p, "s3:GetObject"), vec![10]);
        let p = many(10, r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
        assert_eq!(candidates(&p, "s3:GetObject"), vec![10]);
    }

    #[test]
    fn policy_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Policy>();
    }
}
