//! AWS KMS (awsJson 1.1, `TrentService`): one function per operation, named as AWS names it,
//! in `keys`, `aliases`, `data` (encryption, data keys, MACs), `signing` and `grants`; this module
//! dispatches, resolves `KeyId`s and authorizes. `crypto` (AES-256-GCM blobs, HMAC) and
//! `asymmetric` (RSA, ECC) are the pure cryptography; `actions` the permission table.
//!
//! Not served: custom key stores, imported key material, multi-Region replicas
//! (`ReplicateKey`, `UpdatePrimaryRegion`), key agreement (`DeriveSharedSecret`), SM2/ML-DSA/
//! Ed25519 keys, `GetKeyLastUsage`: they answer `UnknownOperationException` or
//! `UnsupportedOperationException`. Automatic rotation happens when a key is next used for
//! encryption after its rotation date (`keys::rotate_if_due`).
//!
//! Keys live per account and per region (`arn:aws:kms:REGION:ACCOUNT:key/ID`). A key of another
//! account must be named by key ARN or alias ARN; a bare key id or alias name always means the
//! caller's own account, so it is not found there (AWS's `NotFoundException`).
//!
//! Authorization happens here, not before dispatch: the key policy is a required resource
//! policy (AWS: "unless the key policy allows it, IAM policies cannot"), so each operation first
//! resolves the key, then asks `authz::decide` with the key policy and the key's condition keys.
//! A key policy statement naming the account (`arn:aws:iam::A:root` or `A`) delegates to IAM:
//! the principal's identity policies must then allow too; across accounts both sides must allow
//! whatever the statement names (the engine's `resource_policy_required` rule). Grants allow
//! their operations for the grantee principal when the policies do not (an explicit deny, an
//! SCP or an RCP still stops them), within their encryption-context constraints.
//!
//! Security: key material and plaintexts are never logged; plaintexts are only returned to an
//! authorized caller. In mock mode (`--auth off`) nothing is authorized.

pub mod actions;
pub mod aliases;
pub mod asymmetric;
pub mod crypto;
pub mod data;
pub mod error;
pub mod grants;
pub mod keys;
pub mod model;
pub mod signing;

use std::collections::BTreeMap;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use serde_json::Value;
use xacct_policy::{Effect, PolicyKind, PolicyType};
use xacct_store::ReadTx;

use crate::authz::{self, ActionRequest, ContextValue, Gathered, ResourcePolicy};
use crate::{
    ids, input_str, unknown_operation, Call, Caller, PrincipalKind, ServiceError, Services,
};
use actions::OpSpec;
use model::{KeyRecord, ALIASES, KEYS};

pub(crate) fn dispatch(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    match call.operation {
        "CreateKey" => keys::create_key(services, call),
        "DescribeKey" => keys::describe_key(services, call),
        "ListKeys" => keys::list_keys(services, call),
        "GetKeyPolicy" => keys::get_key_policy(services, call),
        "PutKeyPolicy" => keys::put_key_policy(services, call),
        "ListKeyPolicies" => keys::list_key_policies(services, call),
        "EnableKey" => keys::enable_key(services, call),
        "DisableKey" => keys::disable_key(services, call),
        "ScheduleKeyDeletion" => keys::schedule_key_deletion(services, call),
        "CancelKeyDeletion" => keys::cancel_key_deletion(services, call),
        "UpdateKeyDescription" => keys::update_key_description(services, call),
        "TagResource" => keys::tag_resource(services, call),
        "UntagResource" => keys::untag_resource(services, call),
        "ListResourceTags" => keys::list_resource_tags(services, call),
        "GetKeyRotationStatus" => keys::get_key_rotation_status(services, call),
        "EnableKeyRotation" => keys::enable_key_rotation(services, call),
        "DisableKeyRotation" => keys::disable_key_rotation(services, call),
        "RotateKeyOnDemand" => keys::rotate_key_on_demand(services, call),
        "ListKeyRotations" => keys::list_key_rotations(services, call),
        "CreateAlias" => aliases::create_alias(services, call),
        "DeleteAlias" => aliases::delete_alias(services, call),
        "UpdateAlias" => aliases::update_alias(services, call),
        "ListAliases" => aliases::list_aliases(services, call),
        "Encrypt" => data::encrypt(services, call),
        "Decrypt" => data::decrypt(services, call),
        "ReEncrypt" => data::re_encrypt(services, call),
        "GenerateDataKey" => data::generate_data_key(services, call),
        "GenerateDataKeyWithoutPlaintext" => {
            data::generate_data_key_without_plaintext(services, call)
        }
        "GenerateDataKeyPair" => data::generate_data_key_pair(services, call),
        "GenerateDataKeyPairWithoutPlaintext" => {
            data::generate_data_key_pair_without_plaintext(services, call)
        }
        "GenerateRandom" => data::generate_random(services, call),
        "GenerateMac" => data::generate_mac(services, call),
        "VerifyMac" => data::verify_mac(services, call),
        "Sign" => signing::sign(services, call),
        "Verify" => signing::verify(services, call),
        "GetPublicKey" => signing::get_public_key(services, call),
        "CreateGrant" => grants::create_grant(services, call),
        "ListGrants" => grants::list_grants(services, call),
        "RevokeGrant" => grants::revoke_grant(services, call),
        "RetireGrant" => grants::retire_grant(services, call),
        "ListRetirableGrants" => grants::list_retirable_grants(services, call),
        _ => Err(unknown_operation(call)),
    }
}

