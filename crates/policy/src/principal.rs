//! Who is asking (the request principal, as authentication established it) and how a
//! statement's `Principal`/`NotPrincipal` names principals.

/// What kind of principal made the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An account's root user.
    Root,
    /// An IAM user.
    IAMUser,
    /// A role session (`arn:aws:sts::A:assumed-role/ROLE/SESSION`); `role_arn` is the role.
    AssumedRole,
    /// A `GetFederationToken` session (`arn:aws:sts::A:federated-user/NAME`).
    FederatedUser,
    /// An AWS service principal; `arn` is its name, e.g. `ecs.amazonaws.com`.
    Service,
    /// A web-identity or SAML caller of `AssumeRoleWithWebIdentity`/`AssumeRoleWithSAML`;
    /// `arn` is the provider (`cognito-identity.amazonaws.com`, a `saml-provider` ARN).
    WebIdentity,
    /// An unauthenticated caller; only `"*"` principals name it.
    Anonymous,
}

/// The request principal. Borrowed: the caller owns the strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal<'a> {
    /// Kind of principal.
    pub kind: PrincipalKind,
    /// Its ARN (service name for `Service`, provider for `WebIdentity`).
    pub arn: &'a str,
    /// Account the principal belongs to (empty for services and anonymous callers).
    pub account: &'a str,
    /// For `AssumedRole`: the role's ARN.
    pub role_arn: Option<&'a str>,
    /// The IAM unique id (`AIDA…` of a user, `AROA…` of a session's role): trust policies
    /// store principals as unique ids, so a statement naming this id names the principal.
    pub unique_id: Option<&'a str>,
    /// For `FederatedUser`: the ARN of the IAM user who called `GetFederationToken`.
    pub source_user_arn: Option<&'a str>,
}

impl<'a> Principal<'a> {
    fn base(kind: PrincipalKind, arn: &'a str, account: &'a str) -> Principal<'a> {
        Principal { kind, arn, account, role_arn: None, unique_id: None, source_user_arn: None }
    }

    /// An account's root user (`arn:aws:iam::ACCOUNT:root`).
    pub fn root(arn: &'a str, account: &'a str) -> Principal<'a> {
        Principal::base(PrincipalKind::Root, arn, account)
    }

    /// An IAM user.
    pub fn user(arn: &'a str, account: &'a str) -> Principal<'a> {
        Principal::base(PrincipalKind::IAMUser, arn, account)
    }

    /// A role session: its session ARN and the role's ARN.
    pub fn assumed_role(
        session_arn: &'a str,
        role_arn: &'a str,
        account: &'a str,
    ) -> Principal<'a> {
        Principal {
            role_arn: Some(role_arn),
            ..Principal::base(PrincipalKind::AssumedRole, session_arn, account)
        }
    }

    /// A federated-user session.
    pub fn federated_user(arn: &'a str, account: &'a str) -> Principal<'a> {
        Principal::base(PrincipalKind::FederatedUser, arn, account)
    }

    /// A service principal such as `ecs.amazonaws.com`.
    pub fn service(name: &'a str) -> Principal<'a> {
        Principal::base(PrincipalKind::Service, name, "")
    }

    /// A web-identity / SAML caller of the given provider.
    pub fn web_identity(provider: &'a str) -> Principal<'a> {
        Principal::base(PrincipalKind::WebIdentity, provider, "")
    }

    /// An anonymous caller.
    pub fn anonymous() -> Principal<'static> {
        Principal::base(PrincipalKind::Anonymous, "", "")
    }

    /// Sets the unique id.
    #[must_use]
    pub fn with_unique_id(mut self, id: &'a str) -> Principal<'a> {
        self.unique_id = Some(id);
        self
    }

    /// Sets the federating user's ARN.
    #[must_use]
    pub fn with_source_user(mut self, arn: &'a str) -> Principal<'a> {
        self.source_user_arn = Some(arn);
        self
    }

    /// The value of `aws:PrincipalArn`: the role ARN for a role session (not the session ARN).
    pub fn principal_arn(&self) -> Option<&'a str> {
        match self.kind {
            PrincipalKind::AssumedRole => self.role_arn.or(Some(self.arn)),
            PrincipalKind::Service | PrincipalKind::Anonymous | PrincipalKind::WebIdentity => None,
            _ => Some(self.arn),
        }
    }
}

/// How a resource-policy statement's principal matched the request principal. Which one it
/// was decides what implicit denies still limit the grant (IAM User Guide, evaluation logic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PrincipalMatch {
    /// Only through the account (`"AWS": "111…"` / `…:root`): delegates to the account's IAM.
    Account,
    /// The role ARN (for a session) or the federating user's ARN: boundary and session
    /// policy still limit the grant.
    Limited,
    /// The principal itself (user, session, federated user, service, `*`): not limited.
    Direct,
}

