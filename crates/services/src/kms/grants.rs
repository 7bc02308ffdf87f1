//! Grants: `CreateGrant`, `ListGrants`, `RevokeGrant`, `RetireGrant`, `ListRetirableGrants`,
//! and [`allows`], the grant side of every key decision.
//!
//! A grant lets its grantee principal perform its operations on one key, without a key policy
//! or IAM policy statement (KMS Developer Guide, "Grants in AWS KMS"), within its
//! encryption-context constraints: `EncryptionContextSubset` (the request's context contains
//! every pair) and `EncryptionContextEquals` (it is exactly those pairs). A grant for a role
//! applies to the role's sessions. A principal holding `CreateGrant` through a grant may only
//! grant operations of that grant.
//!
//! Retiring: the retiring principal, the grantee when the grant includes `RetireGrant`, or a
//! principal the key policy allows `kms:RetireGrant`. Revoking and listing need the key policy.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use xacct_store::ReadTx;

use super::actions;
use super::keys::hex;
use super::model::{GrantRecord, GrantTokenRecord, KeyRecord, GRANTS, GRANT_TOKENS};
use super::{context_map, error, is_dry_run, model, principal_names, KeyRequest};
use crate::authz::ContextValue;
use crate::{ids, input_str, Call, Caller, ServiceError, Services};

/// Grants per key (AWS quota).
const MAX_GRANTS_PER_KEY: usize = 50_000;

fn key_grants(
    tx: &dyn ReadTx,
    key: &KeyRecord,
) -> Result<Vec<(String, GrantRecord)>, ServiceError> {
    let prefix = format!("{}/", model::key_key(&key.account, &key.region, &key.key_id));
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = GRANTS.scan(tx, &prefix, after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        out.extend(batch);
    }
    Ok(out)
}

/// Whether `grant`'s constraints admit a request with `context`.
fn constraints_hold(grant: &GrantRecord, context: Option<&BTreeMap<String, String>>) -> bool {
    let empty = BTreeMap::new();
    let context = context.unwrap_or(&empty);
    if let Some(subset) = &grant.encryption_context_subset {
        if !subset.iter().all(|(k, v)| context.get(k) == Some(v)) {
            return false;
        }
    }
    if let Some(equals) = &grant.encryption_context_equals {
        if equals != context {
            return false;
        }
    }
    true
}

/// Whether a grant on `key` lets `caller` perform `action` with `context`; for `CreateGrant`,
/// the grant must also cover every operation in `new_operations`.
pub(crate) fn allows(
    tx: &dyn ReadTx,
    caller: &Caller,
    key: &KeyRecord,
    action: &str,
    context: Option<&BTreeMap<String, String>>,
    new_operations: Option<&[String]>,
) -> Result<bool, ServiceError> {
    let Some(op) = actions::grant_operation(action) else { return Ok(false) };
    for (_, grant) in key_grants(tx, key)? {
        if !principal_names(&grant.grantee_principal, caller)
            || !grant.operations.iter().any(|o| o == op)
        {
            continue;
        }
        if actions::takes_encryption_context(action) && !constraints_hold(&grant, context) {
            continue;
        }
        if let Some(ops) = new_operations {
            if !ops.iter().all(|o| grant.operations.contains(o)) {
                continue;
            }
        }
        return Ok(true);
    }
    Ok(false)
}

/// The operations a key of this usage can be granted.
fn grantable(key: &KeyRecord, op: &str) -> bool {
    let common = ["CreateGrant", "RetireGrant", "DescribeKey"];
    if common.contains(&op) {
        return true;
    }
    match key.key_usage.as_str() {
        "ENCRYPT_DECRYPT" if key.key_spec != "SYMMETRIC_DEFAULT" => {
            matches!(op, "Decrypt" | "Encrypt" | "ReEncryptFrom" | "ReEncryptTo" | "GetPublicKey")
        }
        "SIGN_VERIFY" => matches!(op, "Sign" | "Verify" | "GetPublicKey"),
        "ENCRYPT_DECRYPT" => matches!(
            op,
            "Decrypt"
                | "Encrypt"
                | "GenerateDataKey"
                | "GenerateDataKeyWithoutPlaintext"
                | "ReEncryptFrom"
                | "ReEncryptTo"
                | "GenerateDataKeyPair"
                | "GenerateDataKeyPairWithoutPlaintext"
        ),
        "GENERATE_VERIFY_MAC" => matches!(op, "GenerateMac" | "VerifyMac"),
        _ => false,
    }
}

