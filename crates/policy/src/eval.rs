//! Authorization decisions with AWS's documented evaluation logic, and the trace that
//! explains them.
//!
//! Order (IAM User Guide, policy evaluation logic): an explicit deny in any applicable
//! policy wins; RCPs must allow at every level; SCPs must allow at every level of the
//! principal's organization path; then, in the same account, an identity-side allow
//! (identity ∩ boundary ∩ session) or a resource-policy allow suffices — where what a
//! resource-policy allow is still limited by depends on how it named the principal; across
//! accounts both the identity side and the resource policy must allow.
//!
//! Security: the engine trusts its inputs. The caller decides which SCP/RCP levels apply
//! (none for the management account), supplies the resource's owning account, and fills the
//! context with authenticated values only.

use std::cell::RefCell;
use std::sync::Arc;

use crate::arn::{ArnParts, Target};
use crate::condition::Lookup;
use crate::context::{Context, Values};
use crate::policy::{Policy, Statement, StatementEffect};
use crate::principal::{Principal, PrincipalKind, PrincipalMatch};
use crate::template::Mode;

/// The outcome of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// The request is allowed.
    Allow,
    /// A Deny statement applied.
    ExplicitDeny,
    /// Nothing allowed it (or a required allow was missing).
    ImplicitDeny,
}

impl Effect {
    /// `Allow`, `ExplicitDeny`, `ImplicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::ExplicitDeny => "ExplicitDeny",
            Effect::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// Which part of the policy set a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// Identity-based policies of the principal.
    Identity,
    /// The principal's permissions boundary.
    PermissionsBoundary,
    /// Session policies.
    Session,
    /// Service control policies.
    Scp,
    /// Resource control policies.
    Rcp,
    /// The resource-based (or role trust) policy.
    Resource,
}

impl PolicyType {
    /// Machine name, as used by the CLI: `identity`, `permissions_boundary`, `session`,
    /// `scp`, `rcp`, `resource`.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::PermissionsBoundary => "permissions_boundary",
            PolicyType::Session => "session",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
            PolicyType::Resource => "resource",
        }
    }

    /// The phrase AWS uses in AccessDenied messages, e.g. `identity-based policy`.
    pub fn phrase(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::Scp => "service control policy",
            PolicyType::Rcp => "resource control policy",
            PolicyType::Resource => "resource-based policy",
        }
    }

    fn article(self) -> &'static str {
        match self {
            PolicyType::Identity => "an",
            _ => "a",
        }
    }
}

/// A statement that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// Where it came from.
    pub policy_type: PolicyType,
    /// The policy's label ([`Policy::with_label`]).
    pub policy: Arc<str>,
    /// Its Sid, if any.
    pub sid: Option<Arc<str>>,
    /// Its position in the policy's Statement list (0-based).
    pub statement_index: usize,
    /// Its Effect.
    pub effect: StatementEffect,
}

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Allow, explicit deny or implicit deny.
    pub effect: Effect,
    /// For an explicit deny: the Deny statements that applied. Otherwise: the Allow
    /// statements that applied (for an implicit deny, those that were not enough).
    pub matched: Vec<MatchedStatement>,
    /// The AWS-style clause: `no identity-based policy allows the s3:GetObject action` or
    /// `explicit deny in an identity-based policy`; empty for an allow.
    pub reason: String,
    /// For a deny: the policy type that denied or lacked an allow.
    pub denied_by: Option<PolicyType>,
}

impl Decision {
    /// True for [`Effect::Allow`].
    pub fn is_allowed(&self) -> bool {
        self.effect == Effect::Allow
    }

    /// AWS's AccessDenied message text, e.g. `User: arn:… is not authorized to perform:
    /// sts:AssumeRole on resource: arn:… because no identity-based policy allows the
    /// sts:AssumeRole action`.
    pub fn access_denied_message(
        &self,
        principal_arn: &str,
        action: &str,
        resource: &str,
    ) -> String {
        let head = format!(
            "User: {principal_arn} is not authorized to perform: {action} on resource: {resource}"
        );
        match self.effect {
            Effect::Allow => head,
            Effect::ExplicitDeny => format!("{head} with an {}", self.reason),
            Effect::ImplicitDeny => format!("{head} because {}", self.reason),
        }
    }
}

/// What is being asked.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who asks.
    pub principal: Principal<'a>,
    /// `service:Action`, any case.
    pub action: &'a str,
    /// The resource ARN (or `*` for actions without a resource).
    pub resource: &'a str,
    /// The account that owns the resource; `None` means the principal's own account.
    pub resource_account: Option<&'a str>,
    /// Condition keys.
    pub context: &'a Context,
}

/// Every policy that applies to a request, borrowed from the caller's caches.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// The principal's identity-based policies (user + groups, or role).
    pub identity: &'a [&'a Policy],
    /// The principal's permissions boundary.
    pub permissions_boundary: Option<&'a Policy>,
    /// Session policies of a role or federated-user session.
    pub session: &'a [&'a Policy],
    /// SCPs of the principal's account, one slice per level from the root to the account.
    pub scps: &'a [&'a [&'a Policy]],
    /// RCPs of the resource's account, one slice per level.
    pub rcps: &'a [&'a [&'a Policy]],
    /// The resource-based policy (bucket policy, key policy, role trust policy).
    pub resource: Option<&'a Policy>,
    /// The resource policy itself must allow (role trust policies, KMS key policies): an
    /// identity-policy allow is not enough on its own.
    pub resource_policy_required: bool,
}

/// The request as conditions and policy variables see it.
struct Env<'r> {
    req: &'r Request<'r>,
    target: Target<'r>,
    /// The principal has a permissions boundary: `NotPrincipal` + `Deny` then always denies it.
    has_boundary: bool,
    /// Reused for rendering policy variables, so a decision allocates for them at most once.
    scratch: RefCell<String>,
}

