//! AWS STS (query protocol): one function per operation, named as AWS names it —
//! `AssumeRole`, `GetCallerIdentity`, `GetSessionToken`, `GetAccessKeyInfo` — and the
//! resolution of temporary credentials on every later request ([`resolve_session`]).
//!
//! Sessions are stateless (see [`session`]): `AssumeRole` and `GetSessionToken` write nothing;
//! the server key they seal tokens with is made once and kept in the store's `meta` table.
//!
//! Security: `AssumeRole` is authorized here, not in `actions.rs`, because the decision needs
//! the role's trust policy as a required resource policy and the request's own condition keys.
//!
//! AWS behaviours taken from observed error texts: the root refusal ("Roles may not be assumed
//! by root accounts."), the MFA messages, "Cannot call GetSessionToken with session
//! credentials", `InvalidClientTokenId` for IAM calls with non-MFA `GetSessionToken`
//! credentials. Chosen where AWS publishes nothing (unconfirmed): the packed-size formula (see
//! [`packed`]), `MalformedPolicyDocument` for a `PolicyArns` entry that does not resolve,
//! `ValidationError` for duplicate tag keys and for an inline policy over 2,048 characters,
//! and silently dropping `TransitiveTagKeys` that name no tag of the request.

pub mod actions;
pub mod packed;
pub mod session;

use std::sync::Arc;

use serde_json::{json, Value};
use xacct_policy::{ParseOptions, Policy, PolicyKind};

use crate::authz::{self, ActionRequest, ContextValue, ResourcePolicy};
use crate::iam::lookup;
use crate::{
    accounts, ids, input_str, unknown_operation, Call, Caller, PrincipalKind, ServiceError,
    Services, META,
};
use session::{Issuer, SessionContext, SessionError, SessionKeys};

/// The `meta` key of the server's 32-byte session key (hex).
const SESSION_KEY: &str = "session-key";

pub(crate) fn dispatch(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    match call.operation {
        "GetCallerIdentity" => get_caller_identity(services, call),
        "AssumeRole" => assume_role(services, call),
        "GetSessionToken" => get_session_token(services, call),
        "GetAccessKeyInfo" => get_access_key_info(services, call),
        "GetFederationToken" => get_federation_token(services, call),
        _ => Err(unknown_operation(call)),
    }
}

/// `GetCallerIdentity`: needs no permission (AWS documents that no policy can deny it).
pub fn get_caller_identity(_services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    Ok(json!({
        "UserId": call.caller.user_id,
        "Account": call.caller.account,
        "Arn": call.caller.arn,
    }))
}

// ---------------------------------------------------------------- keys and resolution

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The stored server key, created (from the OS RNG, in one write transaction) if missing.
fn load_or_create_keys(services: &Services) -> Result<Arc<SessionKeys>, ServiceError> {
    let corrupt = || ServiceError::internal("the stored session key is not 32 bytes of hex");
    {
        let tx = services.store().read()?;
        if let Some(hex) = META.get(&*tx, SESSION_KEY)? {
            return Ok(Arc::new(SessionKeys::new(&from_hex32(&hex).ok_or_else(corrupt)?)));
        }
    }
    let mut tx = services.store().write()?;
    // Another writer may have created it between the two transactions.
    let master = match META.get(&*tx, SESSION_KEY)? {
        Some(hex) => from_hex32(&hex).ok_or_else(corrupt)?,
        None => {
            let key = ids::random_bytes::<32>()?;
            META.put(&mut *tx, SESSION_KEY, &to_hex(&key))?;
            tx.commit()?;
            key
        }
    };
    Ok(Arc::new(SessionKeys::new(&master)))
}

/// Loads (or creates) the session key and replaces the cached one (after bootstrap or reset).
pub(crate) fn reload_session_keys(services: &Services) -> Result<(), ServiceError> {
    let keys = load_or_create_keys(services)?;
    if let Ok(mut slot) = services.authz_state().session_keys.write() {
        *slot = Some(keys);
    }
    Ok(())
}

