//! Authorization of every operation: each service's `actions.rs` turns an operation call into
//! the [`ActionRequest`]s it needs (action, resource ARN, condition keys); this module gathers the
//! policies that apply (the caller's identity policies and groups', permissions boundary, the
//! session policies sealed in its token, the resource's policy), builds the request context from
//! the authenticated caller, and asks `xacct-policy` to decide. A denial becomes AWS's
//! AccessDenied message form and the operation never runs.
//!
//! Compiled policies are cached by [`PolicyDoc::cache_key`](crate::iam::lookup::PolicyDoc) (plus
//! the kind they were compiled as), so the hot path does not parse JSON.
//!
//! SCPs come from the caller's account's organization path and RCPs from each resource
//! account's (through `organizations::tree::policy_levels`, which leaves out the management
//! account). `aws:SourceIp` comes from the connection's address ([`gather_for_call`]).
//!
//! Security: the context is built from the verified caller only; request-supplied keys come
//! from the operation's `actions.rs`, never from the client's own condition-key claims.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use xacct_policy::{
    evaluate, Context, Decision, ParseOptions, Policy, PolicyError, PolicyErrorCode, PolicyKind,
    PolicySet, Principal, Request,
};
use xacct_store::ReadTx;

use crate::iam::lookup::{self, PolicyDoc, PrincipalPolicies};
use crate::sts::session::SessionKeys;
use crate::{Call, Caller, PrincipalKind, ServiceError, Services};

/// A condition key's value in the request context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    One(String),
    Many(Vec<String>),
}

/// One permission an operation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// The IAM action, e.g. `iam:CreateRole`.
    pub action: &'static str,
    /// The resource ARN (or `*` for actions without a resource).
    pub resource: String,
    /// The account owning the resource; `None` for `*`.
    pub resource_account: Option<String>,
    /// Operation-specific condition keys (`iam:PassedToService`, `aws:RequestTag/…`, …).
    pub context: Vec<(String, ContextValue)>,
}

impl ActionRequest {
    /// A request for `action` on `resource` owned by `account`.
    pub fn new(action: &'static str, resource: impl Into<String>, account: Option<&str>) -> Self {
        ActionRequest {
            action,
            resource: resource.into(),
            resource_account: account.map(str::to_owned),
            context: Vec::new(),
        }
    }

    /// The same request with one more condition key.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: ContextValue) -> Self {
        self.context.push((key.into(), value));
        self
    }
}

/// A resource-based policy that takes part in a decision (a role's trust policy, a bucket
/// policy, a key policy).
#[derive(Debug, Clone, Copy)]
pub struct ResourcePolicy<'a> {
    /// The document as stored.
    pub document: &'a str,
    /// Unique per document version (the cache key); e.g. `ROLEID/trust@len-hash`.
    pub cache_key: &'a str,
    /// Trace label, e.g. the role's ARN.
    pub label: &'a str,
    /// How to compile it: `PolicyKind::Trust` for a role trust policy.
    pub kind: PolicyKind,
    /// The resource policy itself must allow (trust policies, KMS key policies).
    pub required: bool,
}

/// Entries kept before the cache is emptied; documents are small and keys per version.
const POLICY_CACHE_CAPACITY: usize = 8192;

/// Gathered callers kept before the cache is emptied.
const GATHERED_CACHE_CAPACITY: usize = 16_384;

/// Per-server state of authorization and sessions: compiled policies and the session keys.
#[derive(Default)]
pub struct AuthzState {
    policies: RwLock<HashMap<String, Arc<Policy>>>,
    /// What [`gather_for_call`] found per credential, with the store generation it was read at.
    gathered: RwLock<HashMap<String, (u64, Arc<Gathered>)>>,
    /// The RCP levels per resource account, with the store generation they were read at.
    rcp_levels: RwLock<HashMap<String, (u64, Levels)>>,
    /// Decoded records read on the request path ([`AuthzState::decoded`]).
    decoded: RwLock<DecodedMap>,
    pub(crate) session_keys: RwLock<Option<Arc<SessionKeys>>>,
    /// `--auth off`: callers are stand-ins, nothing is authorized.
    mock: AtomicBool,
}