/// A compiled `Principal`/`NotPrincipal` element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PrincipalSpec {
    pub(crate) wildcard: bool,
    pub(crate) accounts: Vec<Box<str>>,
    pub(crate) arns: Vec<Box<str>>,
    pub(crate) services: Vec<Box<str>>,
    pub(crate) federated: Vec<Box<str>>,
    pub(crate) canonical: Vec<Box<str>>,
}

impl PrincipalSpec {
    /// The strongest way this element names `p`, if it does.
    pub(crate) fn matches(&self, p: &Principal<'_>) -> Option<PrincipalMatch> {
        if self.wildcard {
            return Some(PrincipalMatch::Direct);
        }
        let named = |s: &str| self.arns.iter().any(|a| **a == *s);
        let by_account = || {
            (!p.account.is_empty() && self.accounts.iter().any(|a| **a == *p.account))
                .then_some(PrincipalMatch::Account)
        };
        match p.kind {
            PrincipalKind::Root => {
                if named(p.arn) || p.unique_id.is_some_and(named) {
                    Some(PrincipalMatch::Direct)
                } else {
                    by_account()
                }
            }
            PrincipalKind::IAMUser => {
                if named(p.arn)
                    || p.unique_id.is_some_and(named)
                    || p.unique_id.is_some_and(|id| self.canonical.iter().any(|c| **c == *id))
                {
                    Some(PrincipalMatch::Direct)
                } else {
                    by_account()
                }
            }
            PrincipalKind::AssumedRole => {
                if named(p.arn) {
                    Some(PrincipalMatch::Direct)
                } else if p.role_arn.is_some_and(named) || p.unique_id.is_some_and(named) {
                    Some(PrincipalMatch::Limited)
                } else {
                    by_account()
                }
            }
            PrincipalKind::FederatedUser => {
                if named(p.arn) {
                    Some(PrincipalMatch::Direct)
                } else if p.source_user_arn.is_some_and(named) {
                    Some(PrincipalMatch::Limited)
                } else {
                    by_account()
                }
            }
            PrincipalKind::Service => self
                .services
                .iter()
                .any(|s| s.eq_ignore_ascii_case(p.arn))
                .then_some(PrincipalMatch::Direct),
            PrincipalKind::WebIdentity => {
                self.federated.iter().any(|f| **f == *p.arn).then_some(PrincipalMatch::Direct)
            }
            PrincipalKind::Anonymous => None,
        }
    }
}