/// The session keys, loaded on first use.
pub fn session_keys(services: &Services) -> Result<Arc<SessionKeys>, ServiceError> {
    if let Ok(slot) = services.authz_state().session_keys.read() {
        if let Some(k) = slot.as_ref() {
            return Ok(Arc::clone(k));
        }
    }
    let keys = load_or_create_keys(services)?;
    if let Ok(mut slot) = services.authz_state().session_keys.write() {
        *slot = Some(Arc::clone(&keys));
    }
    Ok(keys)
}

/// The temporary secret and caller of `access_key_id` presented with `token` at `now`.
pub fn resolve_session(
    services: &Services,
    access_key_id: &str,
    token: &str,
    now: i64,
) -> Result<(String, Caller), SessionError> {
    if !access_key_id.starts_with("ASIA") {
        return Err(SessionError::Invalid);
    }
    let keys = session_keys(services).map_err(SessionError::Internal)?;
    let context = Arc::new(keys.open(access_key_id, token, now)?);
    Ok((keys.derived_secret(access_key_id), context.caller()))
}

/// Seals `context` and answers the `Credentials` structure for it.
fn issue(services: &Services, context: &SessionContext) -> Result<Value, ServiceError> {
    let keys = session_keys(services)?;
    let token = keys.seal(context)?;
    Ok(json!({
        "AccessKeyId": context.access_key_id,
        "SecretAccessKey": keys.derived_secret(&context.access_key_id),
        "SessionToken": token,
        // The wire layer's timestamp convention: epoch seconds.
        "Expiration": context.expires_at as f64,
    }))
}

// ---------------------------------------------------------------- errors

fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ValidationError", 400, message)
}

/// AWS's generic constraint message for one member.
fn constraint(value: &str, member: &str, rule: &str) -> ServiceError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"
    ))
}

fn denied(message: impl Into<String>) -> ServiceError {
    ServiceError::client("AccessDenied", 403, message)
}

const MFA_BOTH: &str =
    "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.";
const MFA_INVALID_CODE: &str =
    "MultiFactorAuthentication failed with invalid MFA one time pass code.";
const MFA_UNKNOWN_DEVICE: &str = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.";

// ---------------------------------------------------------------- input

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

fn duration(input: &Value) -> Option<i64> {
    input.get("DurationSeconds").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
}