impl AuthzState {
    /// The record of `table` at `key`, decoded once per store generation: a role read by every
    /// `AssumeRole` is parsed from JSON only after it changes. `generation` is the store's
    /// generation read before `tx` was opened; a result is kept only while the generation holds.
    pub fn decoded<T>(
        &self,
        generation: u64,
        current: impl Fn() -> u64,
        tx: &dyn ReadTx,
        table: xacct_store::Table<T>,
        key: &str,
    ) -> Result<Option<Arc<T>>, ServiceError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        let id = (table.name(), key.to_owned());
        if let Some((g, hit)) = self.decoded.read().ok().and_then(|m| m.get(&id).cloned()) {
            if g == generation {
                return Ok(hit.and_then(|v| v.downcast::<T>().ok()));
            }
        }
        let value = table.get(tx, key)?.map(Arc::new);
        if current() == generation {
            if let Ok(mut m) = self.decoded.write() {
                if m.len() >= GATHERED_CACHE_CAPACITY {
                    m.clear();
                }
                let shared: Decoded =
                    value.clone().map(|v| v as Arc<dyn std::any::Any + Send + Sync>);
                m.insert(id, (generation, shared));
            }
        }
        Ok(value)
    }

    /// Turns mock mode (`--auth off`) on or off. In mock mode no operation is authorized and
    /// `AssumeRole`/`GetSessionToken` treat the stand-in caller as allowed (but the role must
    /// still exist); session credentials keep their identity.
    pub fn set_mock_mode(&self, on: bool) {
        self.mock.store(on, Ordering::Relaxed);
    }

    /// Whether mock mode is on.
    pub fn mock_mode(&self) -> bool {
        self.mock.load(Ordering::Relaxed)
    }

    /// The compiled policy for `cache_key`/`kind`, compiling `document` on a miss.
    pub fn compiled(
        &self,
        cache_key: &str,
        label: &str,
        document: &str,
        kind: PolicyKind,
    ) -> Result<Arc<Policy>, PolicyError> {
        let key = format!("{kind:?}#{cache_key}");
        if let Ok(map) = self.policies.read() {
            if let Some(hit) = map.get(&key) {
                return Ok(Arc::clone(hit));
            }
        }
        // Stored documents were validated (with their own quotas) when written: only the
        // grammar matters here, so the size quota is lifted.
        let options = ParseOptions { max_size: Some(1 << 20), ..ParseOptions::default() };
        let policy = Arc::new(Policy::parse_with(document, kind, &options)?.with_label(label));
        if let Ok(mut map) = self.policies.write() {
            if map.len() >= POLICY_CACHE_CAPACITY {
                map.clear();
            }
            map.insert(key, Arc::clone(&policy));
        }
        Ok(policy)
    }

    /// Number of cached compiled policies.
    pub fn cached_policies(&self) -> usize {
        self.policies.read().map(|m| m.len()).unwrap_or(0)
    }
}

/// A decoded record of some table, shared.
type Decoded = Option<Arc<dyn std::any::Any + Send + Sync>>;

