//! Alias operations: `CreateAlias`, `DeleteAlias`, `UpdateAlias`, `ListAliases`.
//!
//! An alias lives in one account and region and points at a key of the same account and
//! region. Names start with `alias/`; `alias/aws/` is reserved for AWS managed keys. Changing
//! an alias needs the action on the alias (IAM policies only: aliases have no policy) and on
//! each key involved (key policy).
//!
//! AWS behaviours taken from observed answers: `NotAuthorizedException` with an empty message
//! for a reserved name, "Invalid identifier" for a name without `alias/`, "Aliases must refer to
//! keys. Not aliases", "… contains invalid characters for an alias" for `:`.

use serde_json::{json, Value};

use super::model::{AliasRecord, ALIASES};
use super::{error, model, KeyName, KeyRequest, Resolved};
use crate::authz::Gathered;
use crate::{input_str, Call, ServiceError, Services};
use xacct_store::ReadTx;

fn check_alias_name(name: &str) -> Result<(), ServiceError> {
    if !name.starts_with("alias/") {
        return Err(error::validation("Invalid identifier"));
    }
    Ok(())
}

fn check_new_alias_name(name: &str) -> Result<(), ServiceError> {
    check_alias_name(name)?;
    if name.starts_with("alias/aws/") {
        return Err(ServiceError::client("NotAuthorizedException", 400, ""));
    }
    if name.contains(':') {
        return Err(error::validation(format!("{name} contains invalid characters for an alias")));
    }
    if name.len() <= "alias/".len() {
        return Err(error::validation("Invalid identifier"));
    }
    Ok(())
}

/// The key `TargetKeyId` names: a key id or key ARN of the caller's account and region.
fn target_key(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
) -> Result<Resolved, ServiceError> {
    let raw = input_str(call.input, "TargetKeyId").unwrap_or_default();
    if raw.starts_with("alias/") || raw.contains(":alias/") {
        return Err(error::validation("Aliases must refer to keys. Not aliases"));
    }
    let r = super::parse_key_ref(raw, &call.caller.account, call.region, false)?;
    if r.account != call.caller.account || r.region != call.region {
        // An alias and its key share account and region (message guessed).
        return Err(error::validation(format!(
            "The target key {raw} is not in the alias's account and region"
        )));
    }
    super::resolve(tx, &r, services.clock().now_epoch_f64())
}

/// Authorizes `action` on the alias (IAM) and on each key (key policy).
fn authorize_alias_and_keys(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
    gathered: &mut Option<Gathered>,
    action: &'static str,
    alias_name: &str,
    keys: &[&super::model::KeyRecord],
) -> Result<(), ServiceError> {
    let arn = super::alias_arn(call.region, &call.caller.account, alias_name);
    super::authorize_identity(services, call, tx, gathered.as_mut(), action, &arn, Vec::new())?;
    for key in keys {
        let req = KeyRequest {
            key,
            action,
            request_alias: None,
            extra: Vec::new(),
            encryption_context: None,
            new_grant_operations: None,
        };
        super::authorize_key(services, call, tx, gathered.as_mut(), &req)?;
    }
    Ok(())
}

/// `CreateAlias`.
pub fn create_alias(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = input_str(call.input, "AliasName").unwrap_or_default();
    check_new_alias_name(name)?;
    let mut tx = services.store().write()?;
    let target = target_key(services, call, &*tx)?;
    let mut gathered = super::gather(services, call, &*tx)?;
    authorize_alias_and_keys(
        services,
        call,
        &*tx,
        &mut gathered,
        "kms:CreateAlias",
        name,
        &[&target.key],
    )?;
    if target.key.key_state == "PendingDeletion" {
        return Err(error::pending_deletion(&target.key.arn));
    }
    let now = services.clock().now_epoch_f64();
    let arn = super::alias_arn(call.region, &call.caller.account, name);
    let record = AliasRecord {
        alias_name: name.to_owned(),
        alias_arn: arn.clone(),
        target_key_id: target.key.key_id.clone(),
        creation_date: now,
        last_updated_date: now,
    };
    let key = model::alias_key(&call.caller.account, call.region, name);
    if !ALIASES.insert_new(&mut *tx, &key, &record)? {
        return Err(error::already_exists(format!("An alias with the name {arn} already exists")));
    }
    tx.commit()?;
    Ok(json!({}))
}

/// The stored alias `AliasName` names and the key it points at.
fn load_alias(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
    name: &str,
) -> Result<(AliasRecord, Resolved), ServiceError> {
    let arn = super::alias_arn(call.region, &call.caller.account, name);
    let Some(alias) =
        ALIASES.get(tx, &model::alias_key(&call.caller.account, call.region, name))?
    else {
        return Err(error::alias_not_found(&arn));
    };
    let r = super::KeyRef {
        account: call.caller.account.clone(),
        region: call.region.to_owned(),
        name: KeyName::Id(alias.target_key_id.clone()),
    };
    let resolved = super::resolve(tx, &r, services.clock().now_epoch_f64())
        .map_err(|_| error::alias_not_found(&arn))?;
    Ok((alias, resolved))
}