fn strings(input: &Value, member: &str) -> Vec<String> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn constraint_map(input: &Value, member: &str) -> Option<BTreeMap<String, String>> {
    input
        .get("Constraints")
        .and_then(|c| c.get(member))
        .map(|_| context_map(input.get("Constraints").unwrap_or(&Value::Null), member))
}

/// `CreateGrant`.
pub fn create_grant(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let spec = super::spec_of(call)?;
    let input = call.input;
    let grantee = input_str(input, "GranteePrincipal").unwrap_or_default().to_owned();
    let retiring = input_str(input, "RetiringPrincipal").map(str::to_owned);
    let operations = strings(input, "Operations");
    let subset = constraint_map(input, "EncryptionContextSubset");
    let equals = constraint_map(input, "EncryptionContextEquals");
    let name = input_str(input, "Name").map(str::to_owned);
    let mut extra = vec![
        ("kms:GrantOperations".to_owned(), ContextValue::Many(operations.clone())),
        ("kms:GranteePrincipal".to_owned(), ContextValue::One(grantee.clone())),
    ];
    if let Some(r) = &retiring {
        extra.push(("kms:RetiringPrincipal".to_owned(), ContextValue::One(r.clone())));
    }
    let mut constraint_types = Vec::new();
    if subset.is_some() {
        constraint_types.push("EncryptionContextSubset".to_owned());
    }
    if equals.is_some() {
        constraint_types.push("EncryptionContextEquals".to_owned());
    }
    if !constraint_types.is_empty() {
        extra.push(("kms:GrantConstraintType".to_owned(), ContextValue::Many(constraint_types)));
    }

    let mut tx = services.store().write()?;
    let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
    let key = resolved.key;
    let mut gathered = super::gather(services, call, &*tx)?;
    let req = KeyRequest {
        key: &key,
        action: spec.action,
        request_alias: None,
        extra,
        encryption_context: None,
        new_grant_operations: Some(&operations),
    };
    super::authorize_key(services, call, &*tx, gathered.as_mut(), &req)?;
    match key.key_state.as_str() {
        "Disabled" => return Err(error::disabled(&key.arn)),
        "PendingDeletion" => return Err(error::pending_deletion(&key.arn)),
        _ => {}
    }
    if let Some(bad) = operations.iter().find(|o| !grantable(&key, o)) {
        // Message guessed.
        return Err(error::validation(format!(
            "Grant operation {bad} is not valid for a key with KeyUsage {}",
            key.key_usage
        )));
    }
    if !grantee.starts_with("arn:")
        && !grantee.ends_with(".amazonaws.com")
        && !ids::is_account_id(&grantee)
    {
        return Err(error::invalid_arn(format!("Invalid principal: {grantee}")));
    }
    if is_dry_run(input) {
        return Err(error::dry_run());
    }
    let existing = key_grants(&*tx, &key)?;
    // A grant with the same name and the same grant fields is the same grant (AWS: CreateGrant
    // is idempotent for named grants).
    if let Some(name) = &name {
        if let Some((_, g)) = existing.iter().find(|(_, g)| {
            g.name.as_deref() == Some(name)
                && g.grantee_principal == grantee
                && g.retiring_principal == retiring
                && g.operations == operations
                && g.encryption_context_subset == subset
                && g.encryption_context_equals == equals
        }) {
            return Ok(json!({ "GrantToken": g.grant_token, "GrantId": g.grant_id }));
        }
    }
    if existing.len() >= MAX_GRANTS_PER_KEY {
        return Err(error::limit_exceeded(format!("Too many grants on key {}", key.arn)));
    }
    let grant_id = hex(&ids::random_bytes::<32>()?);
    let grant_token = URL_SAFE_NO_PAD.encode(ids::random_bytes::<96>()?);
    let grant_key = model::grant_key(&key.account, &key.region, &key.key_id, &grant_id);
    let record = GrantRecord {
        grant_id: grant_id.clone(),
        key_id: key.key_id.clone(),
        key_arn: key.arn.clone(),
        name,
        grantee_principal: grantee,
        retiring_principal: retiring,
        issuing_account: format!("arn:aws:iam::{}:root", key.account),
        operations,
        encryption_context_subset: subset,
        encryption_context_equals: equals,
        creation_date: services.clock().now_epoch_f64(),
        grant_token: grant_token.clone(),
    };
    GRANTS.put(&mut *tx, &grant_key, &record)?;
    GRANT_TOKENS.put(&mut *tx, &grant_token, &GrantTokenRecord { grant_key })?;
    tx.commit()?;
    Ok(json!({ "GrantToken": grant_token, "GrantId": grant_id }))
}