impl Lookup for Env<'_> {
    fn values(&self, key: &str) -> Option<Values<'_>> {
        if let Some(v) = self.req.context.get_folded(key) {
            return Some(Values::Many(v));
        }
        let p = &self.req.principal;
        let one = |s: &'static str| Some(Values::One(s));
        match key {
            "aws:principalarn" => p.principal_arn().map(Values::One),
            "aws:principalaccount" => (!p.account.is_empty()).then_some(Values::One(p.account)),
            "aws:principaltype" => match p.kind {
                PrincipalKind::Root => one("Account"),
                PrincipalKind::IAMUser => one("User"),
                PrincipalKind::AssumedRole => one("AssumedRole"),
                PrincipalKind::FederatedUser => one("FederatedUser"),
                PrincipalKind::Anonymous => one("Anonymous"),
                PrincipalKind::Service | PrincipalKind::WebIdentity => None,
            },
            "aws:principalisawsservice" => {
                one(if p.kind == PrincipalKind::Service { "true" } else { "false" })
            }
            "aws:principalservicename" => {
                (p.kind == PrincipalKind::Service).then_some(Values::One(p.arn))
            }
            "aws:username" => (p.kind == PrincipalKind::IAMUser)
                .then(|| p.arn.rsplit('/').next().map(Values::One))
                .flatten(),
            "aws:userid" => match p.kind {
                PrincipalKind::Root => Some(Values::One(p.account)),
                PrincipalKind::IAMUser => p.unique_id.map(Values::One),
                _ => None,
            },
            "aws:resourceaccount" => self.req.resource_account.map(Values::One),
            _ => None,
        }
    }
}

impl Env<'_> {
    fn single(&self, key: &str) -> Option<&str> {
        self.values(key).and_then(|v| v.single())
    }

    /// Does `st` apply? `Some(how the principal matched)` (Direct when the kind names none).
    fn applies(&self, policy: &Policy, st: &Statement) -> Option<PrincipalMatch> {
        if !st.actions.matches(self.req.action) {
            return None;
        }
        let resource_ok = {
            let mut scratch = self.scratch.borrow_mut();
            st.resource_matches(&self.target, &mut scratch, |t, buf| {
                t.render(|k| self.single(k), Mode::Glob, buf)
            })
        };
        if !resource_ok {
            return None;
        }
        let how = if policy.kind().has_principals() {
            match &st.principal {
                Some((spec, false)) => spec.matches(&self.req.principal)?,
                Some((spec, true)) => {
                    // IAM User Guide (permissions boundaries): "The NotPrincipal element with a
                    // Deny effect will always deny any IAM principal that has a permissions
                    // boundary policy attached, regardless of the values specified".
                    let boundary_override = self.has_boundary && st.effect == StatementEffect::Deny;
                    if !boundary_override && spec.excludes(&self.req.principal) {
                        return None;
                    }
                    PrincipalMatch::Direct
                }
                None => return None,
            }
        } else {
            PrincipalMatch::Direct
        };
        st.conditions.iter().all(|c| c.evaluate(self)).then_some(how)
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    allow: bool,
    deny: bool,
    /// Strongest principal match among applying Allow statements (resource policies).
    best: Option<PrincipalMatch>,
}

impl Tally {
    fn absorb(&mut self, other: Tally) {
        self.allow |= other.allow;
        self.deny |= other.deny;
        self.best = self.best.max(other.best);
    }
}

fn scan(
    env: &Env<'_>,
    action_lc: &str,
    service_lc: &str,
    policy: &Policy,
    ty: PolicyType,
    matched: &mut Vec<MatchedStatement>,
) -> Tally {
    let mut tally = Tally::default();
    policy.for_candidates(action_lc, service_lc, |st| {
        let Some(how) = env.applies(policy, st) else { return };
        match st.effect {
            StatementEffect::Allow => {
                tally.allow = true;
                tally.best = tally.best.max(Some(how));
            }
            StatementEffect::Deny => tally.deny = true,
        }
        matched.push(MatchedStatement {
            policy_type: ty,
            policy: Arc::clone(policy.label_arc()),
            sid: st.sid.clone(),
            statement_index: st.index,
            effect: st.effect,
        });
    });
    tally
}

/// Lowercases ASCII `action` into `buf` without allocating when it fits.
fn lowercase<'b>(action: &str, buf: &'b mut [u8; 128], spill: &'b mut String) -> &'b str {
    if action.len() <= buf.len() && action.is_ascii() {
        for (dst, src) in buf.iter_mut().zip(action.bytes()) {
            *dst = src.to_ascii_lowercase();
        }
        if let Some(s) = buf.get(..action.len()).and_then(|b| std::str::from_utf8(b).ok()) {
            return s;
        }
    }
    *spill = action.to_lowercase();
    spill
}