/// The table row of `call`'s operation.
pub(crate) fn spec_of(call: &Call<'_>) -> Result<OpSpec, ServiceError> {
    actions::spec(call.operation).ok_or_else(|| unknown_operation(call))
}

// ---------------------------------------------------------------- identifiers

/// How a `KeyId` names a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyName {
    /// A key id (UUID or `mrk-…`).
    Id(String),
    /// `alias/NAME`.
    Alias(String),
}

/// A parsed `KeyId`: where to look and what for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRef {
    pub account: String,
    pub region: String,
    pub name: KeyName,
}

/// Whether `s` is a key id as KMS makes them: a lowercase UUID, or `mrk-` and 32 hex digits.
pub(crate) fn is_key_id(s: &str) -> bool {
    if let Some(hex) = s.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8usize, 4, 4, 4, 12])
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses a `KeyId` as the caller in `region` gave it.
pub(crate) fn parse_key_ref(
    raw: &str,
    caller_account: &str,
    region: &str,
    alias_ok: bool,
) -> Result<KeyRef, ServiceError> {
    if raw.starts_with("arn:") {
        let parts = xacct_policy::ArnParts::parse(raw)
            .filter(|p| p.service == "kms" && ids::is_account_id(p.account) && !p.region.is_empty())
            .ok_or_else(|| error::invalid_key_id(raw))?;
        let name = if let Some(id) = parts.resource.strip_prefix("key/") {
            if !is_key_id(id) {
                return Err(error::invalid_key_id(raw));
            }
            KeyName::Id(id.to_owned())
        } else if parts.resource.starts_with("alias/") && alias_ok {
            KeyName::Alias(parts.resource.to_owned())
        } else {
            return Err(error::invalid_key_id(raw));
        };
        return Ok(KeyRef {
            account: parts.account.to_owned(),
            region: parts.region.to_owned(),
            name,
        });
    }
    let name = if raw.starts_with("alias/") {
        if !alias_ok {
            return Err(error::invalid_key_id(raw));
        }
        KeyName::Alias(raw.to_owned())
    } else if is_key_id(raw) {
        KeyName::Id(raw.to_owned())
    } else {
        return Err(error::invalid_key_id(raw));
    };
    Ok(KeyRef { account: caller_account.to_owned(), region: region.to_owned(), name })
}

pub(crate) fn key_arn(region: &str, account: &str, key_id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key_id}")
}

pub(crate) fn alias_arn(region: &str, account: &str, alias_name: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{alias_name}")
}

/// A resolved key and, when it was named by an alias, that alias (`kms:RequestAlias`).
pub(crate) struct Resolved {
    pub key: KeyRecord,
    pub request_alias: Option<String>,
}