/// `DeleteAlias`.
pub fn delete_alias(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = input_str(call.input, "AliasName").unwrap_or_default();
    check_alias_name(name)?;
    // The aliases of AWS managed keys are AWS's: refused as CreateAlias and UpdateAlias refuse
    // the prefix (the code for a delete is guessed).
    if name.starts_with("alias/aws/") {
        return Err(ServiceError::client("NotAuthorizedException", 400, ""));
    }
    let mut tx = services.store().write()?;
    let (_, resolved) = load_alias(services, call, &*tx, name)?;
    let mut gathered = super::gather(services, call, &*tx)?;
    authorize_alias_and_keys(
        services,
        call,
        &*tx,
        &mut gathered,
        "kms:DeleteAlias",
        name,
        &[&resolved.key],
    )?;
    ALIASES.delete(&mut *tx, &model::alias_key(&call.caller.account, call.region, name))?;
    tx.commit()?;
    Ok(json!({}))
}

/// `UpdateAlias`: points an alias at another key of the same type and usage.
pub fn update_alias(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = input_str(call.input, "AliasName").unwrap_or_default();
    check_alias_name(name)?;
    if name.starts_with("alias/aws/") {
        return Err(ServiceError::client("NotAuthorizedException", 400, ""));
    }
    let mut tx = services.store().write()?;
    let (mut alias, old) = load_alias(services, call, &*tx, name)?;
    let new = target_key(services, call, &*tx)?;
    let mut gathered = super::gather(services, call, &*tx)?;
    authorize_alias_and_keys(
        services,
        call,
        &*tx,
        &mut gathered,
        "kms:UpdateAlias",
        name,
        &[&old.key, &new.key],
    )?;
    if old.key.key_spec != new.key.key_spec || old.key.key_usage != new.key.key_usage {
        // Message guessed.
        return Err(error::validation(
            "The new target key must have the same key type and key usage as the current target key",
        ));
    }
    alias.target_key_id = new.key.key_id;
    alias.last_updated_date = services.clock().now_epoch_f64();
    ALIASES.put(&mut *tx, &model::alias_key(&call.caller.account, call.region, name), &alias)?;
    tx.commit()?;
    Ok(json!({}))
}

/// `ListAliases`: the caller's aliases in the region, optionally of one key.
pub fn list_aliases(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    super::authorize_unscoped(services, call, &*tx, "kms:ListAliases")?;
    let now = services.clock().now_epoch_f64();
    let filter = match input_str(call.input, "KeyId") {
        Some(raw) => {
            let r = super::parse_key_ref(raw, &call.caller.account, call.region, false)?;
            Some(super::resolve(&*tx, &r, now)?.key.key_id)
        }
        None => None,
    };
    let limit = call
        .input
        .get("Limit")
        .and_then(Value::as_u64)
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(50); // AWS: default 50
    let prefix = model::scope(&call.caller.account, call.region);
    let mut cursor = match input_str(call.input, "Marker") {
        Some(m) if m.starts_with("alias/") => Some(format!("{prefix}{m}")),
        Some(_) => return Err(error::invalid_marker()),
        None => None,
    };
    let mut out = Vec::new();
    let mut truncated = false;
    'scan: loop {
        let batch = ALIASES.scan(&*tx, &prefix, cursor.as_deref(), 200)?;
        let Some((last, _)) = batch.last() else { break };
        cursor = Some(last.clone());
        for (_, a) in batch {
            if filter.as_ref().is_some_and(|k| *k != a.target_key_id) {
                continue;
            }
            // An alias of a key past its deletion date went with it.
            let r = super::KeyRef {
                account: call.caller.account.clone(),
                region: call.region.to_owned(),
                name: KeyName::Id(a.target_key_id.clone()),
            };
            if super::resolve(&*tx, &r, now).is_err() {
                continue;
            }
            if out.len() == limit {
                truncated = true;
                break 'scan;
            }
            out.push(a);
        }
    }
    let entries: Vec<Value> = out
        .iter()
        .map(|a| {
            json!({
                "AliasName": a.alias_name,
                "AliasArn": a.alias_arn,
                "TargetKeyId": a.target_key_id,
                "CreationDate": a.creation_date,
                "LastUpdatedDate": a.last_updated_date,
            })
        })
        .collect();
    let mut resp = json!({ "Aliases": entries, "Truncated": truncated });
    if truncated {
        if let (Some(obj), Some(last)) = (resp.as_object_mut(), out.last()) {
            obj.insert("NextMarker".into(), json!(last.alias_name));
        }
    }
    Ok(resp)
}