/// Session tags of the request, checked as STS checks them.
fn tags(input: &Value) -> Result<Vec<(String, String)>, ServiceError> {
    let Some(list) = input.get("Tags").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    if list.len() > 50 {
        return Err(constraint(
            "[...]",
            "tags",
            "Member must have length less than or equal to 50",
        ));
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let key = input_str(t, "Key").unwrap_or_default();
        let value = input_str(t, "Value").unwrap_or_default();
        let n = i + 1;
        if key.is_empty() || key.chars().count() > 128 {
            return Err(constraint(
                key,
                &format!("tags.{n}.member.key"),
                "Member must have length less than or equal to 128",
            ));
        }
        if value.chars().count() > 256 {
            return Err(constraint(
                value,
                &format!("tags.{n}.member.value"),
                "Member must have length less than or equal to 256",
            ));
        }
        if out.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(validation(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

fn strings(input: &Value, member: &str) -> Vec<String> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The MFA check of `AssumeRole`/`GetSessionToken`: `Ok(true)` when a valid code for a device of
/// the calling user was given, `Ok(false)` when none was given.
fn check_mfa(
    services: &Services,
    caller: &Caller,
    serial: Option<&str>,
    code: Option<&str>,
    now: i64,
) -> Result<bool, ServiceError> {
    let (serial, code) = match (serial, code) {
        (None, None) => return Ok(false),
        (Some(s), Some(c)) => (s, c),
        _ => return Err(denied(MFA_BOTH)),
    };
    let tx = services.cached_read();
    let owner_name = match (&caller.session, caller.kind) {
        (Some(s), _) => s.issuer.as_ref().map(|i| i.name.clone()).unwrap_or_default(),
        (None, PrincipalKind::IamUser) => caller.name.clone(),
        _ => String::new(),
    };
    let Some((user, seed)) = lookup::mfa_seed(&*tx, &caller.account, serial)? else {
        return Err(denied(MFA_UNKNOWN_DEVICE));
    };
    if owner_name.is_empty() || !user.eq_ignore_ascii_case(&owner_name) {
        return Err(denied(MFA_UNKNOWN_DEVICE));
    }
    if !crate::iam::ops::mfa::verify_totp(&seed, code, now) {
        return Err(denied(MFA_INVALID_CODE));
    }
    Ok(true)
}

/// The session policies a request passes (`Policy`, `PolicyArns`), checked as STS checks them:
/// the inline document validated as a session policy, the managed ones existing in `account`,
/// and the packed size (with `tags`) within the limit.
struct SessionPolicies<'a> {
    inline: Option<&'a str>,
    arns: Vec<String>,
    packed: packed::PackedSize,
}

impl<'a> SessionPolicies<'a> {
    fn from_input(
        tx: &dyn xacct_store::ReadTx,
        input: &'a Value,
        account: &str,
        tags: &[(String, String)],
    ) -> Result<SessionPolicies<'a>, ServiceError> {
        let inline = input_str(input, "Policy");
        let arns: Vec<String> = input
            .get("PolicyArns")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|d| input_str(d, "arn")).map(str::to_owned).collect())
            .unwrap_or_default();
        if arns.len() > MAX_POLICY_ARNS {
            return Err(constraint(
                "[...]",
                "policyArns",
                "Member must have length less than or equal to 10",
            ));
        }
        if let Some(doc) = inline {
            // The plaintext limit (AWS: "can't exceed 2,048 characters"), apart from the packed one.
            if doc.chars().count() > MAX_SESSION_POLICY_CHARS {
                return Err(constraint(
                    doc,
                    "policy",
                    "Member must have length less than or equal to 2048",
                ));
            }
            let options = ParseOptions {
                max_size: Some(MAX_SESSION_POLICY_CHARS),
                ..ParseOptions::default()
            };
            Policy::parse_with(doc, PolicyKind::Session, &options).map_err(|e| {
                authz::policy_error(&e, "MalformedPolicyDocument", "ValidationError")
            })?;
        }
        for arn in &arns {
            if lookup::managed_policy_document(tx, account, arn)?.is_none() {
                return Err(ServiceError::client(
                    "MalformedPolicyDocument",
                    400,
                    format!("Policy {arn} does not exist or is not attachable."),
                ));
            }
        }
        let packed = packed::packed_policy_size(inline, &arns, tags);
        if packed.percent > 100 {
            return Err(ServiceError::client("PackedPolicyTooLarge", 400, packed.message()));
        }
        Ok(SessionPolicies { inline, arns, packed })
    }

    /// The inline document, as sealed into the token.
    fn documents(&self) -> Vec<String> {
        self.inline.map(str::to_owned).into_iter().collect()
    }

    /// Whether the answer reports `PackedPolicySize` (anything was packed).
    fn any(&self, tags: &[(String, String)]) -> bool {
        self.inline.is_some() || !self.arns.is_empty() || !tags.is_empty()
    }
}

/// `DurationSeconds` of `GetSessionToken`/`GetFederationToken`: 900 to 129,600 seconds,
/// `default` when absent; the root user's sessions last at most an hour (AWS's API reference).
fn long_term_session_seconds(input: &Value, root: bool, default: i64) -> Result<i64, ServiceError> {
    Ok(match duration(input) {
        Some(d) if !(900..=129_600).contains(&d) => {
            return Err(constraint(
                &d.to_string(),
                "durationSeconds",
                if d < 900 {
                    "Member must have value greater than or equal to 900"
                } else {
                    "Member must have value less than or equal to 129600"
                },
            ))
        }
        Some(d) if root => d.min(SESSION_TOKEN_ROOT_MAX),
        Some(d) => d,
        None if root => SESSION_TOKEN_ROOT_MAX,
        None => default,
    })
}