fn entry(g: &GrantRecord) -> Value {
    let mut m = Map::new();
    m.insert("KeyId".into(), json!(g.key_arn));
    m.insert("GrantId".into(), json!(g.grant_id));
    if let Some(n) = &g.name {
        m.insert("Name".into(), json!(n));
    }
    m.insert("CreationDate".into(), json!(g.creation_date));
    m.insert("GranteePrincipal".into(), json!(g.grantee_principal));
    if let Some(r) = &g.retiring_principal {
        m.insert("RetiringPrincipal".into(), json!(r));
    }
    m.insert("IssuingAccount".into(), json!(g.issuing_account));
    m.insert("Operations".into(), json!(g.operations));
    let mut c = Map::new();
    if let Some(s) = &g.encryption_context_subset {
        c.insert("EncryptionContextSubset".into(), json!(s));
    }
    if let Some(e) = &g.encryption_context_equals {
        c.insert("EncryptionContextEquals".into(), json!(e));
    }
    if !c.is_empty() {
        m.insert("Constraints".into(), Value::Object(c));
    }
    Value::Object(m)
}

/// Pages `grants` by `Limit`/`Marker` (the marker is the last grant id returned).
fn page(input: &Value, grants: Vec<GrantRecord>) -> Result<Value, ServiceError> {
    let limit = input
        .get("Limit")
        .and_then(Value::as_u64)
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(50);
    let start = match input_str(input, "Marker") {
        Some(m) => grants
            .iter()
            .position(|g| g.grant_id == m)
            .map(|p| p + 1)
            .ok_or_else(error::invalid_marker)?,
        None => 0,
    };
    let rest: Vec<&GrantRecord> = grants.iter().skip(start).collect();
    let truncated = rest.len() > limit;
    let shown: Vec<&GrantRecord> = rest.into_iter().take(limit).collect();
    let mut out = json!({
        "Grants": shown.iter().map(|g| entry(g)).collect::<Vec<_>>(),
        "Truncated": truncated,
    });
    if truncated {
        if let (Some(obj), Some(last)) = (out.as_object_mut(), shown.last()) {
            obj.insert("NextMarker".into(), json!(last.grant_id));
        }
    }
    Ok(out)
}

/// `ListGrants`: a key's grants (key policy or IAM policy; grants cannot allow it).
pub fn list_grants(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let spec = super::spec_of(call)?;
    let tx = services.store().read()?;
    let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let req = KeyRequest::new(&resolved.key, spec.action);
    super::authorize_key(services, call, &*tx, gathered.as_mut(), &req)?;
    let grant_id = input_str(call.input, "GrantId");
    let grantee = input_str(call.input, "GranteePrincipal");
    let grants: Vec<GrantRecord> = key_grants(&*tx, &resolved.key)?
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| grant_id.is_none_or(|id| g.grant_id == id))
        .filter(|g| grantee.is_none_or(|p| g.grantee_principal == p))
        .collect();
    page(call.input, grants)
}