/// Decoded records by (table, key), with the store generation they were read at.
type DecodedMap = HashMap<(&'static str, String), (u64, Decoded)>;

/// Organization policies, one level per root/OU/account.
type Levels = Arc<Vec<Vec<Arc<Policy>>>>;

/// Everything about the caller a decision needs, gathered once per call.
#[derive(Clone)]
pub struct Gathered {
    identity: Vec<Arc<Policy>>,
    boundary: Option<Arc<Policy>>,
    session: Vec<Arc<Policy>>,
    /// SCPs of the caller's account, one level per root/OU/account; empty when none apply.
    scps: Vec<Vec<Arc<Policy>>>,
    /// RCPs per resource account ([`Gathered::add_resource_accounts`]).
    rcps: Vec<(String, Levels)>,
    /// The request context built from the caller (principal keys, time, region).
    pub context: Context,
}

fn compile_doc(
    services: &Services,
    doc: &PolicyDoc,
    kind: PolicyKind,
) -> Result<Arc<Policy>, ServiceError> {
    services.authz_state().compiled(&doc.cache_key, &doc.label, &doc.document, kind).map_err(|e| {
        // A stored policy that no longer compiles must not be skipped (a skipped Deny would
        // widen access): the request fails instead.
        ServiceError::internal(format!("stored policy `{}` does not compile: {e}", doc.label))
    })
}

/// [`gather`] for `call`'s caller, with the request's own global keys (`aws:SourceIp`).
///
/// Cached per credential (access key id, principal, region) while the store generation is
/// unchanged: every record a gathering reads changes only by a commit, which advances the
/// generation. The time-dependent keys are refreshed on every use.
pub fn gather_for_call(
    services: &Services,
    tx: &dyn ReadTx,
    call: &Call<'_>,
) -> Result<Gathered, ServiceError> {
    let caller = call.caller;
    let cacheable = !caller.access_key_id.is_empty();
    let key = format!("{}|{}|{}", caller.access_key_id, caller.arn, call.region);
    let generation = services.store_generation();
    let hit = cacheable
        .then(|| {
            let map = services.authz_state().gathered.read().ok()?;
            map.get(&key).filter(|(g, _)| *g == generation).map(|(_, v)| Arc::clone(v))
        })
        .flatten();
    let mut gathered = match hit {
        Some(cached) => {
            let mut g = (*cached).clone();
            set_time_keys(&mut g.context, caller, services.clock().now_unix());
            g
        }
        None => {
            let mut g = gather(services, tx, caller, call.region)?;
            // Cached copies share the principal's keys; each request layers its own on top.
            g.context = Context::layered(Arc::new(std::mem::take(&mut g.context)));
            if cacheable {
                if let Ok(mut map) = services.authz_state().gathered.write() {
                    if map.len() >= GATHERED_CACHE_CAPACITY {
                        map.clear();
                    }
                    map.insert(key, (generation, Arc::new(g.clone())));
                }
            }
            g
        }
    };
    if !call.source_ip.is_empty() {
        gathered.context.insert("aws:SourceIp", call.source_ip.to_owned());
    }
    Ok(gathered)
}

/// The keys whose values move with the clock: `aws:CurrentTime`, `aws:EpochTime` and, for an
/// MFA-authenticated session, `aws:MultiFactorAuthAge`.
fn set_time_keys(ctx: &mut Context, caller: &Caller, now: i64) {
    ctx.insert("aws:CurrentTime", iso8601(now));
    ctx.insert("aws:EpochTime", now.to_string());
    if let Some(s) = caller.session.as_deref().filter(|s| s.mfa_authenticated) {
        ctx.insert("aws:MultiFactorAuthAge", (now - s.issued_at).max(0).to_string());
    }
}

/// The policies of `caller` and its request context, read in `tx`.
pub fn gather(
    services: &Services,
    tx: &dyn ReadTx,
    caller: &Caller,
    region: &str,
) -> Result<Gathered, ServiceError> {
    let now = services.clock().now_unix();
    let session = caller.session.as_deref();
    let principal: Option<PrincipalPolicies> = match caller.kind {
        PrincipalKind::IamUser => lookup::user_policies(tx, &caller.account, &caller.name)?,
        PrincipalKind::AssumedRole => match session.and_then(|s| s.role_name.as_deref()) {
            Some(role) => lookup::role_policies(tx, &caller.account, role)?,
            None => None,
        },
        // A federated user's identity side is the federating user's policies.
        PrincipalKind::FederatedUser => match session.and_then(|s| s.issuer.as_ref()) {
            Some(issuer) if !issuer.root => {
                lookup::user_policies(tx, &caller.account, &issuer.name)?
            }
            _ => None,
        },
        _ => None,
    };
    let mut identity = Vec::new();
    if caller.kind == PrincipalKind::FederatedUser
        && session.and_then(|s| s.issuer.as_ref()).is_some_and(|i| i.root)
    {
        // Federated by the root user: the identity side is the root's, which allows
        // everything; the session policies and SCPs still limit it.
        let root = services
            .authz_state()
            .compiled("root-identity", "root", ROOT_IDENTITY, PolicyKind::Identity)
            .map_err(|e| ServiceError::internal(format!("root identity policy: {e}")))?;
        identity.push(root);
    }
    let mut boundary = None;
    let mut principal_tags: Vec<(String, String)> = Vec::new();
    if let Some(p) = &principal {
        for doc in &p.identity {
            identity.push(compile_doc(services, doc, PolicyKind::Identity)?);
        }
        if let Some(b) = &p.permissions_boundary {
            boundary = Some(compile_doc(services, b, PolicyKind::PermissionsBoundary)?);
        }
        principal_tags.clone_from(&p.tags);
    }
    let mut session_policies = Vec::new();
    if let Some(s) = session {
        for (i, doc) in s.session_policies.iter().enumerate() {
            let key = format!("session/{}-{:016x}", doc.len(), fingerprint(doc));
            let label = format!("session-policy-{i}");
            let p = services
                .authz_state()
                .compiled(&key, &label, doc, PolicyKind::Session)
                .map_err(|e| ServiceError::internal(format!("sealed session policy: {e}")))?;
            session_policies.push(p);
        }
        for arn in &s.session_policy_arns {
            let p = match lookup::managed_policy_document(tx, &s.account, arn)? {
                Some(doc) => services
                    .authz_state()
                    .compiled(&doc.cache_key, &doc.label, &doc.document, PolicyKind::Session)
                    .map_err(|e| ServiceError::internal(format!("session policy `{arn}`: {e}")))?,
                // Deleted since the session began: it grants nothing, and the session stays
                // limited by session policies (an empty list would mean "no session policy").
                None => services
                    .authz_state()
                    .compiled("session/grants-nothing", arn, GRANTS_NOTHING, PolicyKind::Session)
                    .map_err(|e| ServiceError::internal(format!("grants-nothing policy: {e}")))?,
            };
            session_policies.push(p);
        }
        // Session tags override the principal's IAM tags of the same key (any case).
        for (k, v) in &s.tags {
            principal_tags.retain(|(pk, _)| !pk.eq_ignore_ascii_case(k));
            principal_tags.push((k.clone(), v.clone()));
        }
    }

    let mut ctx = Context::new();
    for (k, v) in &principal_tags {
        ctx.insert(format!("aws:PrincipalTag/{k}"), v.clone());
    }
    ctx.insert("aws:userid", caller.user_id.clone());
    if caller.kind == PrincipalKind::IamUser && !caller.name.is_empty() {
        ctx.insert("aws:username", caller.name.clone());
    }
    ctx.insert("aws:PrincipalAccount", caller.account.clone());
    set_time_keys(&mut ctx, caller, now);
    ctx.insert("aws:SecureTransport", "false");
    ctx.insert("aws:ViaAWSService", "false");
    ctx.insert("aws:PrincipalIsAWSService", "false");
    if !region.is_empty() {
        ctx.insert("aws:RequestedRegion", region.to_owned());
    }
    if let Some(s) = session {
        ctx.insert(
            "aws:MultiFactorAuthPresent",
            if s.mfa_authenticated { "true" } else { "false" },
        );
        ctx.insert("aws:TokenIssueTime", iso8601(s.issued_at));
        if let Some(si) = &s.source_identity {
            ctx.insert("aws:SourceIdentity", si.clone());
        }
        if !s.transitive_tag_keys.is_empty() {
            ctx.insert_many("sts:TransitiveTagKeys", s.transitive_tag_keys.iter().cloned());
        }
    }
    if let Some(org) = crate::organizations::model::ORGANIZATION
        .get(tx, crate::organizations::model::ORGANIZATION_KEY)?
    {
        if crate::accounts::ACCOUNTS.get(tx, &caller.account)?.is_some() {
            ctx.insert_many("aws:PrincipalOrgPaths", [org_path(tx, &org, &caller.account)?]);
            ctx.insert("aws:PrincipalOrgID", org.id);
        }
    }
    let scps = if scp_exempt(caller) {
        Vec::new()
    } else {
        org_levels(services, tx, &caller.account, SERVICE_CONTROL_POLICY, PolicyKind::Scp)?
    };
    Ok(Gathered {
        identity,
        boundary,
        session: session_policies,
        scps,
        rcps: Vec::new(),
        context: ctx,
    })
}

/// The request context of an AWS service principal acting for itself (CloudFormation assuming
/// a stack's service role): no identity side and no SCPs (the engine gives a service principal
/// only what resource policies grant), and only the global keys AWS sets for services.
pub fn gather_service(services: &Services, region: &str) -> Gathered {
    let now = services.clock().now_unix();
    let mut ctx = Context::new();
    ctx.insert("aws:CurrentTime", iso8601(now));
    ctx.insert("aws:EpochTime", now.to_string());
    ctx.insert("aws:SecureTransport", "true");
    ctx.insert("aws:PrincipalIsAWSService", "true");
    if !region.is_empty() {
        ctx.insert("aws:RequestedRegion", region.to_owned());
    }
    Gathered {
        identity: Vec::new(),
        boundary: None,
        session: Vec::new(),
        scps: Vec::new(),
        rcps: Vec::new(),
        context: ctx,
    }
}

const SERVICE_CONTROL_POLICY: &str = "SERVICE_CONTROL_POLICY";
const RESOURCE_CONTROL_POLICY: &str = "RESOURCE_CONTROL_POLICY";

/// Service-linked roles are outside SCPs, as AWS documents (the management account is left
/// out by `policy_levels` itself).
fn scp_exempt(caller: &Caller) -> bool {
    caller.kind == PrincipalKind::AssumedRole
        && caller
            .session
            .as_deref()
            .and_then(|s| s.role_arn.as_deref())
            .is_some_and(|arn| arn.contains(":role/aws-service-role/"))
}

/// The services RCPs apply to (AWS Organizations user guide, "Resource control policies":
/// supported services); other services' requests ignore RCPs.
const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "cognito-identity",
    "logs",
    "dynamodb",
    "ecr",
    "aoss",
];