// ---------------------------------------------------------------- AssumeRole

/// A parsed `arn:aws:iam::ACCOUNT:role/PATH/NAME`: (account, name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    (ids::is_account_id(account) && !name.is_empty()).then_some((account, name))
}

/// The plaintext limit of an inline session policy, in characters.
const MAX_SESSION_POLICY_CHARS: usize = 2048;
/// The most a session policy set may hold (AWS: "up to 10 managed policy ARNs").
const MAX_POLICY_ARNS: usize = 10;
/// Default role session length when `DurationSeconds` is absent.
const DEFAULT_ROLE_SESSION: i64 = 3600;
/// The role-chaining cap.
const CHAINED_SESSION_MAX: i64 = 3600;

/// `AssumeRole`. Authorized here: the caller's identity side must allow `sts:AssumeRole` on the
/// role (unless the same-account trust policy names the caller itself), the role's trust policy
/// must allow the caller, and `sts:TagSession` / `sts:SetSourceIdentity` too when tags or a
/// source identity are passed.
pub fn assume_role(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let caller = call.caller;
    let input = call.input;
    let now = services.clock().now_unix();
    let mock = services.authz_state().mock_mode();
    if caller.kind == PrincipalKind::Root && !mock {
        return Err(denied("Roles may not be assumed by root accounts."));
    }
    let role_arn = input_str(input, "RoleArn").unwrap_or_default();
    let session_name = input_str(input, "RoleSessionName").unwrap_or_default();
    let name_len = session_name.chars().count();
    if !(2..=64).contains(&name_len) {
        return Err(constraint(
            session_name,
            "roleSessionName",
            "Member must have length between 2 and 64",
        ));
    }
    if !session_name.chars().all(is_name_char) {
        return Err(constraint(
            session_name,
            "roleSessionName",
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    let external_id = input_str(input, "ExternalId");
    if let Some(e) = external_id {
        if !(2..=1224).contains(&e.chars().count()) {
            return Err(constraint(e, "externalId", "Member must have length between 2 and 1224"));
        }
    }
    let source_identity = input_str(input, "SourceIdentity");
    if let Some(si) = source_identity {
        if !(2..=64).contains(&si.chars().count()) || !si.chars().all(is_name_char) {
            return Err(constraint(
                si,
                "sourceIdentity",
                "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
            ));
        }
    }
    let requested = duration(input);
    if let Some(d) = requested {
        if !(900..=43200).contains(&d) {
            return Err(constraint(
                &d.to_string(),
                "durationSeconds",
                if d < 900 {
                    "Member must have value greater than or equal to 900"
                } else {
                    "Member must have value less than or equal to 43200"
                },
            ));
        }
    }
    let mut session_tags = tags(input)?;
    let mut transitive = strings(input, "TransitiveTagKeys");
    if transitive.len() > 50 {
        return Err(constraint(
            "[...]",
            "transitiveTagKeys",
            "Member must have length less than or equal to 50",
        ));
    }
    let Some((role_account, role_name)) = parse_role_arn(role_arn) else {
        return Err(validation(format!("{role_arn} is invalid")));
    };
    // Session policies: managed ones resolve in the role's account.
    let generation = services.store_generation();
    let tx = services.cached_read();
    let policies = SessionPolicies::from_input(&*tx, input, role_account, &session_tags)?;
    let mfa_given = if mock {
        // The stand-in caller owns no device: a code is taken as given.
        input_str(input, "SerialNumber").is_some() && input_str(input, "TokenCode").is_some()
    } else {
        check_mfa(
            services,
            caller,
            input_str(input, "SerialNumber"),
            input_str(input, "TokenCode"),
            now,
        )?
    };
    let parent = caller.session.as_deref();
    let mfa = mfa_given || parent.is_some_and(|s| s.mfa_authenticated);

    // Transitive tags of a chained session pass on; the request's own keys cannot replace them.
    if let Some(p) = parent.filter(|p| p.role_arn.is_some()) {
        for key in &p.transitive_tag_keys {
            if let Some((k, v)) = p.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                session_tags.retain(|(sk, _)| !sk.eq_ignore_ascii_case(k));
                session_tags.push((k.clone(), v.clone()));
                if !transitive.iter().any(|t| t.eq_ignore_ascii_case(k)) {
                    transitive.push(k.clone());
                }
            }
        }
    }
    transitive.retain(|t| session_tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(t)));
    let source_identity = match (parent.and_then(|p| p.source_identity.clone()), source_identity) {
        (Some(inherited), Some(asked)) if inherited != asked => {
            return Err(denied(format!(
                "User: {} is not authorized to perform: sts:SetSourceIdentity on resource: {role_arn} because the source identity cannot be changed once set",
                caller.arn
            )))
        }
        (Some(inherited), _) => Some(inherited),
        (None, asked) => asked.map(str::to_owned),
    };

    // The role, its trust policy, and the decision.
    let not_authorized = || {
        denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.arn
        ))
    };
    let role_key = crate::iam::model::entity_key(role_account, role_name);
    let current = || services.store_generation();
    let role = services.authz_state().decoded(
        generation,
        current,
        &*tx,
        crate::iam::model::ROLES,
        &role_key,
    )?;
    let Some(role) = role else {
        return Err(not_authorized());
    };
    if role.arn != role_arn {
        return Err(not_authorized());
    }
    let mut gathered = authz::gather_for_call(services, &*tx, call)?;
    let mut base = ActionRequest::new("sts:AssumeRole", role_arn, Some(role_account))
        .with("sts:RoleSessionName", ContextValue::One(session_name.to_owned()));
    if let Some(e) = external_id {
        base = base.with("sts:ExternalId", ContextValue::One(e.to_owned()));
    }
    if let Some(si) = input_str(input, "SourceIdentity") {
        base = base.with("sts:SourceIdentity", ContextValue::One(si.to_owned()));
    }
    if mfa_given {
        base = base
            .with("aws:MultiFactorAuthPresent", ContextValue::One("true".into()))
            .with("aws:MultiFactorAuthAge", ContextValue::One("0".into()));
    }
    if !session_tags.is_empty() {
        for (k, v) in &session_tags {
            base = base.with(format!("aws:RequestTag/{k}"), ContextValue::One(v.clone()));
        }
        base = base.with(
            "aws:TagKeys",
            ContextValue::Many(session_tags.iter().map(|(k, _)| k.clone()).collect()),
        );
        base = base.with("sts:TransitiveTagKeys", ContextValue::Many(transitive.clone()));
    }
    let mut requests = vec![base.clone()];
    if !session_tags.is_empty() {
        requests.push(ActionRequest { action: "sts:TagSession", ..base.clone() });
    }
    if input_str(input, "SourceIdentity").is_some() {
        requests.push(ActionRequest { action: "sts:SetSourceIdentity", ..base });
    }
    gathered.add_resource_accounts(services, &*tx, &requests)?;
    drop(tx);
    let trust_key = trust_cache_key(&role);
    let trust = trust_policy(&role, &trust_key);
    // Mock mode authorizes nothing (the caller is a stand-in).
    for request in requests.iter().filter(|_| !mock) {
        let decision = authz::decide(services, caller, &gathered, request, Some(&trust))?;
        if !decision.is_allowed() {
            tracing::info!(caller = %caller.arn, action = request.action, role = %role.arn, reason = %decision.reason, "assume role denied");
            return Err(authz::denial("sts", caller, request, &decision));
        }
    }

    // Duration: the role's maximum, and one hour when chaining.
    let chained = caller.kind == PrincipalKind::AssumedRole;
    let seconds = requested.unwrap_or(DEFAULT_ROLE_SESSION);
    if chained && seconds > CHAINED_SESSION_MAX {
        return Err(validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if seconds > i64::from(role.max_session_duration) {
        return Err(validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }

    let context = SessionContext {
        account: role_account.to_owned(),
        access_key_id: session::temporary_access_key_id(role_account)?,
        role_arn: Some(role.arn.clone()),
        role_id: Some(role.role_id.clone()),
        role_name: Some(role.role_name.clone()),
        session_name: Some(session_name.to_owned()),
        issued_at: now,
        expires_at: now + seconds,
        session_policies: policies.documents(),
        session_policy_arns: policies.arns.clone(),
        tags: session_tags.clone(),
        transitive_tag_keys: transitive,
        source_identity: source_identity.clone(),
        mfa_authenticated: mfa,
        chain_depth: parent.map_or(0, |p| if p.role_arn.is_some() { p.chain_depth + 1 } else { 0 }),
        issuer: None,
        federated_name: None,
        invoked_by: None,
    };
    let credentials = issue(services, &context)?;
    let mut out = json!({
        "Credentials": credentials,
        "AssumedRoleUser": {
            "AssumedRoleId": format!("{}:{session_name}", role.role_id),
            "Arn": context.assumed_role_arn(),
        },
    });
    if let Some(obj) = out.as_object_mut() {
        if policies.any(&session_tags) {
            obj.insert("PackedPolicySize".into(), json!(policies.packed.percent));
        }
        if let Some(si) = source_identity {
            obj.insert("SourceIdentity".into(), json!(si));
        }
    }
    Ok(out)
}

/// The compiled-policy cache key of `role`'s trust policy: the role id and the document's
/// length and hash, so an updated trust policy never meets its predecessor's compiled form.
fn trust_cache_key(role: &crate::iam::model::RoleRecord) -> String {
    let doc = &role.assume_role_policy_document;
    format!("{}/trust@{}-{:016x}", role.role_id, doc.len(), fnv(doc))
}

/// `role`'s trust policy as the resource policy of an `sts:AssumeRole` decision.
fn trust_policy<'a>(
    role: &'a crate::iam::model::RoleRecord,
    cache_key: &'a str,
) -> ResourcePolicy<'a> {
    ResourcePolicy {
        document: &role.assume_role_policy_document,
        cache_key,
        label: &role.arn,
        kind: PolicyKind::Trust,
        required: true,
    }
}