/// Finds the key `r` names, as of `now` (a key past its deletion date is gone).
pub(crate) fn resolve(tx: &dyn ReadTx, r: &KeyRef, now: f64) -> Result<Resolved, ServiceError> {
    let (key_id, request_alias) = match &r.name {
        KeyName::Id(id) => (id.clone(), None),
        KeyName::Alias(alias) => {
            match ALIASES.get(tx, &model::alias_key(&r.account, &r.region, alias))? {
                Some(a) => (a.target_key_id, Some(alias.clone())),
                None => {
                    return Err(error::alias_not_found(&alias_arn(&r.region, &r.account, alias)))
                }
            }
        }
    };
    match KEYS.get(tx, &model::key_key(&r.account, &r.region, &key_id))? {
        Some(key) if !key.deleted_at(now) => Ok(Resolved { key, request_alias }),
        _ => Err(error::key_not_found(&key_arn(&r.region, &r.account, &key_id))),
    }
}

/// Parses and resolves `member` of the input for `spec`, refusing another account's key where
/// the operation cannot be used across accounts.
pub(crate) fn resolve_member(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
    member: &str,
    spec: OpSpec,
) -> Result<Resolved, ServiceError> {
    let raw = input_str(call.input, member).unwrap_or_default();
    let r = parse_key_ref(raw, &call.caller.account, call.region, spec.alias_ok)?;
    let resolved = resolve(tx, &r, services.clock().now_epoch_f64())?;
    if r.account != call.caller.account
        && !spec.cross_account
        && !services.authz_state().mock_mode()
    {
        // KMS does not let key policies open these operations to other accounts. The message is
        // AWS's AccessDenied form (guessed: AWS documents only that the call fails).
        return Err(error::access_denied(format!(
            "User: {} is not authorized to perform: {} on resource: {}",
            call.caller.arn, spec.action, resolved.key.arn
        )));
    }
    Ok(resolved)
}