/// Decides `request` against `policies` with AWS's evaluation logic.
pub fn evaluate(request: &Request<'_>, policies: &PolicySet<'_>) -> Decision {
    let mut buf = [0u8; 128];
    let mut spill = String::new();
    let action_lc = lowercase(request.action, &mut buf, &mut spill);
    let service_lc = action_lc.split(':').next().unwrap_or(action_lc);
    let env = Env {
        req: request,
        target: Target::new(request.resource),
        has_boundary: policies.permissions_boundary.is_some(),
        scratch: RefCell::new(String::new()),
    };
    let mut matched = Vec::new();
    let p = &request.principal;
    let kind = p.kind;
    // Services, web-identity callers and anonymous callers have no identity side and are
    // outside any organization's SCPs: only resource-side policies speak for them.
    let has_identity_side = !matches!(
        kind,
        PrincipalKind::Service | PrincipalKind::WebIdentity | PrincipalKind::Anonymous
    );

    let scan_all = |list: &[&Policy], ty: PolicyType, matched: &mut Vec<MatchedStatement>| {
        let mut t = Tally::default();
        for pol in list {
            t.absorb(scan(&env, action_lc, service_lc, pol, ty, matched));
        }
        t
    };

    let (identity, boundary, session) = if has_identity_side {
        (
            scan_all(policies.identity, PolicyType::Identity, &mut matched),
            policies
                .permissions_boundary
                .map(|b| scan_all(&[b], PolicyType::PermissionsBoundary, &mut matched)),
            // Session policies only exist for sessions; for anything else they are ignored.
            (!policies.session.is_empty()
                && matches!(kind, PrincipalKind::AssumedRole | PrincipalKind::FederatedUser))
            .then(|| scan_all(policies.session, PolicyType::Session, &mut matched)),
        )
    } else {
        (Tally::default(), None, None)
    };
    let mut scp_ok = true;
    let mut scp_deny = false;
    // "SCPs don't affect service-linked roles" (Organizations User Guide), whatever the
    // caller passes.
    if has_identity_side && !is_service_linked_role(p) {
        for level in policies.scps {
            let t = scan_all(level, PolicyType::Scp, &mut matched);
            scp_ok &= t.allow;
            scp_deny |= t.deny;
        }
    }
    let mut rcp_ok = true;
    let mut rcp_deny = false;
    for level in policies.rcps {
        let t = scan_all(level, PolicyType::Rcp, &mut matched);
        rcp_ok &= t.allow;
        rcp_deny |= t.deny;
    }
    let resource = policies
        .resource
        .map(|r| scan_all(&[r], PolicyType::Resource, &mut matched))
        .unwrap_or_default();

    // 1. Explicit deny anywhere.
    let denied = [
        (scp_deny, PolicyType::Scp),
        (rcp_deny, PolicyType::Rcp),
        (resource.deny, PolicyType::Resource),
        (identity.deny, PolicyType::Identity),
        (boundary.is_some_and(|b| b.deny), PolicyType::PermissionsBoundary),
        (session.is_some_and(|s| s.deny), PolicyType::Session),
    ]
    .into_iter()
    .find_map(|(d, ty)| d.then_some(ty));
    if let Some(ty) = denied {
        matched.retain(|m| m.effect == StatementEffect::Deny);
        return Decision {
            effect: Effect::ExplicitDeny,
            matched,
            reason: format!("explicit deny in {} {}", ty.article(), ty.phrase()),
            denied_by: Some(ty),
        };
    }

    let verdict =
        decide(request, policies, kind, identity, boundary, session, scp_ok, rcp_ok, resource);
    match verdict {
        Ok(()) => {
            Decision { effect: Effect::Allow, matched, reason: String::new(), denied_by: None }
        }
        Err(ty) => Decision {
            effect: Effect::ImplicitDeny,
            matched,
            reason: format!("no {} allows the {} action", ty.phrase(), request.action),
            denied_by: Some(ty),
        },
    }
}

/// A session of a service-linked role (`arn:aws:iam::A:role/aws-service-role/…`).
fn is_service_linked_role(p: &Principal<'_>) -> bool {
    p.kind == PrincipalKind::AssumedRole
        && p.role_arn.and_then(ArnParts::parse).is_some_and(|parts| {
            parts.service == "iam" && parts.resource.starts_with("role/aws-service-role/")
        })
}