/// `AssumeRole` by an AWS service principal (`cloudformation.amazonaws.com` for a stack's
/// service role): the role's trust policy must allow `service` to call `sts:AssumeRole`.
/// Returns the session's caller; nothing is sealed, the session lives only in-process for the
/// service's own calls. In mock mode the trust policy is not evaluated (the role must exist).
pub fn assume_role_for_service(
    services: &Services,
    role_arn: &str,
    service: &str,
    session_name: &str,
    region: &str,
) -> Result<Caller, ServiceError> {
    assume_role_for_service_with(services, role_arn, service, session_name, region, &[])
}

/// [`assume_role_for_service`] with the condition keys the service sets for the trust policy
/// (`aws:SourceAccount`, `aws:SourceArn` when it acts for a customer's resource). The session
/// remembers `service` as the principal that invoked it (CloudTrail's `invokedBy`).
pub fn assume_role_for_service_with(
    services: &Services,
    role_arn: &str,
    service: &str,
    session_name: &str,
    region: &str,
    context: &[(String, ContextValue)],
) -> Result<Caller, ServiceError> {
    let not_authorized = || {
        denied(format!(
            "User: {service} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        ))
    };
    let Some((role_account, role_name)) = parse_role_arn(role_arn) else {
        return Err(validation(format!("{role_arn} is invalid")));
    };
    let role = {
        let tx = services.store().read()?;
        lookup::role(&*tx, role_account, role_name)?
    };
    let Some(role) = role.filter(|r| r.arn == role_arn) else {
        return Err(not_authorized());
    };
    if !services.authz_state().mock_mode() {
        let principal = Caller {
            kind: PrincipalKind::Service,
            account: String::new(),
            arn: service.to_owned(),
            user_id: service.to_owned(),
            access_key_id: String::new(),
            name: String::new(),
            session: None,
        };
        let gathered = authz::gather_service(services, region);
        let mut request = ActionRequest::new("sts:AssumeRole", role_arn, Some(role_account));
        request.context.extend(context.iter().cloned());
        let trust_key = trust_cache_key(&role);
        let trust = trust_policy(&role, &trust_key);
        let decision = authz::decide(services, &principal, &gathered, &request, Some(&trust))?;
        if !decision.is_allowed() {
            tracing::info!(service, role = %role.arn, reason = %decision.reason, "service assume role denied");
            return Err(not_authorized());
        }
    }
    let now = services.clock().now_unix();
    let context = Arc::new(SessionContext {
        account: role_account.to_owned(),
        access_key_id: session::temporary_access_key_id(role_account)?,
        role_arn: Some(role.arn.clone()),
        role_id: Some(role.role_id.clone()),
        role_name: Some(role.role_name.clone()),
        session_name: Some(session_name.to_owned()),
        issued_at: now,
        expires_at: now + DEFAULT_ROLE_SESSION,
        invoked_by: Some(service.to_owned()),
        ..SessionContext::default()
    });
    Ok(context.caller())
}

/// [`assume_role_for_service_with`] recorded as the `AssumeRole` event AWS writes in the role's
/// account when a service assumes a customer's role: `userIdentity` of type `AWSService` with
/// `invokedBy` the service, and the service as the source address. `request_id` ties it to
/// the request the service acts for.
pub fn assume_role_for_service_recorded(
    services: &Services,
    role_arn: &str,
    service: &str,
    session_name: &str,
    region: &str,
    context: &[(String, ContextValue)],
    request_id: &str,
) -> Result<Caller, ServiceError> {
    let account = parse_role_arn(role_arn).map(|(a, _)| a.to_owned()).unwrap_or_default();
    let principal = Caller {
        kind: PrincipalKind::Service,
        account,
        arn: service.to_owned(),
        user_id: service.to_owned(),
        access_key_id: String::new(),
        name: String::new(),
        session: None,
    };
    let input = json!({ "RoleArn": role_arn, "RoleSessionName": session_name });
    let call = Call {
        service: "sts",
        operation: "AssumeRole",
        region,
        caller: &principal,
        input: &input,
        request_id,
        source_ip: service,
        user_agent: service,
        streams: None,
    };
    let mut assumed = None;
    crate::cloudtrail::recorded(services, &call, || {
        let caller = assume_role_for_service_with(
            services,
            role_arn,
            service,
            session_name,
            region,
            context,
        )?;
        let out = json!({
            "AssumedRoleUser": { "Arn": caller.arn, "AssumedRoleId": caller.user_id },
        });
        assumed = Some(caller);
        Ok(out)
    })?;
    assumed.ok_or_else(|| ServiceError::internal("service AssumeRole returned no session"))
}

fn fnv(s: &str) -> u64 {
    s.bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

// ---------------------------------------------------------------- GetSessionToken

const SESSION_TOKEN_DEFAULT: i64 = 43_200;
const SESSION_TOKEN_ROOT_MAX: i64 = 3_600;

/// `GetSessionToken`: temporary credentials for an IAM user or the root user, MFA-authenticated
/// when `SerialNumber` and `TokenCode` are given. Needs no permission; session credentials may
/// not call it.
pub fn get_session_token(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let caller = call.caller;
    if caller.session.is_some()
        || !matches!(caller.kind, PrincipalKind::IamUser | PrincipalKind::Root)
    {
        return Err(denied("Cannot call GetSessionToken with session credentials"));
    }
    let now = services.clock().now_unix();
    // In mock mode the root caller is a stand-in for whoever signed: user rules apply.
    let root = caller.kind == PrincipalKind::Root && !services.authz_state().mock_mode();
    let seconds = long_term_session_seconds(call.input, root, SESSION_TOKEN_DEFAULT)?;
    let (serial, code) =
        (input_str(call.input, "SerialNumber"), input_str(call.input, "TokenCode"));
    let mfa = if services.authz_state().mock_mode() {
        serial.is_some() && code.is_some()
    } else {
        check_mfa(services, caller, serial, code, now)?
    };
    let context = SessionContext {
        account: caller.account.clone(),
        access_key_id: session::temporary_access_key_id(&caller.account)?,
        issued_at: now,
        expires_at: now + seconds,
        mfa_authenticated: mfa,
        issuer: Some(Issuer {
            root,
            arn: caller.arn.clone(),
            user_id: caller.user_id.clone(),
            name: caller.name.clone(),
        }),
        ..SessionContext::default()
    };
    Ok(json!({ "Credentials": issue(services, &context)? }))
}

// ---------------------------------------------------------------- GetFederationToken

/// `GetFederationToken`: temporary credentials for a federated user named by `Name`, whose
/// permissions are the intersection of the calling user's policies and the session policies
/// passed (none passed: no permissions, as AWS documents). Only long-term credentials of an IAM
/// user or the root user may call it; the `sts:GetFederationToken` permission is checked by
/// `authz` before this runs.
pub fn get_federation_token(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let caller = call.caller;
    let input = call.input;
    if caller.session.is_some()
        || !matches!(caller.kind, PrincipalKind::IamUser | PrincipalKind::Root)
    {
        return Err(denied("Cannot call GetFederationToken with session credentials"));
    }
    let now = services.clock().now_unix();
    let root = caller.kind == PrincipalKind::Root && !services.authz_state().mock_mode();
    let name = input_str(input, "Name").unwrap_or_default();
    if !(2..=32).contains(&name.chars().count()) {
        return Err(constraint(name, "name", "Member must have length between 2 and 32"));
    }
    if !name.chars().all(is_name_char) {
        return Err(constraint(
            name,
            "name",
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    let seconds = long_term_session_seconds(input, root, SESSION_TOKEN_DEFAULT)?;
    let session_tags = tags(input)?;
    let policies = {
        let tx = services.cached_read();
        SessionPolicies::from_input(&*tx, input, &caller.account, &session_tags)?
    };
    let context = SessionContext {
        account: caller.account.clone(),
        access_key_id: session::temporary_access_key_id(&caller.account)?,
        issued_at: now,
        expires_at: now + seconds,
        session_policies: policies.documents(),
        session_policy_arns: policies.arns.clone(),
        tags: session_tags.clone(),
        issuer: Some(Issuer {
            root: caller.kind == PrincipalKind::Root,
            arn: caller.arn.clone(),
            user_id: caller.user_id.clone(),
            name: caller.name.clone(),
        }),
        federated_name: Some(name.to_owned()),
        ..SessionContext::default()
    };
    let mut out = json!({
        "Credentials": issue(services, &context)?,
        "FederatedUser": {
            "FederatedUserId": format!("{}:{name}", caller.account),
            "Arn": format!("arn:aws:sts::{}:federated-user/{name}", caller.account),
        },
    });
    if let Some(obj) = out.as_object_mut() {
        if policies.any(&session_tags) {
            obj.insert("PackedPolicySize".into(), json!(policies.packed.percent));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- GetAccessKeyInfo

/// `GetAccessKeyInfo`: the account of an access key id — the owner of a long-term key xacct
/// holds, else (mock mode) the mock caller's account, else the account encoded in the id (as
/// AWS's ids encode it; temporary keys always).
pub fn get_access_key_info(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let id = input_str(call.input, "AccessKeyId").unwrap_or_default();
    let tx = services.store().read()?;
    if let Some(record) = accounts::ACCESS_KEYS.get(&*tx, id)? {
        return Ok(json!({ "Account": record.account_id }));
    }
    if services.authz_state().mock_mode() && !id.starts_with("ASIA") {
        // Mock mode: a key xacct never issued stands for the mock caller's account, so the
        // answer agrees with what `GetCallerIdentity` says for requests signed with it.
        return Ok(json!({ "Account": services.mock_caller(Some(id)).account }));
    }
    let account = session::account_of_key_id(id).ok_or_else(|| {
        constraint(id, "accessKeyId", "Member must satisfy regular expression pattern: [\\w]*")
    })?;
    Ok(json!({ "Account": account }))
}

#[cfg(test)]
pub(crate) mod tests;