impl PrincipalSpec {
    /// For `NotPrincipal`: is `p` excluded? IAM checks every identity in the principal's
    /// chain (account, then role, then session), so each must be listed to be excluded.
    pub(crate) fn excludes(&self, p: &Principal<'_>) -> bool {
        if self.wildcard {
            return true;
        }
        let named = |s: &str| self.arns.iter().any(|a| **a == *s);
        let account = !p.account.is_empty() && self.accounts.iter().any(|a| **a == *p.account);
        match p.kind {
            PrincipalKind::Root => account,
            PrincipalKind::IAMUser | PrincipalKind::FederatedUser => {
                account && (named(p.arn) || p.unique_id.is_some_and(named))
            }
            PrincipalKind::AssumedRole => {
                account
                    && named(p.arn)
                    && (p.role_arn.is_some_and(named) || p.unique_id.is_some_and(named))
            }
            PrincipalKind::Service => self.services.iter().any(|s| s.eq_ignore_ascii_case(p.arn)),
            PrincipalKind::WebIdentity => self.federated.iter().any(|f| **f == *p.arn),
            PrincipalKind::Anonymous => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(accounts: &[&str], arns: &[&str], services: &[&str]) -> PrincipalSpec {
        PrincipalSpec {
            accounts: accounts.iter().map(|s| (*s).into()).collect(),
            arns: arns.iter().map(|s| (*s).into()).collect(),
            services: services.iter().map(|s| (*s).into()).collect(),
            ..PrincipalSpec::default()
        }
    }

    #[test]
    fn account_match_is_delegation_only() {
        let david = Principal::user("arn:aws:iam::111111111111:user/David", "111111111111");
        assert_eq!(
            spec(&["111111111111"], &[], &[]).matches(&david),
            Some(PrincipalMatch::Account)
        );
        assert_eq!(spec(&["222222222222"], &[], &[]).matches(&david), None);
        assert_eq!(
            spec(&["111111111111"], &["arn:aws:iam::111111111111:user/David"], &[]).matches(&david),
            Some(PrincipalMatch::Direct)
        );
    }

    #[test]
    fn role_session_by_role_is_limited_by_session_is_direct() {
        let s = Principal::assumed_role(
            "arn:aws:sts::111111111111:assumed-role/R/s1",
            "arn:aws:iam::111111111111:role/R",
            "111111111111",
        );
        assert_eq!(
            spec(&[], &["arn:aws:iam::111111111111:role/R"], &[]).matches(&s),
            Some(PrincipalMatch::Limited)
        );
        assert_eq!(
            spec(&[], &["arn:aws:sts::111111111111:assumed-role/R/s1"], &[]).matches(&s),
            Some(PrincipalMatch::Direct)
        );
        assert_eq!(
            spec(&[], &["arn:aws:sts::111111111111:assumed-role/R/s2"], &[]).matches(&s),
            None
        );
        assert_eq!(s.principal_arn(), Some("arn:aws:iam::111111111111:role/R"));
    }

    #[test]
    fn services_and_wildcard() {
        let ecs = Principal::service("ecs.amazonaws.com");
        assert_eq!(
            spec(&[], &[], &["ecs.amazonaws.com"]).matches(&ecs),
            Some(PrincipalMatch::Direct)
        );
        assert_eq!(spec(&[], &[], &["ec2.amazonaws.com"]).matches(&ecs), None);
        let any = PrincipalSpec { wildcard: true, ..PrincipalSpec::default() };
        assert_eq!(any.matches(&ecs), Some(PrincipalMatch::Direct));
        assert_eq!(any.matches(&Principal::anonymous()), Some(PrincipalMatch::Direct));
        assert_eq!(spec(&[""], &[], &[]).matches(&Principal::anonymous()), None);
    }

    #[test]
    fn not_principal_needs_the_whole_chain() {
        let s = Principal::assumed_role(
            "arn:aws:sts::444455556666:assumed-role/R/s",
            "arn:aws:iam::444455556666:role/R",
            "444455556666",
        );
        let only_role = spec(&[], &["arn:aws:iam::444455556666:role/R"], &[]);
        assert!(!only_role.excludes(&s));
        let full = spec(
            &["444455556666"],
            &["arn:aws:iam::444455556666:role/R", "arn:aws:sts::444455556666:assumed-role/R/s"],
            &[],
        );
        assert!(full.excludes(&s));
    }

    #[test]
    fn unique_id_names_the_principal() {
        let u = Principal::user("arn:aws:iam::1:user/D", "1").with_unique_id("AIDAEXAMPLE");
        assert_eq!(spec(&[], &["AIDAEXAMPLE"], &[]).matches(&u), Some(PrincipalMatch::Direct));
    }
}