/// The compiled SCP or RCP levels that apply to `account`.
fn org_levels(
    services: &Services,
    tx: &dyn ReadTx,
    account: &str,
    policy_type: &str,
    kind: PolicyKind,
) -> Result<Vec<Vec<Arc<Policy>>>, ServiceError> {
    let Some(levels) = crate::organizations::tree::policy_levels(tx, account, policy_type)? else {
        return Ok(Vec::new());
    };
    levels
        .iter()
        .map(|level| {
            level
                .iter()
                .map(|(label, document, cache_key)| {
                    services.authz_state().compiled(cache_key, label, document, kind).map_err(|e| {
                        ServiceError::internal(format!("organization policy `{label}`: {e}"))
                    })
                })
                .collect()
        })
        .collect()
}

impl Gathered {
    /// Loads the RCPs of every account that owns a resource of `requests`.
    pub fn add_resource_accounts(
        &mut self,
        services: &Services,
        tx: &dyn ReadTx,
        requests: &[ActionRequest],
    ) -> Result<(), ServiceError> {
        for r in requests {
            let Some(account) = &r.resource_account else { continue };
            if !rcp_applies(r.action) || self.rcps.iter().any(|(a, _)| a == account) {
                continue;
            }
            let state = services.authz_state();
            let generation = services.store_generation();
            let hit = state.rcp_levels.read().ok().and_then(|m| {
                m.get(account).filter(|(g, _)| *g == generation).map(|(_, l)| Arc::clone(l))
            });
            let levels = match hit {
                Some(levels) => levels,
                None => {
                    let levels = Arc::new(org_levels(
                        services,
                        tx,
                        account,
                        RESOURCE_CONTROL_POLICY,
                        PolicyKind::Rcp,
                    )?);
                    if let Ok(mut m) = state.rcp_levels.write() {
                        if m.len() >= GATHERED_CACHE_CAPACITY {
                            m.clear();
                        }
                        m.insert(account.clone(), (generation, Arc::clone(&levels)));
                    }
                    levels
                }
            };
            self.rcps.push((account.clone(), levels));
        }
        Ok(())
    }
}