/// The aliases of a key (`kms:ResourceAliases`).
pub(crate) fn aliases_of(tx: &dyn ReadTx, key: &KeyRecord) -> Result<Vec<String>, ServiceError> {
    let mut out = Vec::new();
    let prefix = model::scope(&key.account, &key.region);
    let mut after: Option<String> = None;
    loop {
        let batch = ALIASES.scan(tx, &prefix, after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        out.extend(
            batch
                .into_iter()
                .filter(|(_, a)| a.target_key_id == key.key_id)
                .map(|(_, a)| a.alias_name),
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------- input helpers

/// Decodes a blob member (base64 as the wire layer checked it).
pub(crate) fn blob(input: &Value, member: &str) -> Option<Vec<u8>> {
    let s = input_str(input, member)?;
    STANDARD_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// An `EncryptionContextType` member as a sorted map.
pub(crate) fn context_map(input: &Value, member: &str) -> BTreeMap<String, String> {
    input
        .get(member)
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default()
}

pub(crate) fn is_dry_run(input: &Value) -> bool {
    input.get("DryRun").and_then(Value::as_bool).unwrap_or(false)
}

// ---------------------------------------------------------------- authorization

fn fnv(s: &str) -> u64 {
    s.bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The cache key of a key's policy version.
pub(crate) fn policy_cache_key(key: &KeyRecord) -> String {
    format!("{}/policy@{}-{:016x}", key.arn, key.policy.len(), fnv(&key.policy))
}

/// Everything about one key request: which key, which action, which extra condition keys.
pub(crate) struct KeyRequest<'a> {
    pub key: &'a KeyRecord,
    pub action: &'static str,
    pub request_alias: Option<&'a str>,
    /// Operation-specific keys beyond the key's own.
    pub extra: Vec<(String, ContextValue)>,
    /// The request's encryption context, for grant constraints.
    pub encryption_context: Option<&'a BTreeMap<String, String>>,
    /// `CreateGrant`: the operations of the grant being made (a grant allowing `CreateGrant`
    /// must cover them).
    pub new_grant_operations: Option<&'a [String]>,
}

impl<'a> KeyRequest<'a> {
    /// `action` on `key` with no operation-specific keys.
    pub fn new(key: &'a KeyRecord, action: &'static str) -> Self {
        KeyRequest {
            key,
            action,
            request_alias: None,
            extra: Vec::new(),
            encryption_context: None,
            new_grant_operations: None,
        }
    }
}

/// The caller's policies, gathered once per call (`None` in mock mode).
pub(crate) fn gather(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
) -> Result<Option<Gathered>, ServiceError> {
    if services.authz_state().mock_mode() {
        return Ok(None);
    }
    authz::gather_for_call(services, tx, call).map(Some)
}

/// Authorizes one request on a key: the key policy (required) with the caller's policies, then
/// the key's grants. Does nothing in mock mode (`gathered` is `None`).
pub(crate) fn authorize_key(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
    gathered: Option<&mut Gathered>,
    req: &KeyRequest<'_>,
) -> Result<(), ServiceError> {
    let Some(gathered) = gathered else { return Ok(()) };
    let key = req.key;
    let aliases = aliases_of(tx, key)?;
    let mut request = ActionRequest::new(req.action, key.arn.clone(), Some(&key.account));
    request.context = actions::key_context(key, &aliases, &call.caller.account, req.request_alias);
    request.context.extend(req.extra.iter().cloned());
    gathered.add_resource_accounts(services, tx, std::slice::from_ref(&request))?;
    let cache_key = policy_cache_key(key);
    let policy = ResourcePolicy {
        document: &key.policy,
        cache_key: &cache_key,
        label: &key.arn,
        kind: PolicyKind::Resource,
        required: true,
    };
    let decision = authz::decide(services, call.caller, gathered, &request, Some(&policy))?;
    if decision.is_allowed() {
        return Ok(());
    }
    let grant_may_allow = decision.effect == Effect::ImplicitDeny
        && !matches!(decision.denied_by, Some(PolicyType::Scp | PolicyType::Rcp));
    if grant_may_allow
        && grants::allows(
            tx,
            call.caller,
            key,
            req.action,
            req.encryption_context,
            req.new_grant_operations,
        )?
    {
        return Ok(());
    }
    tracing::info!(
        caller = %call.caller.arn,
        action = req.action,
        key = %key.arn,
        reason = %decision.reason,
        "kms access denied"
    );
    Err(error::access_denied(decision.access_denied_message(
        &call.caller.arn,
        req.action,
        &key.arn,
    )))
}

/// Authorizes an action without a key (`*` or an alias ARN): identity policies only.
/// Authorizes `action` on `*` (an operation on no particular key: ListKeys, ListAliases,
/// GenerateRandom, ListRetirableGrants) by the caller's identity policies, in `tx`.
pub(crate) fn authorize_unscoped(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
    action: &'static str,
) -> Result<(), ServiceError> {
    let mut gathered = gather(services, call, tx)?;
    authorize_identity(services, call, tx, gathered.as_mut(), action, "*", Vec::new())
}

pub(crate) fn authorize_identity(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
    gathered: Option<&mut Gathered>,
    action: &'static str,
    resource: &str,
    context: Vec<(String, ContextValue)>,
) -> Result<(), ServiceError> {
    let Some(gathered) = gathered else { return Ok(()) };
    // An alias ARN belongs to the caller's account; `*` to none.
    let account = (resource != "*").then_some(call.caller.account.as_str());
    let mut request = ActionRequest::new(action, resource, account);
    request.context = context;
    request
        .context
        .push(("kms:CallerAccount".to_owned(), ContextValue::One(call.caller.account.clone())));
    gathered.add_resource_accounts(services, tx, std::slice::from_ref(&request))?;
    let decision = authz::decide(services, call.caller, gathered, &request, None)?;
    if decision.is_allowed() {
        return Ok(());
    }
    tracing::info!(caller = %call.caller.arn, action, resource, reason = %decision.reason, "kms access denied");
    Err(error::access_denied(decision.access_denied_message(&call.caller.arn, action, resource)))
}

/// Whether `principal` (a grant's grantee or retiring principal) names `caller`: the caller's
/// own ARN, the role of a role session, or the account root for the root user.
pub(crate) fn principal_names(principal: &str, caller: &Caller) -> bool {
    if principal == caller.arn {
        return true;
    }
    match caller.kind {
        PrincipalKind::AssumedRole => caller
            .session
            .as_deref()
            .and_then(|s| s.role_arn.as_deref())
            .is_some_and(|role| role == principal),
        PrincipalKind::Root => principal == caller.account,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