/// The allow rules once no explicit deny applies; `Err` names the policy type lacking an allow.
#[allow(clippy::too_many_arguments)]
fn decide(
    request: &Request<'_>,
    policies: &PolicySet<'_>,
    kind: PrincipalKind,
    identity: Tally,
    boundary: Option<Tally>,
    session: Option<Tally>,
    scp_ok: bool,
    rcp_ok: bool,
    resource: Tally,
) -> Result<(), PolicyType> {
    if !rcp_ok {
        return Err(PolicyType::Rcp);
    }
    let p = &request.principal;
    let resource_grant = resource.best;
    match kind {
        PrincipalKind::Service | PrincipalKind::WebIdentity | PrincipalKind::Anonymous => {
            return resource_grant.map(|_| ()).ok_or(PolicyType::Resource);
        }
        _ => {}
    }
    if !scp_ok {
        return Err(PolicyType::Scp);
    }
    let same_account = request.resource_account.is_none_or(|ra| ra == p.account);
    let boundary_ok = boundary.is_none_or(|b| b.allow);
    // No session policy: a role session keeps the role's permissions; a federated-user
    // session has none (GetFederationToken needs a session policy to grant anything).
    let session_ok = match session {
        Some(s) => s.allow,
        None => kind != PrincipalKind::FederatedUser,
    };
    let identity_side: Result<(), PolicyType> = if kind == PrincipalKind::Root {
        Ok(())
    } else if !identity.allow {
        Err(PolicyType::Identity)
    } else if !boundary_ok {
        Err(PolicyType::PermissionsBoundary)
    } else if !session_ok {
        Err(PolicyType::Session)
    } else {
        Ok(())
    };

    if !same_account {
        // Two evaluations, both must allow.
        identity_side?;
        return resource_grant.map(|_| ()).ok_or(PolicyType::Resource);
    }

    // Same account.
    let limited_ok = || -> Result<(), PolicyType> {
        if !boundary_ok {
            Err(PolicyType::PermissionsBoundary)
        } else if !session_ok {
            Err(PolicyType::Session)
        } else {
            Ok(())
        }
    };
    let from_resource: Result<(), PolicyType> = match resource_grant {
        Some(PrincipalMatch::Direct) => Ok(()),
        Some(PrincipalMatch::Limited) => limited_ok(),
        // Naming only the account delegates to the account's IAM policies.
        Some(PrincipalMatch::Account) => identity_side,
        None => Err(PolicyType::Resource),
    };
    if policies.resource_policy_required {
        return from_resource;
    }
    if identity_side.is_ok() || from_resource.is_ok() {
        return Ok(());
    }
    // Name what was missing: a limited resource grant was stopped by its limiter;
    // otherwise the identity side's first gap.
    match (resource_grant, from_resource) {
        (Some(PrincipalMatch::Limited), Err(ty)) => Err(ty),
        _ => identity_side,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyKind;

    const A: &str = "111111111111";
    const B: &str = "999999999999";
    const DAVID: &str = "arn:aws:iam::111111111111:user/David";
    const UPDATE_APP: &str = "arn:aws:iam::999999999999:role/UpdateApp";

    fn pol(kind: PolicyKind, statements: &str) -> Policy {
        Policy::parse(&format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#), kind)
            .unwrap()
    }

    fn id(statements: &str) -> Policy {
        pol(PolicyKind::Identity, statements)
    }

    fn req<'a>(
        principal: Principal<'a>,
        action: &'a str,
        resource: &'a str,
        account: Option<&'a str>,
        ctx: &'a Context,
    ) -> Request<'a> {
        Request { principal, action, resource, resource_account: account, context: ctx }
    }

    fn allow_all() -> Policy {
        id(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#).with_label("FullAWSAccess")
    }

    #[test]
    fn tutorial_david_assumes_update_app_across_accounts() {
        let ctx = Context::new();
        let identity = id(&format!(r#"{{"Sid":"AssumeUpdateApp","Effect":"Allow","Action":"sts:AssumeRole","Resource":"{UPDATE_APP}"}}"#))
            .with_label("allow-assume-updateapp");
        let trust = pol(PolicyKind::Trust, &format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"sts:AssumeRole"}}"#))
            .with_label("UpdateApp-trust");
        let r = req(Principal::user(DAVID, A), "sts:AssumeRole", UPDATE_APP, Some(B), &ctx);
        let set = PolicySet {
            identity: &[&identity],
            resource: Some(&trust),
            resource_policy_required: true,
            ..PolicySet::default()
        };
        let d = evaluate(&r, &set);
        assert_eq!(d.effect, Effect::Allow, "{d:?}");
        assert_eq!(d.reason, "");
        assert_eq!(d.matched.len(), 2);
        assert_eq!(d.matched[0].policy_type, PolicyType::Identity);
        assert_eq!(&*d.matched[0].policy, "allow-assume-updateapp");
        assert_eq!(d.matched[0].sid.as_deref(), Some("AssumeUpdateApp"));
        assert_eq!(d.matched[1].policy_type, PolicyType::Resource);
        assert_eq!(d.matched[1].statement_index, 0);

        // Without the identity policy the trusted account has not delegated to David.
        let set = PolicySet {
            resource: Some(&trust),
            resource_policy_required: true,
            ..PolicySet::default()
        };
        let d = evaluate(&r, &set);
        assert_eq!(d.effect, Effect::ImplicitDeny);
        assert_eq!(d.denied_by, Some(PolicyType::Identity));
        assert_eq!(d.reason, "no identity-based policy allows the sts:AssumeRole action");
        assert_eq!(
            d.access_denied_message(DAVID, "sts:AssumeRole", UPDATE_APP),
            "User: arn:aws:iam::111111111111:user/David is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::999999999999:role/UpdateApp because no identity-based policy allows the sts:AssumeRole action"
        );

        // A trust policy for another account does not let David in.
        let other = pol(
            PolicyKind::Trust,
            r#"{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole"}"#,
        );
        let set = PolicySet {
            identity: &[&identity],
            resource: Some(&other),
            resource_policy_required: true,
            ..PolicySet::default()
        };
        let d = evaluate(&r, &set);
        assert_eq!(d.denied_by, Some(PolicyType::Resource));
        assert_eq!(d.reason, "no resource-based policy allows the sts:AssumeRole action");
    }

    #[test]
    fn tutorial_jane_is_explicitly_denied() {
        let ctx = Context::new();
        let power = id(r#"{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}"#).with_label("PowerUserAccess");
        let deny = id(&format!(r#"{{"Sid":"DenyUpdateApp","Effect":"Deny","Action":"sts:AssumeRole","Resource":"{UPDATE_APP}"}}"#)).with_label("deny-updateapp");
        let trust = pol(
            PolicyKind::Trust,
            &format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"{A}"}},"Action":"sts:AssumeRole"}}"#
            ),
        );
        let jane = "arn:aws:iam::111111111111:user/Jane";
        let r = req(Principal::user(jane, A), "sts:AssumeRole", UPDATE_APP, Some(B), &ctx);
        let set = PolicySet {
            identity: &[&power, &deny],
            resource: Some(&trust),
            resource_policy_required: true,
            ..PolicySet::default()
        };
        let d = evaluate(&r, &set);
        assert_eq!(d.effect, Effect::ExplicitDeny);
        assert_eq!(d.denied_by, Some(PolicyType::Identity));
        assert_eq!(d.matched.len(), 1);
        assert_eq!(&*d.matched[0].policy, "deny-updateapp");
        assert_eq!(
            d.access_denied_message(jane, "sts:AssumeRole", UPDATE_APP),
            "User: arn:aws:iam::111111111111:user/Jane is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::999999999999:role/UpdateApp with an explicit deny in an identity-based policy"
        );
        // NotAction: PowerUserAccess grants s3 but not iam.
        let r = req(Principal::user(jane, A), "s3:GetObject", "arn:aws:s3:::b/k", None, &ctx);
        assert!(
            evaluate(&r, &PolicySet { identity: &[&power], ..PolicySet::default() }).is_allowed()
        );
        let r = req(
            Principal::user(jane, A),
            "iam:CreateUser",
            "arn:aws:iam::111111111111:user/x",
            None,
            &ctx,
        );
        assert!(
            !evaluate(&r, &PolicySet { identity: &[&power], ..PolicySet::default() }).is_allowed()
        );
    }

    fn bucket_policy(principal: &str) -> Policy {
        pol(
            PolicyKind::Resource,
            &format!(
                r#"{{"Sid":"B","Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#
            ),
        )
    }

    #[test]
    fn same_account_resource_policy_naming_the_user_suffices() {
        let ctx = Context::new();
        let r =
            req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::bucket/k", Some(A), &ctx);
        let bp = bucket_policy(DAVID);
        let d = evaluate(&r, &PolicySet { resource: Some(&bp), ..PolicySet::default() });
        assert!(d.is_allowed(), "{d:?}");
        // Not limited by a boundary that does not allow it.
        let boundary = id(r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#);
        let d = evaluate(
            &r,
            &PolicySet {
                resource: Some(&bp),
                permissions_boundary: Some(&boundary),
                ..PolicySet::default()
            },
        );
        assert!(d.is_allowed(), "{d:?}");
        // But SCPs still apply.
        let scp_ec2 = pol(PolicyKind::Scp, r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#);
        let levels: [&[&Policy]; 1] = [&[&scp_ec2]];
        let d =
            evaluate(&r, &PolicySet { resource: Some(&bp), scps: &levels, ..PolicySet::default() });
        assert_eq!(d.denied_by, Some(PolicyType::Scp));
        assert_eq!(d.reason, "no service control policy allows the s3:GetObject action");
    }

    #[test]
    fn same_account_resource_policy_naming_the_account_only_delegates() {
        let ctx = Context::new();
        let r =
            req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::bucket/k", Some(A), &ctx);
        for p in [A.to_owned(), format!("arn:aws:iam::{A}:root")] {
            let bp = bucket_policy(&p);
            let d = evaluate(&r, &PolicySet { resource: Some(&bp), ..PolicySet::default() });
            assert_eq!(d.effect, Effect::ImplicitDeny, "{p}");
            assert_eq!(d.denied_by, Some(PolicyType::Identity));
            let ident = id(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
            let d = evaluate(
                &r,
                &PolicySet { identity: &[&ident], resource: Some(&bp), ..PolicySet::default() },
            );
            assert!(d.is_allowed());
        }
    }

    #[test]
    fn same_account_identity_alone_suffices_without_resource_policy() {
        let ctx = Context::new();
        let r = req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::bucket/k", None, &ctx);
        let ident =
            id(r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::bucket/*"}"#);
        assert!(
            evaluate(&r, &PolicySet { identity: &[&ident], ..PolicySet::default() }).is_allowed()
        );
        let d = evaluate(&r, &PolicySet::default());
        assert_eq!(d.denied_by, Some(PolicyType::Identity));
    }

    const ROLE: &str = "arn:aws:iam::111111111111:role/R";
    const SESSION: &str = "arn:aws:sts::111111111111:assumed-role/R/s1";

    #[test]
    fn role_session_table() {
        let ctx = Context::new();
        let session = Principal::assumed_role(SESSION, ROLE, A);
        let r = req(session, "s3:GetObject", "arn:aws:s3:::bucket/k", Some(A), &ctx);
        let names_role = bucket_policy(ROLE);
        let names_session = bucket_policy(SESSION);
        let ec2_only = id(r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#);

        // Role ARN named, role has no permissions, no boundary, no session policy: allowed.
        assert!(evaluate(&r, &PolicySet { resource: Some(&names_role), ..PolicySet::default() })
            .is_allowed());
        // Role ARN named: limited by the boundary...
        let d = evaluate(
            &r,
            &PolicySet {
                resource: Some(&names_role),
                permissions_boundary: Some(&ec2_only),
                ..PolicySet::default()
            },
        );
        assert_eq!(d.denied_by, Some(PolicyType::PermissionsBoundary), "{d:?}");
        assert_eq!(d.reason, "no permissions boundary allows the s3:GetObject action");
        // ...and by the session policy.
        let sp = pol(PolicyKind::Session, r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#);
        let d = evaluate(
            &r,
            &PolicySet { resource: Some(&names_role), session: &[&sp], ..PolicySet::default() },
        );
        assert_eq!(d.denied_by, Some(PolicyType::Session));
        // Session ARN named: limited by neither.
        let d = evaluate(
            &r,
            &PolicySet {
                resource: Some(&names_session),
                permissions_boundary: Some(&ec2_only),
                session: &[&sp],
                ..PolicySet::default()
            },
        );
        assert!(d.is_allowed(), "{d:?}");
        // Identity side for a session: identity ∩ boundary ∩ session.
        let s3 = id(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        assert!(evaluate(&r, &PolicySet { identity: &[&s3], ..PolicySet::default() }).is_allowed());
        let d =
            evaluate(&r, &PolicySet { identity: &[&s3], session: &[&sp], ..PolicySet::default() });
        assert_eq!(d.denied_by, Some(PolicyType::Session));
        let d = evaluate(
            &r,
            &PolicySet {
                identity: &[&s3],
                permissions_boundary: Some(&ec2_only),
                ..PolicySet::default()
            },
        );
        assert_eq!(d.denied_by, Some(PolicyType::PermissionsBoundary));
    }

    #[test]
    fn federated_user_table() {
        let ctx = Context::new();
        let fed_arn = "arn:aws:sts::111111111111:federated-user/Bob";
        let fed = Principal::federated_user(fed_arn, A).with_source_user(DAVID);
        let r = req(fed, "s3:GetObject", "arn:aws:s3:::bucket/k", Some(A), &ctx);
        // Federated-user ARN named: not limited (no session policy needed).
        assert!(evaluate(
            &r,
            &PolicySet { resource: Some(&bucket_policy(fed_arn)), ..PolicySet::default() }
        )
        .is_allowed());
        // The federating user's ARN named: limited by the session policy, which is required.
        let names_user = bucket_policy(DAVID);
        let d = evaluate(&r, &PolicySet { resource: Some(&names_user), ..PolicySet::default() });
        assert_eq!(d.denied_by, Some(PolicyType::Session));
        let sp = pol(PolicyKind::Session, r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        assert!(evaluate(
            &r,
            &PolicySet { resource: Some(&names_user), session: &[&sp], ..PolicySet::default() }
        )
        .is_allowed());
        // Identity side: a federated user without a session policy has no permissions.
        let s3 = id(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        let d = evaluate(&r, &PolicySet { identity: &[&s3], ..PolicySet::default() });
        assert_eq!(d.denied_by, Some(PolicyType::Session));
        assert!(evaluate(
            &r,
            &PolicySet { identity: &[&s3], session: &[&sp], ..PolicySet::default() }
        )
        .is_allowed());
    }

    #[test]
    fn resource_policy_required_same_account() {
        let ctx = Context::new();
        let role = "arn:aws:iam::111111111111:role/Admin";
        let r = req(Principal::user(DAVID, A), "sts:AssumeRole", role, Some(A), &ctx);
        let ident = id(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#);
        let trusts_service = pol(
            PolicyKind::Trust,
            r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
        );
        let d = evaluate(
            &r,
            &PolicySet {
                identity: &[&ident],
                resource: Some(&trusts_service),
                resource_policy_required: true,
                ..PolicySet::default()
            },
        );
        assert_eq!(d.denied_by, Some(PolicyType::Resource));
        // Without the flag the same identity allow would be enough.
        assert!(evaluate(
            &r,
            &PolicySet {
                identity: &[&ident],
                resource: Some(&trusts_service),
                ..PolicySet::default()
            }
        )
        .is_allowed());
        // Trusting the account delegates to the identity policy.
        let trusts_account = pol(
            PolicyKind::Trust,
            &format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"{A}"}},"Action":"sts:AssumeRole"}}"#
            ),
        );
        let set = PolicySet {
            identity: &[&ident],
            resource: Some(&trusts_account),
            resource_policy_required: true,
            ..PolicySet::default()
        };
        assert!(evaluate(&r, &set).is_allowed());
        let set = PolicySet {
            resource: Some(&trusts_account),
            resource_policy_required: true,
            ..PolicySet::default()
        };
        assert_eq!(evaluate(&r, &set).denied_by, Some(PolicyType::Identity));
        // Trusting the user directly needs no identity policy.
        let trusts_david = pol(
            PolicyKind::Trust,
            &format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"{DAVID}"}},"Action":"sts:AssumeRole"}}"#
            ),
        );
        let set = PolicySet {
            resource: Some(&trusts_david),
            resource_policy_required: true,
            ..PolicySet::default()
        };
        assert!(evaluate(&r, &set).is_allowed());
        // No resource policy at all.
        let set = PolicySet {
            identity: &[&ident],
            resource_policy_required: true,
            ..PolicySet::default()
        };
        assert_eq!(evaluate(&r, &set).denied_by, Some(PolicyType::Resource));
    }

    #[test]
    fn root_user() {
        let ctx = Context::new();
        let root_arn = "arn:aws:iam::111111111111:root";
        let root = Principal::root(root_arn, A);
        let r = req(root, "s3:DeleteBucket", "arn:aws:s3:::bucket", Some(A), &ctx);
        assert!(evaluate(&r, &PolicySet::default()).is_allowed());
        // SCPs limit a member account's root user.
        let scp = pol(PolicyKind::Scp, r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#);
        let levels: [&[&Policy]; 1] = [&[&scp]];
        assert_eq!(
            evaluate(&r, &PolicySet { scps: &levels, ..PolicySet::default() }).denied_by,
            Some(PolicyType::Scp)
        );
        // An explicit deny in the bucket policy applies to root.
        let deny = pol(
            PolicyKind::Resource,
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}"#,
        );
        assert_eq!(
            evaluate(&r, &PolicySet { resource: Some(&deny), ..PolicySet::default() }).effect,
            Effect::ExplicitDeny
        );
        // Cross-account, root is like any principal of its account.
        let r = req(root, "s3:GetObject", "arn:aws:s3:::bucket/k", Some(B), &ctx);
        assert_eq!(evaluate(&r, &PolicySet::default()).denied_by, Some(PolicyType::Resource));
        let bp = bucket_policy(A);
        assert!(
            evaluate(&r, &PolicySet { resource: Some(&bp), ..PolicySet::default() }).is_allowed()
        );
    }

    #[test]
    fn scps_must_allow_at_every_level() {
        let ctx = Context::new();
        let r = req(Principal::user(DAVID, A), "ec2:RunInstances", "*", None, &ctx);
        let full = allow_all();
        let ident = id(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
        let s3_only = pol(PolicyKind::Scp, r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        let ok: [&[&Policy]; 2] = [&[&full], &[&full]];
        assert!(evaluate(
            &r,
            &PolicySet { identity: &[&ident], scps: &ok, ..PolicySet::default() }
        )
        .is_allowed());
        let ou_s3: [&[&Policy]; 2] = [&[&full], &[&s3_only]];
        let d =
            evaluate(&r, &PolicySet { identity: &[&ident], scps: &ou_s3, ..PolicySet::default() });
        assert_eq!(d.denied_by, Some(PolicyType::Scp));
        let empty_level: [&[&Policy]; 2] = [&[&full], &[]];
        assert_eq!(
            evaluate(
                &r,
                &PolicySet { identity: &[&ident], scps: &empty_level, ..PolicySet::default() }
            )
            .denied_by,
            Some(PolicyType::Scp)
        );
        let deny = pol(PolicyKind::Scp, r#"{"Effect":"Deny","Action":"ec2:*","Resource":"*"}"#);
        let with_deny: [&[&Policy]; 2] = [&[&full], &[&full, &deny]];
        let d = evaluate(
            &r,
            &PolicySet { identity: &[&ident], scps: &with_deny, ..PolicySet::default() },
        );
        assert_eq!(d.effect, Effect::ExplicitDeny);
        assert_eq!(d.reason, "explicit deny in a service control policy");
    }

    #[test]
    fn scps_do_not_affect_service_linked_roles() {
        let ctx = Context::new();
        let slr = Principal::assumed_role(
            "arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForImageBuilder/ImageBuilder",
            "arn:aws:iam::111111111111:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder",
            A,
        );
        let r = req(slr, "ec2:CopyImage", "*", Some(A), &ctx);
        let ident = id(r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#);
        let deny = pol(PolicyKind::Scp, r#"{"Effect":"Deny","Action":"ec2:*","Resource":"*"}"#);
        let levels: [&[&Policy]; 1] = [&[&deny]];
        let set = PolicySet { identity: &[&ident], scps: &levels, ..PolicySet::default() };
        assert!(evaluate(&r, &set).is_allowed());
        // An ordinary role in the same account is bound by them.
        let role = Principal::assumed_role(SESSION, ROLE, A);
        let r = req(role, "ec2:CopyImage", "*", Some(A), &ctx);
        assert_eq!(evaluate(&r, &set).effect, Effect::ExplicitDeny);
    }

    #[test]
    fn rcps_can_only_restrict() {
        let ctx = Context::new().with("aws:PrincipalOrgID", "o-other");
        let r =
            req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::bucket/k", Some(A), &ctx);
        let ident = id(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        let full = pol(
            PolicyKind::Rcp,
            r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}"#,
        );
        let deny_outside = pol(
            PolicyKind::Rcp,
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-mine"}}}"#,
        );
        let levels: [&[&Policy]; 1] = [&[&full, &deny_outside]];
        let d =
            evaluate(&r, &PolicySet { identity: &[&ident], rcps: &levels, ..PolicySet::default() });
        assert_eq!(d.effect, Effect::ExplicitDeny);
        assert_eq!(d.reason, "explicit deny in a resource control policy");
        let only_full: [&[&Policy]; 1] = [&[&full]];
        assert!(evaluate(
            &r,
            &PolicySet { identity: &[&ident], rcps: &only_full, ..PolicySet::default() }
        )
        .is_allowed());
        // RCPs never grant.
        let d = evaluate(&r, &PolicySet { rcps: &only_full, ..PolicySet::default() });
        assert_eq!(d.denied_by, Some(PolicyType::Identity));
    }

    #[test]
    fn service_principals_use_the_resource_policy_alone() {
        let ctx = Context::new().with("aws:SourceAccount", A);
        let trust = pol(
            PolicyKind::Trust,
            &format!(
                r#"{{"Effect":"Allow","Principal":{{"Service":"ecs.amazonaws.com"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"aws:SourceAccount":"{A}"}}}}}}"#
            ),
        );
        let role = "arn:aws:iam::111111111111:role/ecsInfra";
        let r = req(Principal::service("ecs.amazonaws.com"), "sts:AssumeRole", role, Some(A), &ctx);
        let set = PolicySet {
            resource: Some(&trust),
            resource_policy_required: true,
            ..PolicySet::default()
        };
        assert!(evaluate(&r, &set).is_allowed());
        let other_ctx = Context::new().with("aws:SourceAccount", B);
        let r2 = req(
            Principal::service("ecs.amazonaws.com"),
            "sts:AssumeRole",
            role,
            Some(A),
            &other_ctx,
        );
        assert_eq!(evaluate(&r2, &set).denied_by, Some(PolicyType::Resource));
        let r3 =
            req(Principal::service("ec2.amazonaws.com"), "sts:AssumeRole", role, Some(A), &ctx);
        assert_eq!(evaluate(&r3, &set).denied_by, Some(PolicyType::Resource));
    }

    #[test]
    fn cross_account_needs_both_sides() {
        let ctx = Context::new();
        let r =
            req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::bucket/k", Some(B), &ctx);
        let ident = id(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        let bp = bucket_policy(DAVID);
        assert!(evaluate(
            &r,
            &PolicySet { identity: &[&ident], resource: Some(&bp), ..PolicySet::default() }
        )
        .is_allowed());
        assert_eq!(
            evaluate(&r, &PolicySet { resource: Some(&bp), ..PolicySet::default() }).denied_by,
            Some(PolicyType::Identity)
        );
        assert_eq!(
            evaluate(&r, &PolicySet { identity: &[&ident], ..PolicySet::default() }).denied_by,
            Some(PolicyType::Resource)
        );
        // Identity deny on *log* blocks even with the bucket allowing (worked example).
        let deny = id(r#"{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}"#);
        let r = req(
            Principal::user(DAVID, A),
            "s3:GetObject",
            "arn:aws:s3:::bucket/logs",
            Some(B),
            &ctx,
        );
        let d = evaluate(
            &r,
            &PolicySet { identity: &[&ident, &deny], resource: Some(&bp), ..PolicySet::default() },
        );
        assert_eq!(d.effect, Effect::ExplicitDeny);
    }

    #[test]
    fn resource_policy_deny_beats_identity_allow() {
        let ctx = Context::new();
        let r =
            req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::bucket/k", Some(A), &ctx);
        let ident = id(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        let deny = pol(PolicyKind::Resource, &format!(r#"{{"Sid":"NoDavid","Effect":"Deny","Principal":{{"AWS":"{DAVID}"}},"Action":"s3:*","Resource":"*"}}"#)).with_label("bucket");
        let d = evaluate(
            &r,
            &PolicySet { identity: &[&ident], resource: Some(&deny), ..PolicySet::default() },
        );
        assert_eq!(d.effect, Effect::ExplicitDeny);
        assert_eq!(d.denied_by, Some(PolicyType::Resource));
        assert_eq!(d.reason, "explicit deny in a resource-based policy");
        assert_eq!(d.matched.len(), 1);
        assert_eq!(d.matched[0].sid.as_deref(), Some("NoDavid"));
    }

    #[test]
    fn policy_variables_in_resources() {
        let ident = id(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#,
        );
        let set = PolicySet { identity: &[&ident], ..PolicySet::default() };
        let ctx = Context::new().with("aws:username", "David");
        let r =
            req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::home/David/x", None, &ctx);
        assert!(evaluate(&r, &set).is_allowed());
        let r =
            req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::home/Jane/x", None, &ctx);
        assert!(!evaluate(&r, &set).is_allowed());
        // Derived from the principal when the caller did not supply it.
        let empty = Context::new();
        let r = req(
            Principal::user(DAVID, A),
            "s3:GetObject",
            "arn:aws:s3:::home/David/x",
            None,
            &empty,
        );
        assert!(evaluate(&r, &set).is_allowed());
        // A role has no aws:username: the value matches nothing.
        let s = Principal::assumed_role(SESSION, ROLE, A);
        let r = req(s, "s3:GetObject", "arn:aws:s3:::home/R/x", None, &empty);
        assert!(!evaluate(&r, &set).is_allowed());
        // 2008-10-17: the variable is literal text.
        let old = Policy::parse(
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        let set = PolicySet { identity: &[&old], ..PolicySet::default() };
        let r =
            req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::home/David/x", None, &ctx);
        assert!(!evaluate(&r, &set).is_allowed());
        let r = req(
            Principal::user(DAVID, A),
            "s3:GetObject",
            "arn:aws:s3:::home/${aws:username}/x",
            None,
            &ctx,
        );
        assert!(evaluate(&r, &set).is_allowed());
    }

    #[test]
    fn principal_arn_condition_uses_the_role_arn() {
        let ctx = Context::new();
        let bp = pol(
            PolicyKind::Resource,
            &format!(
                r#"{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{{"ArnEquals":{{"aws:PrincipalArn":"{ROLE}"}}}}}}"#
            ),
        );
        let s = Principal::assumed_role(SESSION, ROLE, A);
        let r = req(s, "s3:GetObject", "arn:aws:s3:::bucket/k", Some(A), &ctx);
        let ec2_only = id(r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#);
        // Granted through aws:PrincipalArn: not limited by the boundary.
        assert!(evaluate(
            &r,
            &PolicySet {
                resource: Some(&bp),
                permissions_boundary: Some(&ec2_only),
                ..PolicySet::default()
            }
        )
        .is_allowed());
        let other = Principal::assumed_role(
            "arn:aws:sts::111111111111:assumed-role/X/s",
            "arn:aws:iam::111111111111:role/X",
            A,
        );
        let r = req(other, "s3:GetObject", "arn:aws:s3:::bucket/k", Some(A), &ctx);
        assert!(
            !evaluate(&r, &PolicySet { resource: Some(&bp), ..PolicySet::default() }).is_allowed()
        );
    }

    #[test]
    fn not_resource_and_conditions() {
        let ctx = Context::new().with("aws:SourceIp", "203.0.113.9");
        let ident = id(
            r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"},
               {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#,
        );
        let set = PolicySet { identity: &[&ident], ..PolicySet::default() };
        let r = req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::public/x", None, &ctx);
        assert!(evaluate(&r, &set).is_allowed());
        let r = req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::secret/x", None, &ctx);
        assert!(!evaluate(&r, &set).is_allowed());
        let far = Context::new().with("aws:SourceIp", "198.51.100.1");
        let r = req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::public/x", None, &far);
        assert_eq!(evaluate(&r, &set).effect, Effect::ExplicitDeny);
    }

    #[test]
    fn not_principal_deny() {
        let ctx = Context::new();
        let bp = pol(
            PolicyKind::Resource,
            &format!(
                r#"{{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}},
               {{"Effect":"Deny","NotPrincipal":{{"AWS":["{DAVID}","{A}"]}},"Action":"s3:*","Resource":"*"}}"#
            ),
        );
        let set = PolicySet { resource: Some(&bp), ..PolicySet::default() };
        let r = req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::b/k", Some(A), &ctx);
        assert!(evaluate(&r, &set).is_allowed());
        let jane = Principal::user("arn:aws:iam::111111111111:user/Jane", A);
        let r = req(jane, "s3:GetObject", "arn:aws:s3:::b/k", Some(A), &ctx);
        assert_eq!(evaluate(&r, &set).effect, Effect::ExplicitDeny);
    }

    #[test]
    fn not_principal_deny_always_denies_a_principal_with_a_boundary() {
        let ctx = Context::new();
        let bp = pol(
            PolicyKind::Resource,
            &format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"{A}"}},"Action":"s3:*","Resource":"*"}},
               {{"Sid":"DenyAllButDavid","Effect":"Deny","NotPrincipal":{{"AWS":["{DAVID}","{A}"]}},"Action":"s3:*","Resource":"*"}}"#
            ),
        );
        let s3 = id(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        let r = req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::b/k", Some(B), &ctx);
        assert!(evaluate(
            &r,
            &PolicySet { identity: &[&s3], resource: Some(&bp), ..PolicySet::default() }
        )
        .is_allowed());
        let d = evaluate(
            &r,
            &PolicySet {
                identity: &[&s3],
                permissions_boundary: Some(&s3),
                resource: Some(&bp),
                ..PolicySet::default()
            },
        );
        assert_eq!(d.effect, Effect::ExplicitDeny);
        assert_eq!(d.matched[0].sid.as_deref(), Some("DenyAllButDavid"));
    }

    #[test]
    fn actions_match_case_insensitively() {
        let ctx = Context::new();
        let ident = id(r#"{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}"#);
        let r = req(Principal::user(DAVID, A), "s3:GetObject", "arn:aws:s3:::b/k", None, &ctx);
        assert!(
            evaluate(&r, &PolicySet { identity: &[&ident], ..PolicySet::default() }).is_allowed()
        );
    }

    #[test]
    fn anonymous_only_through_star() {
        let ctx = Context::new();
        let public = pol(
            PolicyKind::Resource,
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}"#,
        );
        let r = req(
            Principal::anonymous(),
            "s3:GetObject",
            "arn:aws:s3:::site/index.html",
            Some(A),
            &ctx,
        );
        assert!(evaluate(&r, &PolicySet { resource: Some(&public), ..PolicySet::default() })
            .is_allowed());
        let acct = bucket_policy(A);
        assert!(!evaluate(&r, &PolicySet { resource: Some(&acct), ..PolicySet::default() })
            .is_allowed());
    }
}