fn rcp_applies(action: &str) -> bool {
    action
        .split_once(':')
        .is_some_and(|(svc, _)| RCP_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(svc)))
}

/// `o-ID/r-ID/ou-…/…/`: the account's path in the organization (`aws:PrincipalOrgPaths`).
fn org_path(
    tx: &dyn ReadTx,
    org: &crate::organizations::model::OrganizationRecord,
    account: &str,
) -> Result<String, ServiceError> {
    use crate::organizations::tree;
    let parent = tree::account_parent(tx, org, account)?;
    let mut path = format!("{}/{}/", org.id, org.root_id);
    if parent != org.root_id {
        for ou in tree::ou_path(tx, org, &parent)? {
            path.push_str(&ou.id);
            path.push('/');
        }
    }
    Ok(path)
}

/// The root user's own permissions, standing in as the identity side of sessions it federated.
const ROOT_IDENTITY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// A session policy that allows nothing (stands in for a deleted managed session policy).
const GRANTS_NOTHING: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}"#;

/// FNV-1a of a document, for cache keys of sealed session policies.
fn fingerprint(s: &str) -> u64 {
    s.bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// `2026-11-23T09:30:00Z`.
pub fn iso8601(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The engine's view of `caller`.
fn principal_of(caller: &Caller) -> Principal<'_> {
    match caller.kind {
        PrincipalKind::Root => Principal::root(&caller.arn, &caller.account),
        PrincipalKind::IamUser => {
            Principal::user(&caller.arn, &caller.account).with_unique_id(&caller.user_id)
        }
        PrincipalKind::AssumedRole => {
            let session = caller.session.as_deref();
            let role_arn = session.and_then(|s| s.role_arn.as_deref()).unwrap_or(&caller.arn);
            let p = Principal::assumed_role(&caller.arn, role_arn, &caller.account);
            match session.and_then(|s| s.role_id.as_deref()) {
                Some(id) => p.with_unique_id(id),
                None => p,
            }
        }
        PrincipalKind::FederatedUser => {
            let p = Principal::federated_user(&caller.arn, &caller.account);
            match caller.session.as_deref().and_then(|s| s.issuer.as_ref()) {
                Some(issuer) if !issuer.root => p.with_source_user(&issuer.arn),
                _ => p,
            }
        }
        PrincipalKind::Service => Principal::service(&caller.arn),
    }
}

/// Decides one request for `caller` with its gathered policies and `resource`'s policy.
pub fn decide(
    services: &Services,
    caller: &Caller,
    gathered: &Gathered,
    request: &ActionRequest,
    resource: Option<&ResourcePolicy<'_>>,
) -> Result<Decision, ServiceError> {
    let resource_policy = match resource {
        Some(r) => Some(
            services.authz_state().compiled(r.cache_key, r.label, r.document, r.kind).map_err(
                |e| ServiceError::internal(format!("resource policy `{}`: {e}", r.label)),
            )?,
        ),
        None => None,
    };
    let mut ctx = gathered.context.clone();
    for (k, v) in &request.context {
        match v {
            ContextValue::One(s) => ctx.insert(k, s.clone()),
            ContextValue::Many(m) => ctx.insert_many(k, m.iter().cloned()),
        };
    }
    if let Some(ra) = &request.resource_account {
        ctx.insert("aws:ResourceAccount", ra.clone());
    }
    let identity: Vec<&Policy> = gathered.identity.iter().map(|p| &**p).collect();
    let session: Vec<&Policy> = gathered.session.iter().map(|p| &**p).collect();
    let scp_levels: Vec<Vec<&Policy>> =
        gathered.scps.iter().map(|l| l.iter().map(|p| &**p).collect()).collect();
    let scps: Vec<&[&Policy]> = scp_levels.iter().map(Vec::as_slice).collect();
    let rcp_levels: Vec<Vec<&Policy>> = match &request.resource_account {
        Some(account) if rcp_applies(request.action) => gathered
            .rcps
            .iter()
            .find(|(a, _)| a == account)
            .map(|(_, levels)| levels.iter().map(|l| l.iter().map(|p| &**p).collect()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let rcps: Vec<&[&Policy]> = rcp_levels.iter().map(Vec::as_slice).collect();
    let set = PolicySet {
        identity: &identity,
        permissions_boundary: gathered.boundary.as_deref(),
        session: &session,
        scps: &scps,
        rcps: &rcps,
        resource: resource_policy.as_deref(),
        resource_policy_required: resource.is_some_and(|r| r.required),
    };
    let req = Request {
        principal: principal_of(caller),
        action: request.action,
        resource: &request.resource,
        resource_account: request.resource_account.as_deref(),
        context: &ctx,
    };
    Ok(evaluate(&req, &set))
}

/// AWS's AccessDenied for `service`'s protocol: query services (`iam`, `sts`, `cloudformation`) answer
/// `AccessDenied` 403; json services `AccessDeniedException` (400 for Organizations, whose model
/// gives its exceptions no status).
pub fn access_denied(service: &str, message: String) -> ServiceError {
    match service {
        "iam" | "sts" | "s3" | "cloudformation" => {
            ServiceError::client("AccessDenied", 403, message)
        }
        // Proton's API reference lists AccessDeniedException with HTTP 400 too.
        "organizations" | "proton" => ServiceError::client("AccessDeniedException", 400, message),
        _ => ServiceError::client("AccessDeniedException", 403, message),
    }
}

/// The denial of `request` for `caller`, in AWS's words.
pub fn denial(
    service: &str,
    caller: &Caller,
    request: &ActionRequest,
    decision: &Decision,
) -> ServiceError {
    access_denied(
        service,
        decision.access_denied_message(&caller.arn, request.action, &request.resource),
    )
}

/// Authorizes every request of `call` (none: nothing to check). The first denied request
/// answers for all, and the operation does not run.
pub fn authorize(
    services: &Services,
    call: &Call<'_>,
    requests: &[ActionRequest],
) -> Result<(), ServiceError> {
    if services.authz_state().mock_mode() {
        return Ok(());
    }
    session_restrictions(call)?;
    if requests.is_empty() {
        return Ok(());
    }
    let tx = services.cached_read();
    let mut gathered = gather_for_call(services, &*tx, call)?;
    let mut resolved = Vec::with_capacity(requests.len());
    for request in requests {
        resolved.push(with_stored_iam_resource(&*tx, request)?);
    }
    gathered.add_resource_accounts(services, &*tx, &resolved)?;
    drop(tx);
    for request in &resolved {
        let decision = decide(services, call.caller, &gathered, request, None)?;
        if !decision.is_allowed() {
            tracing::info!(
                caller = %call.caller.arn,
                action = request.action,
                resource = %request.resource,
                reason = %decision.reason,
                "access denied"
            );
            return Err(denial(call.service, call.caller, request, &decision));
        }
    }
    Ok(())
}

/// An IAM request naming an existing user, role or group by name only
/// (`arn:aws:iam::A:user/NAME`) gets the entity's stored ARN (with its path) and its tags as
/// `aws:ResourceTag/…` and `iam:ResourceTag/…`, so path-scoped resources and tag conditions
/// match as in AWS. Anything else is returned unchanged.
fn with_stored_iam_resource(
    tx: &dyn ReadTx,
    request: &ActionRequest,
) -> Result<ActionRequest, ServiceError> {
    let mut out = request.clone();
    let Some(rest) = request.resource.strip_prefix("arn:aws:iam::") else {
        return Ok(out);
    };
    let Some((account, resource)) = rest.split_once(':') else {
        return Ok(out);
    };
    let Some((kind, name)) = resource.split_once('/') else {
        return Ok(out);
    };
    if name.is_empty() || name.contains(['/', '*', '?']) {
        return Ok(out);
    }
    let (arn, tags) = match kind {
        "user" => match lookup::user(tx, account, name)? {
            Some(u) => (u.arn, u.tags),
            None => return Ok(out),
        },
        "role" => match lookup::role(tx, account, name)? {
            Some(r) => (r.arn, r.tags),
            None => return Ok(out),
        },
        "group" => {
            let key = crate::iam::model::entity_key(account, name);
            match crate::iam::model::GROUPS.get(tx, &key)? {
                Some(g) => (g.arn, Vec::new()),
                None => return Ok(out),
            }
        }
        _ => return Ok(out),
    };
    out.resource = arn;
    for t in tags {
        out.context
            .push((format!("aws:ResourceTag/{}", t.key), ContextValue::One(t.value.clone())));
        out.context.push((format!("iam:ResourceTag/{}", t.key), ContextValue::One(t.value)));
    }
    Ok(out)
}

/// What `GetSessionToken` credentials may not do (AWS's STS API reference): call IAM without
/// MFA, or any STS operation but `AssumeRole` and `GetCallerIdentity`; and what
/// `GetFederationToken` credentials may not: call IAM, or STS but `GetCallerIdentity`.
fn session_restrictions(call: &Call<'_>) -> Result<(), ServiceError> {
    let Some(session) = call.caller.session.as_deref() else {
        return Ok(());
    };
    if session.issuer.is_none() {
        return Ok(());
    }
    if session.federated_name.is_some() {
        // AWS's GetFederationToken reference: no IAM operation, and no STS operation but
        // GetCallerIdentity. UNVERIFIED: the message text of this refusal.
        return match call.service {
            "iam" => Err(access_denied(
                "iam",
                format!("Cannot call {} with federated user credentials", call.operation),
            )),
            "sts" if call.operation != "GetCallerIdentity" => Err(access_denied(
                "sts",
                format!("Cannot call {} with session credentials", call.operation),
            )),
            _ => Ok(()),
        };
    }
    match call.service {
        // AWS answers IAM calls with these credentials as if the token were unknown.
        "iam" if !session.mfa_authenticated => Err(ServiceError::client(
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid",
        )),
        "sts"
            if !matches!(
                call.operation,
                "AssumeRole" | "GetCallerIdentity" | "GetSessionToken"
            ) =>
        {
            Err(access_denied(
                "sts",
                format!("Cannot call {} with session credentials", call.operation),
            ))
        }
        _ => Ok(()),
    }
}

/// Maps an engine refusal of a client-supplied document to a service error with `code`.
pub fn policy_error(
    e: &PolicyError,
    malformed_code: &'static str,
    limit_code: &'static str,
) -> ServiceError {
    match e.code() {
        PolicyErrorCode::MalformedPolicyDocument => {
            ServiceError::client(malformed_code, 400, e.message())
        }
        PolicyErrorCode::LimitExceeded => ServiceError::client(limit_code, 400, e.message()),
    }
}

#[cfg(test)]
mod tests;