/// `ListRetirableGrants`: grants in the caller's account and region retirable by a principal.
pub fn list_retirable_grants(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let principal = input_str(call.input, "RetiringPrincipal").unwrap_or_default();
    let tx = services.store().read()?;
    super::authorize_unscoped(services, call, &*tx, "kms:ListRetirableGrants")?;
    let prefix = model::scope(&call.caller.account, call.region);
    let mut grants = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = GRANTS.scan(&*tx, &prefix, after.as_deref(), 500)?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        grants.extend(
            batch
                .into_iter()
                .map(|(_, g)| g)
                .filter(|g| g.retiring_principal.as_deref() == Some(principal)),
        );
    }
    page(call.input, grants)
}

fn grant_not_found(id: &str) -> ServiceError {
    error::not_found(format!("Grant ID {id} not found"))
}

/// `RevokeGrant`.
pub fn revoke_grant(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let spec = super::spec_of(call)?;
    let grant_id = input_str(call.input, "GrantId").unwrap_or_default();
    let mut tx = services.store().write()?;
    let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
    let mut gathered = super::gather(services, call, &*tx)?;
    super::authorize_key(
        services,
        call,
        &*tx,
        gathered.as_mut(),
        &KeyRequest::new(&resolved.key, spec.action),
    )?;
    let key = &resolved.key;
    let grant_key = model::grant_key(&key.account, &key.region, &key.key_id, grant_id);
    let Some(grant) = GRANTS.get(&*tx, &grant_key)? else {
        return Err(grant_not_found(grant_id));
    };
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    GRANTS.delete(&mut *tx, &grant_key)?;
    GRANT_TOKENS.delete(&mut *tx, &grant.grant_token)?;
    tx.commit()?;
    Ok(json!({}))
}

/// `RetireGrant`: by `GrantToken`, or by `KeyId` (key ARN) and `GrantId`.
pub fn retire_grant(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let spec = super::spec_of(call)?;
    let input = call.input;
    let mut tx = services.store().write()?;
    let (grant_key, grant) = match (input_str(input, "GrantToken"), input_str(input, "GrantId")) {
        (Some(token), _) => {
            let Some(t) = GRANT_TOKENS.get(&*tx, token)? else {
                return Err(error::invalid_grant_token());
            };
            match GRANTS.get(&*tx, &t.grant_key)? {
                Some(g) => (t.grant_key, g),
                None => return Err(error::invalid_grant_token()),
            }
        }
        (None, Some(id)) => {
            if input_str(input, "KeyId").is_none() {
                return Err(error::validation("Grant ID and key ID must both be specified"));
            }
            let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
            let key = &resolved.key;
            let k = model::grant_key(&key.account, &key.region, &key.key_id, id);
            match GRANTS.get(&*tx, &k)? {
                Some(g) => (k, g),
                None => return Err(grant_not_found(id)),
            }
        }
        (None, None) => {
            return Err(error::validation(
                "Either grant token or grant ID and key ID must be specified",
            ))
        }
    };
    let caller = call.caller;
    let by_grant = grant.retiring_principal.as_deref().is_some_and(|r| principal_names(r, caller))
        || (principal_names(&grant.grantee_principal, caller)
            && grant.operations.iter().any(|o| o == "RetireGrant"));
    if !by_grant && !services.authz_state().mock_mode() {
        let parts = xacct_policy::ArnParts::parse(&grant.key_arn);
        let key_ref = parts.and_then(|p| {
            let id = p.resource.strip_prefix("key/")?;
            Some(model::key_key(p.account, p.region, id))
        });
        let key = match key_ref {
            Some(k) => super::model::KEYS.get(&*tx, &k)?,
            None => None,
        }
        .ok_or_else(|| error::key_not_found(&grant.key_arn))?;
        let mut gathered = super::gather(services, call, &*tx)?;
        super::authorize_key(
            services,
            call,
            &*tx,
            gathered.as_mut(),
            &KeyRequest::new(&key, spec.action),
        )?;
    }
    if is_dry_run(input) {
        return Err(error::dry_run());
    }
    GRANTS.delete(&mut *tx, &grant_key)?;
    GRANT_TOKENS.delete(&mut *tx, &grant.grant_token)?;
    tx.commit()?;
    Ok(json!({}))
}
