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

use std::sync::Arc;

use crate::arn::ArnParts;
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
    pub fn access_denied_message(&self, principal_arn: &str, action: &str, resource: &str) -> String {
        let head = format!("User: {principal_arn} is not authorized to perform: {action} on resource: {resource}");
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
    parts: Option<ArnParts<'r>>,
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
            "aws:principalisawsservice" => one(if p.kind == PrincipalKind::Service { "true" } else { "false" }),
            "aws:principalservicename" => (p.kind == PrincipalKind::Service).then_some(Values::One(p.arn)),
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
        if !st.resource_matches(self.req.resource, self.parts.as_ref(), |t, buf| {
            t.render(|k| self.single(k), Mode::Glob, buf)
        }) {
            return None;
        }
        let how = if policy.kind().has_principals() {
            match &st.principal {
                Some((spec, false)) => spec.matches(&self.req.principal)?,
                Some((spec, true)) => {
                    if spec.excludes(&self.req.principal) {
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

fn scan(env: &Env<'_>, action_lc: &str, service_lc: &str, policy: &Policy, ty: PolicyType, matched: &mut Vec<MatchedStatement>) -> Tally {
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
    let env = Env { req: request, parts: ArnParts::parse(request.resource) };
    let mut matched = Vec::new();
    let p = &request.principal;
    let kind = p.kind;
    // Services, web-identity callers and anonymous callers have no identity side and are
    // outside any organization's SCPs: only resource-side policies speak for them.
    let has_identity_side = !matches!(kind, PrincipalKind::Service | PrincipalKind::WebIdentity | PrincipalKind::Anonymous);

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
            policies.permissions_boundary.map(|b| scan_all(&[b], PolicyType::PermissionsBoundary, &mut matched)),
            (!policies.session.is_empty()).then(|| scan_all(policies.session, PolicyType::Session, &mut matched)),
        )
    } else {
        (Tally::default(), None, None)
    };
    let mut scp_ok = true;
    let mut scp_deny = false;
    if has_identity_side {
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
    let resource = policies.resource.map(|r| scan_all(&[r], PolicyType::Resource, &mut matched)).unwrap_or_default();

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

    let verdict = decide(request, policies, kind, identity, boundary, session, scp_ok, rcp_ok, resource);
    match verdict {
        Ok(()) => Decision { effect: Effect::Allow, matched, reason: String::new(), denied_by: None },
        Err(ty) => Decision {
            effect: Effect::ImplicitDeny,
            matched,
            reason: format!("no {} allows the {} action", ty.phrase(), request.action),
            denied_by: Some(ty),
        },
    }
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
