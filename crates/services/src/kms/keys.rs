//! Key operations: `CreateKey`, `DescribeKey`, `ListKeys`, the key policy, state (enable,
//! disable, scheduled deletion), description, tags and rotation.
//!
//! Served key specs: `SYMMETRIC_DEFAULT` (AES-256-GCM), `HMAC_224` … `HMAC_512`, `RSA_2048` …
//! `RSA_4096` and `ECC_NIST_P256`/`P384`/`P521`/`ECC_SECG_P256K1` (see `asymmetric`). SM2,
//! ML-DSA, Ed25519 and key agreement are refused with `UnsupportedOperationException`. Only
//! `AWS_KMS` origin is served.

use serde_json::{json, Map, Value};
use xacct_policy::{ParseOptions, Policy, PolicyKind};
use xacct_store::ReadTx;

use super::actions;
use super::model::{KeyRecord, Material, Tag, KEYS};
use super::{error, model, KeyRequest};
use crate::authz::{ContextValue, Gathered};
use crate::{ids, input_str, Call, ServiceError, Services};

/// AWS's key policy size quota (32 KB).
const MAX_KEY_POLICY: usize = 32_768;
/// Tags per key (AWS quota).
const MAX_TAGS: usize = 50;
const SECONDS_PER_DAY: f64 = 86_400.0;

/// The default key policy of `CreateKey` without `Policy`: it gives the account (and so IAM
/// policies in it) full access, as AWS's "Default key policy" documents.
pub fn default_policy(account: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
            "Action": "kms:*",
            "Resource": "*",
        }],
    })
    .to_string()
}

/// The key policy of an AWS managed key, in the form AWS shows for `aws/s3`: principals of the
/// account may use the key through `service` in `region` only, and the account may read its
/// metadata; nobody may change it. The statement set follows AWS's description of AWS managed
/// key policies (KMS Developer Guide); the `Id` and `Sid` texts are recalled, not checked here.
fn aws_managed_policy(account: &str, region: &str, service: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Id": format!("auto-{service}-2"),
        "Statement": [
            {
                "Sid": format!("Allow access through {} for all principals in the account that are authorized to use {}", service.to_uppercase(), service.to_uppercase()),
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:CallerAccount": account,
                    "kms:ViaService": format!("{service}.{region}.amazonaws.com"),
                }},
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                "Resource": "*",
            },
        ],
    })
    .to_string()
}

/// The AWS managed key of `service` (`alias/aws/<service>`) in `account` and `region`. AWS
/// creates it the first time the service needs it ("Amazon S3 automatically creates an AWS
/// managed key in your AWS account the first time that you add an object encrypted with
/// SSE-KMS to a bucket", S3 User Guide), so it is created here, with its alias, on first use.
/// The description is worded as AWS's for `aws/s3` is recalled (not checked here; other
/// services' keys are worded alike, guessed).
pub(crate) fn aws_managed_key(
    services: &Services,
    account: &str,
    region: &str,
    service: &str,
) -> Result<KeyRecord, ServiceError> {
    let alias_name = format!("alias/aws/{service}");
    let alias_key = model::alias_key(account, region, &alias_name);
    let existing = |tx: &dyn ReadTx| -> Result<Option<KeyRecord>, ServiceError> {
        let Some(alias) = model::ALIASES.get(tx, &alias_key)? else { return Ok(None) };
        Ok(KEYS.get(tx, &model::key_key(account, region, &alias.target_key_id))?)
    };
    if let Some(key) = existing(&*services.store().read()?)? {
        return Ok(key);
    }
    let mut tx = services.store().write()?;
    // Another request may have created it since the read.
    if let Some(key) = existing(&*tx)? {
        return Ok(key);
    }
    let now = services.clock().now_epoch_f64();
    let key_id = new_key_id(false)?;
    let key = KeyRecord {
        account: account.to_owned(),
        region: region.to_owned(),
        arn: super::key_arn(region, account, &key_id),
        key_id: key_id.clone(),
        description: format!(
            "Default key that protects my {} objects when no other key is defined",
            service.to_uppercase()
        ),
        key_usage: "ENCRYPT_DECRYPT".to_owned(),
        key_spec: "SYMMETRIC_DEFAULT".to_owned(),
        origin: "AWS_KMS".to_owned(),
        key_state: "Enabled".to_owned(),
        creation_date: now,
        deletion_date: None,
        pending_window_days: None,
        policy: aws_managed_policy(account, region, service),
        tags: Vec::new(),
        material: vec![new_material("SYMMETRIC_DEFAULT", now, "")?],
        // AWS rotates AWS managed keys every year (KMS Developer Guide, "Rotating keys").
        rotation_enabled: true,
        rotation_period_days: Some(365),
        next_rotation_date: Some(now + 365.0 * SECONDS_PER_DAY),
        multi_region: false,
        aws_managed: true,
    };
    if !KEYS.insert_new(&mut *tx, &model::key_key(account, region, &key_id), &key)? {
        return Err(ServiceError::internal("key id collision"));
    }
    let alias = model::AliasRecord {
        alias_arn: super::alias_arn(region, account, &alias_name),
        alias_name,
        target_key_id: key_id,
        creation_date: now,
        last_updated_date: now,
    };
    model::ALIASES.put(&mut *tx, &alias_key, &alias)?;
    tx.commit()?;
    Ok(key)
}

/// Validates a key policy as a resource-based policy with KMS's quota, and checks that every
/// `AWS` principal exists (an account xacct knows, an existing user or role), as KMS does:
/// "Policy contains a statement with one or more invalid principals."
pub(crate) fn check_policy(tx: &dyn ReadTx, document: &str) -> Result<(), ServiceError> {
    let options = ParseOptions { max_size: Some(MAX_KEY_POLICY), ..ParseOptions::default() };
    Policy::parse_with(document, PolicyKind::Resource, &options).map_err(|e| {
        crate::authz::policy_error(&e, "MalformedPolicyDocumentException", "LimitExceededException")
    })?;
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return Ok(());
    };
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s) => vec![s],
        None => Vec::new(),
    };
    for st in statements {
        let Some(aws) = st.get("Principal").and_then(|p| p.get("AWS")) else {
            continue;
        };
        let values: Vec<&str> = match aws {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for p in values {
            if !crate::iam::ops::roles::principal_exists(tx, p)? {
                return Err(error::malformed_policy(
                    "Policy contains a statement with one or more invalid principals.",
                ));
            }
        }
    }
    Ok(())
}

/// AWS's policy lockout safety check: the new policy must let the caller call `PutKeyPolicy`
/// later, unless `BypassPolicyLockoutSafetyCheck` is set.
fn lockout_check(
    services: &Services,
    call: &Call<'_>,
    gathered: Option<&mut Gathered>,
    candidate: &KeyRecord,
) -> Result<(), ServiceError> {
    let bypass = call.input.get("BypassPolicyLockoutSafetyCheck").and_then(Value::as_bool);
    if bypass == Some(true) {
        return Ok(());
    }
    let tx = services.store().read()?;
    let req = KeyRequest {
        key: candidate,
        action: "kms:PutKeyPolicy",
        request_alias: None,
        extra: Vec::new(),
        encryption_context: None,
        new_grant_operations: None,
    };
    super::authorize_key(services, call, &*tx, gathered, &req).map_err(|e| {
        if e.code == "AccessDeniedException" {
            error::malformed_policy(
                "The new key policy will not allow you to update the key policy in the future.",
            )
        } else {
            e
        }
    })
}

/// A random RFC 4122 version-4 UUID (a key id).
fn new_key_id(multi_region: bool) -> Result<String, ServiceError> {
    let mut b = ids::random_bytes::<16>()?;
    if multi_region {
        return Ok(format!("mrk-{}", hex(&b)));
    }
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x40;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    let h = hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(12..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..32).unwrap_or_default()
    ))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fresh material for `key_spec`: 256 bits for AES, the HMAC key size for HMAC specs.
pub(crate) fn new_material(
    key_spec: &str,
    now: f64,
    rotation_type: &str,
) -> Result<Material, ServiceError> {
    let id = ids::random_bytes::<32>()?;
    if super::asymmetric::supports(key_spec) {
        let der = super::asymmetric::generate(key_spec, &mut rand_core::OsRng)
            .map_err(|e| ServiceError::internal(format!("key pair generation: {e:?}")))?;
        return Ok(Material {
            secret: super::b64(&der),
            id: hex(&id),
            created: now,
            rotation_type: rotation_type.to_owned(),
        });
    }
    let bytes = ids::random_bytes::<64>()?;
    let len = match key_spec {
        "HMAC_224" => 28,
        "HMAC_384" => 48,
        "HMAC_512" => 64,
        _ => 32,
    };
    let secret = bytes.get(..len).unwrap_or_default();
    Ok(Material {
        secret: super::b64(secret),
        id: hex(&id),
        created: now,
        rotation_type: rotation_type.to_owned(),
    })
}

fn algorithms(key: &KeyRecord) -> (Vec<&'static str>, Vec<&'static str>) {
    match key.key_spec.as_str() {
        "SYMMETRIC_DEFAULT" => (vec!["SYMMETRIC_DEFAULT"], Vec::new()),
        "HMAC_224" => (Vec::new(), vec!["HMAC_SHA_224"]),
        "HMAC_256" => (Vec::new(), vec!["HMAC_SHA_256"]),
        "HMAC_384" => (Vec::new(), vec!["HMAC_SHA_384"]),
        "HMAC_512" => (Vec::new(), vec!["HMAC_SHA_512"]),
        _ => (Vec::new(), Vec::new()),
    }
}

/// `EncryptionAlgorithms` / `SigningAlgorithms` of an asymmetric key, by its usage.
pub(crate) fn asymmetric_algorithms(key: &KeyRecord) -> (Vec<&'static str>, Vec<&'static str>) {
    match key.key_usage.as_str() {
        "ENCRYPT_DECRYPT" => {
            (super::asymmetric::encryption_algorithms(&key.key_spec).to_vec(), Vec::new())
        }
        "SIGN_VERIFY" => {
            (Vec::new(), super::asymmetric::signing_algorithms(&key.key_spec).to_vec())
        }
        _ => (Vec::new(), Vec::new()),
    }
}

/// `KeyMetadata` of a key.
pub(crate) fn metadata(key: &KeyRecord) -> Value {
    let (encryption, mac) = algorithms(key);
    let (asym_encryption, signing) = asymmetric_algorithms(key);
    let encryption = if encryption.is_empty() { asym_encryption } else { encryption };
    let mut m = Map::new();
    m.insert("AWSAccountId".into(), json!(key.account));
    m.insert("KeyId".into(), json!(key.key_id));
    m.insert("Arn".into(), json!(key.arn));
    m.insert("CreationDate".into(), json!(key.creation_date));
    m.insert("Enabled".into(), json!(key.key_state == "Enabled"));
    m.insert("Description".into(), json!(key.description));
    m.insert("KeyUsage".into(), json!(key.key_usage));
    m.insert("KeyState".into(), json!(key.key_state));
    if let Some(d) = key.deletion_date {
        m.insert("DeletionDate".into(), json!(d));
    }
    m.insert("Origin".into(), json!(key.origin));
    m.insert("KeyManager".into(), json!(if key.aws_managed { "AWS" } else { "CUSTOMER" }));
    m.insert("CustomerMasterKeySpec".into(), json!(key.key_spec));
    m.insert("KeySpec".into(), json!(key.key_spec));
    if !encryption.is_empty() {
        m.insert("EncryptionAlgorithms".into(), json!(encryption));
    }
    if !signing.is_empty() {
        m.insert("SigningAlgorithms".into(), json!(signing));
    }
    if !mac.is_empty() {
        m.insert("MacAlgorithms".into(), json!(mac));
    }
    m.insert("MultiRegion".into(), json!(key.multi_region));
    if key.multi_region {
        m.insert(
            "MultiRegionConfiguration".into(),
            json!({
                "MultiRegionKeyType": "PRIMARY",
                "PrimaryKey": {"Arn": key.arn, "Region": key.region},
                "ReplicaKeys": [],
            }),
        );
    }
    if let Some(days) = key.pending_window_days.filter(|_| key.key_state == "PendingDeletion") {
        m.insert("PendingDeletionWindowInDays".into(), json!(days));
    }
    if key.key_spec == "SYMMETRIC_DEFAULT" {
        if let Some(current) = key.material.last() {
            m.insert("CurrentKeyMaterialId".into(), json!(current.id));
        }
    }
    Value::Object(m)
}

/// `Tags` of a request as (key, value) pairs, checked as KMS checks them.
fn input_tags(input: &Value) -> Result<Vec<(String, String)>, ServiceError> {
    let Some(list) = input.get("Tags").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(String, String)> = Vec::with_capacity(list.len());
    for t in list {
        let k = input_str(t, "TagKey").unwrap_or_default();
        let v = input_str(t, "TagValue").unwrap_or_default();
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(error::tag_error("Tags beginning with aws: are reserved"));
        }
        // A repeated key keeps the last value, as TagResource does.
        out.retain(|(ok, _)| ok != k);
        out.push((k.to_owned(), v.to_owned()));
    }
    Ok(out)
}

/// `CreateKey`.
pub fn create_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let input = call.input;
    let account = &call.caller.account;
    let region = call.region;
    let key_spec = input_str(input, "KeySpec")
        .or_else(|| input_str(input, "CustomerMasterKeySpec"))
        .unwrap_or("SYMMETRIC_DEFAULT");
    if input_str(input, "KeySpec").is_some() && input_str(input, "CustomerMasterKeySpec").is_some()
    {
        return Err(error::validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
        ));
    }
    let hmac = key_spec.starts_with("HMAC_");
    let default_usage = if hmac { "GENERATE_VERIFY_MAC" } else { "ENCRYPT_DECRYPT" };
    let key_usage = input_str(input, "KeyUsage").unwrap_or(default_usage);
    let usages: &[&str] = match key_spec {
        "SYMMETRIC_DEFAULT" => &["ENCRYPT_DECRYPT"],
        "HMAC_224" | "HMAC_256" | "HMAC_384" | "HMAC_512" => &["GENERATE_VERIFY_MAC"],
        "RSA_2048" | "RSA_3072" | "RSA_4096" => &["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
        "ECC_NIST_P256" | "ECC_NIST_P384" | "ECC_NIST_P521" | "ECC_SECG_P256K1" => &["SIGN_VERIFY"],
        other => {
            return Err(error::unsupported(format!(
                "KeySpec {other} is not supported by this KMS emulation"
            )))
        }
    };
    if !usages.contains(&key_usage) {
        // Message guessed.
        return Err(error::validation(format!(
            "KeyUsage {key_usage} is not compatible with KeySpec {key_spec}"
        )));
    }
    let origin = input_str(input, "Origin").unwrap_or("AWS_KMS");
    if origin != "AWS_KMS" {
        return Err(error::unsupported(format!(
            "Origin {origin} is not supported by this KMS emulation"
        )));
    }
    let multi_region = input.get("MultiRegion").and_then(Value::as_bool).unwrap_or(false);
    let tags = input_tags(input)?;
    if tags.len() > MAX_TAGS {
        return Err(error::tag_error("Too many tags"));
    }
    let policy = match input_str(input, "Policy") {
        Some(p) => {
            check_policy(&*services.store().read()?, p)?;
            p.to_owned()
        }
        None => default_policy(account),
    };
    let now = services.clock().now_epoch_f64();
    let key_id = new_key_id(multi_region)?;
    let key = KeyRecord {
        account: account.clone(),
        region: region.to_owned(),
        arn: super::key_arn(region, account, &key_id),
        key_id: key_id.clone(),
        description: input_str(input, "Description").unwrap_or_default().to_owned(),
        key_usage: key_usage.to_owned(),
        key_spec: key_spec.to_owned(),
        origin: origin.to_owned(),
        key_state: "Enabled".to_owned(),
        creation_date: now,
        deletion_date: None,
        pending_window_days: None,
        policy,
        tags: tags.iter().map(|(k, v)| Tag { key: k.clone(), value: v.clone() }).collect(),
        material: vec![new_material(key_spec, now, "")?],
        rotation_enabled: false,
        rotation_period_days: None,
        next_rotation_date: None,
        multi_region,
        aws_managed: false,
    };

    let mut gathered = {
        let tx = services.store().read()?;
        let mut gathered = super::gather(services, call, &*tx)?;
        let one = |s: &str| ContextValue::One(s.to_owned());
        let mut ctx = vec![
            ("kms:KeySpec".to_owned(), one(key_spec)),
            ("kms:KeyUsage".to_owned(), one(key_usage)),
            ("kms:KeyOrigin".to_owned(), one(origin)),
            ("kms:MultiRegion".to_owned(), one(if multi_region { "true" } else { "false" })),
        ];
        if let Some(b) = input.get("BypassPolicyLockoutSafetyCheck").and_then(Value::as_bool) {
            ctx.push(("kms:BypassPolicyLockoutSafetyCheck".to_owned(), one(&b.to_string())));
        }
        ctx.extend(actions::request_tags(&tags));
        super::authorize_identity(
            services,
            call,
            &*tx,
            gathered.as_mut(),
            "kms:CreateKey",
            "*",
            ctx.clone(),
        )?;
        // Tagging at creation needs kms:TagResource too (AWS: "in an IAM policy").
        if !tags.is_empty() {
            super::authorize_identity(
                services,
                call,
                &*tx,
                gathered.as_mut(),
                "kms:TagResource",
                "*",
                actions::request_tags(&tags),
            )?;
        }
        gathered
    };
    if input_str(input, "Policy").is_some() {
        lockout_check(services, call, gathered.as_mut(), &key)?;
    }
    let mut tx = services.store().write()?;
    if !KEYS.insert_new(&mut *tx, &model::key_key(account, region, &key_id), &key)? {
        return Err(ServiceError::internal("key id collision"));
    }
    tx.commit()?;
    Ok(json!({ "KeyMetadata": metadata(&key) }))
}

/// Resolves the key of `KeyId` and authorizes `call`'s action on it in a read transaction, then
/// answers with `view` of it.
fn read_key(
    services: &Services,
    call: &Call<'_>,
    view: impl FnOnce(&KeyRecord) -> Result<Value, ServiceError>,
) -> Result<Value, ServiceError> {
    let spec = super::spec_of(call)?;
    let tx = services.store().read()?;
    let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let mut req = KeyRequest::new(&resolved.key, spec.action);
    req.request_alias = resolved.request_alias.as_deref();
    super::authorize_key(services, call, &*tx, gathered.as_mut(), &req)?;
    drop(tx);
    view(&resolved.key)
}

/// Resolves the key of `KeyId`, authorizes `call`'s action on it with `extra` keys, and runs
/// `change` on it in one write transaction; the key is written back when `change` says so.
fn update_key(
    services: &Services,
    call: &Call<'_>,
    extra: Vec<(String, ContextValue)>,
    change: impl FnOnce(&mut KeyRecord, f64) -> Result<(Value, bool), ServiceError>,
) -> Result<Value, ServiceError> {
    let spec = super::spec_of(call)?;
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let req = KeyRequest {
        key: &resolved.key,
        action: spec.action,
        request_alias: resolved.request_alias.as_deref(),
        extra,
        encryption_context: None,
        new_grant_operations: None,
    };
    super::authorize_key(services, call, &*tx, gathered.as_mut(), &req)?;
    let mut key = resolved.key;
    let (out, write) = change(&mut key, now)?;
    if write {
        KEYS.put(&mut *tx, &model::key_key(&key.account, &key.region, &key.key_id), &key)?;
        tx.commit()?;
    }
    Ok(out)
}

/// `DescribeKey`.
pub fn describe_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    read_key(services, call, |key| Ok(json!({ "KeyMetadata": metadata(key) })))
}

fn limit(input: &Value, default: usize) -> usize {
    input
        .get("Limit")
        .and_then(Value::as_u64)
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(default)
}

/// `ListKeys`: the caller's keys in the request's region.
pub fn list_keys(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    super::authorize_unscoped(services, call, &*tx, "kms:ListKeys")?;
    let limit = limit(call.input, 100); // AWS: default 100
    let prefix = model::scope(&call.caller.account, call.region);
    let after = match input_str(call.input, "Marker") {
        Some(m) if super::is_key_id(m) => Some(format!("{prefix}{m}")),
        Some(_) => return Err(error::invalid_marker()),
        None => None,
    };
    let now = services.clock().now_epoch_f64();
    let mut keys = Vec::new();
    let mut cursor = after;
    let mut truncated = false;
    'scan: loop {
        let batch = KEYS.scan(&*tx, &prefix, cursor.as_deref(), 200)?;
        let Some((last, _)) = batch.last() else { break };
        cursor = Some(last.clone());
        for (_, k) in batch {
            if k.deleted_at(now) {
                continue;
            }
            if keys.len() == limit {
                truncated = true;
                break 'scan;
            }
            keys.push(k);
        }
    }
    let mut out = json!({
        "Keys": keys.iter().map(|k| json!({"KeyId": k.key_id, "KeyArn": k.arn})).collect::<Vec<_>>(),
        "Truncated": truncated,
    });
    if truncated {
        if let (Some(obj), Some(last)) = (out.as_object_mut(), keys.last()) {
            obj.insert("NextMarker".into(), json!(last.key_id));
        }
    }
    Ok(out)
}

fn check_policy_name(input: &Value) -> Result<(), ServiceError> {
    match input_str(input, "PolicyName") {
        None | Some("default") => Ok(()),
        // AWS keeps one policy per key, named `default` (message guessed).
        Some(other) => Err(error::not_found(format!("No such policy exists: {other}"))),
    }
}

/// `GetKeyPolicy`.
pub fn get_key_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    check_policy_name(call.input)?;
    read_key(services, call, |key| Ok(json!({ "Policy": key.policy, "PolicyName": "default" })))
}

/// `PutKeyPolicy`: validated, and (unless bypassed) it must still let the caller put a policy.
pub fn put_key_policy(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    check_policy_name(call.input)?;
    let document = input_str(call.input, "Policy").unwrap_or_default().to_owned();
    check_policy(&*services.store().read()?, &document)?;
    let bypass = call.input.get("BypassPolicyLockoutSafetyCheck").and_then(Value::as_bool);
    let mut extra = Vec::new();
    if let Some(b) = bypass {
        extra.push((
            "kms:BypassPolicyLockoutSafetyCheck".to_owned(),
            ContextValue::One(b.to_string()),
        ));
    }
    // Authorize against the current policy, then check the new one for lockout.
    let spec = super::spec_of(call)?;
    let candidate = {
        let tx = services.store().read()?;
        let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
        let mut gathered = super::gather(services, call, &*tx)?;
        let req = KeyRequest {
            key: &resolved.key,
            action: spec.action,
            request_alias: None,
            extra: extra.clone(),
            encryption_context: None,
            new_grant_operations: None,
        };
        super::authorize_key(services, call, &*tx, gathered.as_mut(), &req)?;
        drop(tx);
        let mut candidate = resolved.key;
        candidate.policy.clone_from(&document);
        lockout_check(services, call, gathered.as_mut(), &candidate)?;
        candidate
    };
    let mut tx = services.store().write()?;
    let key_key = model::key_key(&candidate.account, &candidate.region, &candidate.key_id);
    // Re-read inside the write: only the policy changes.
    let Some(mut key) = KEYS.get(&*tx, &key_key)? else {
        return Err(error::key_not_found(&candidate.arn));
    };
    key.policy = document;
    KEYS.put(&mut *tx, &key_key, &key)?;
    tx.commit()?;
    Ok(json!({}))
}

/// `ListKeyPolicies`: every key has exactly one, `default`.
pub fn list_key_policies(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    read_key(services, call, |_| Ok(json!({ "PolicyNames": ["default"], "Truncated": false })))
}

fn not_pending(key: &KeyRecord) -> Result<(), ServiceError> {
    if key.key_state == "PendingDeletion" {
        return Err(error::pending_deletion(&key.arn));
    }
    Ok(())
}

/// `EnableKey`.
pub fn enable_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    update_key(services, call, Vec::new(), |key, _| {
        not_pending(key)?;
        key.key_state = "Enabled".to_owned();
        Ok((json!({}), true))
    })
}

/// `DisableKey`.
pub fn disable_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    update_key(services, call, Vec::new(), |key, _| {
        not_pending(key)?;
        key.key_state = "Disabled".to_owned();
        Ok((json!({}), true))
    })
}

/// `ScheduleKeyDeletion`: 7 to 30 days (default 30); the key is `PendingDeletion` until then,
/// and gone after.
pub fn schedule_key_deletion(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let days = call.input.get("PendingWindowInDays").and_then(Value::as_i64).unwrap_or(30);
    if !(7..=30).contains(&days) {
        let bound = if days < 7 {
            "Member must have value greater than or equal to 7"
        } else {
            "Member must have value less than or equal to 30"
        };
        return Err(error::validation(format!(
            "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: {bound}"
        )));
    }
    let extra = vec![(
        "kms:ScheduleKeyDeletionPendingWindowInDays".to_owned(),
        ContextValue::One(days.to_string()),
    )];
    update_key(services, call, extra, |key, now| {
        not_pending(key)?;
        #[expect(clippy::cast_precision_loss, reason = "days is between 7 and 30")]
        let date = now + days as f64 * SECONDS_PER_DAY;
        key.key_state = "PendingDeletion".to_owned();
        key.deletion_date = Some(date);
        key.pending_window_days = Some(days);
        Ok((
            json!({
                "KeyId": key.arn,
                "DeletionDate": date,
                "KeyState": "PendingDeletion",
                "PendingWindowInDays": days,
            }),
            true,
        ))
    })
}

/// `CancelKeyDeletion`: the key comes back `Disabled`, as in AWS.
pub fn cancel_key_deletion(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    update_key(services, call, Vec::new(), |key, _| {
        if key.key_state != "PendingDeletion" {
            // Message guessed.
            return Err(error::invalid_state(format!("{} is not pending deletion.", key.arn)));
        }
        key.key_state = "Disabled".to_owned();
        key.deletion_date = None;
        key.pending_window_days = None;
        Ok((json!({ "KeyId": key.arn }), true))
    })
}

/// `UpdateKeyDescription`.
pub fn update_key_description(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let description = input_str(call.input, "Description").unwrap_or_default().to_owned();
    update_key(services, call, Vec::new(), |key, _| {
        not_pending(key)?;
        key.description = description;
        Ok((json!({}), true))
    })
}

/// `TagResource`: adds or replaces tags.
pub fn tag_resource(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tags = input_tags(call.input)?;
    update_key(services, call, actions::request_tags(&tags), |key, _| {
        for (k, v) in tags {
            key.tags.retain(|t| t.key != k);
            key.tags.push(Tag { key: k, value: v });
        }
        if key.tags.len() > MAX_TAGS {
            return Err(error::tag_error("Too many tags"));
        }
        Ok((json!({}), true))
    })
}

/// `UntagResource`.
pub fn untag_resource(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let keys: Vec<String> = call
        .input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let extra = if keys.is_empty() {
        Vec::new()
    } else {
        vec![("aws:TagKeys".to_owned(), ContextValue::Many(keys.clone()))]
    };
    update_key(services, call, extra, |key, _| {
        key.tags.retain(|t| !keys.contains(&t.key));
        Ok((json!({}), true))
    })
}

/// `ListResourceTags`.
pub fn list_resource_tags(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    read_key(services, call, |key| {
        let tags: Vec<Value> =
            key.tags.iter().map(|t| json!({"TagKey": t.key, "TagValue": t.value})).collect();
        Ok(json!({ "Tags": tags, "Truncated": false }))
    })
}

/// Rotation applies to symmetric encryption keys only.
fn rotatable(key: &KeyRecord) -> Result<(), ServiceError> {
    if key.key_spec != "SYMMETRIC_DEFAULT" {
        return Err(error::unsupported(format!(
            "{} key usage is not supported for this operation",
            key.key_spec
        )));
    }
    Ok(())
}

const DEFAULT_ROTATION_DAYS: i64 = 365;

/// `GetKeyRotationStatus`.
pub fn get_key_rotation_status(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    read_key(services, call, |key| {
        let mut out = json!({ "KeyRotationEnabled": key.rotation_enabled, "KeyId": key.arn });
        if let Some(obj) = out.as_object_mut() {
            if key.rotation_enabled {
                obj.insert("RotationPeriodInDays".into(), json!(key.rotation_period_days));
                obj.insert("NextRotationDate".into(), json!(key.next_rotation_date));
            }
        }
        Ok(out)
    })
}

/// `EnableKeyRotation`: every `RotationPeriodInDays` (90 to 2560, default 365).
pub fn enable_key_rotation(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let days = call.input.get("RotationPeriodInDays").and_then(Value::as_i64);
    let extra = days
        .map(|d| vec![("kms:RotationPeriodInDays".to_owned(), ContextValue::One(d.to_string()))])
        .unwrap_or_default();
    update_key(services, call, extra, |key, now| {
        rotatable(key)?;
        if key.key_state == "Disabled" {
            return Err(error::disabled(&key.arn));
        }
        not_pending(key)?;
        let days = days.unwrap_or(DEFAULT_ROTATION_DAYS);
        key.rotation_enabled = true;
        key.rotation_period_days = Some(days);
        #[expect(clippy::cast_precision_loss, reason = "days is at most 2560")]
        let next = now + days as f64 * SECONDS_PER_DAY;
        key.next_rotation_date = Some(next);
        Ok((json!({}), true))
    })
}

/// `DisableKeyRotation`.
pub fn disable_key_rotation(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    update_key(services, call, Vec::new(), |key, _| {
        rotatable(key)?;
        if key.key_state == "Disabled" {
            return Err(error::disabled(&key.arn));
        }
        not_pending(key)?;
        key.rotation_enabled = false;
        key.rotation_period_days = None;
        key.next_rotation_date = None;
        Ok((json!({}), true))
    })
}

/// Automatic rotation, done when a key is next used for encryption after its rotation date:
/// new material (`AUTOMATIC`) and the next date one period later, written before the key is
/// used. Older ciphertexts keep decrypting with the material their blob names.
pub(crate) fn rotate_if_due(
    services: &Services,
    key: KeyRecord,
) -> Result<KeyRecord, ServiceError> {
    let now = services.clock().now_epoch_f64();
    let due = key.rotation_enabled && key.next_rotation_date.is_some_and(|d| now >= d);
    if !due {
        return Ok(key);
    }
    let store_key = model::key_key(&key.account, &key.region, &key.key_id);
    let mut tx = services.store().write()?;
    // Another request may have rotated it meanwhile: decide on the current record.
    let Some(mut current) = KEYS.get(&*tx, &store_key)? else {
        return Ok(key);
    };
    let (Some(next), Some(days)) = (current.next_rotation_date, current.rotation_period_days)
    else {
        return Ok(current);
    };
    if !current.rotation_enabled || now < next {
        return Ok(current);
    }
    current.material.push(new_material(&current.key_spec, next, "AUTOMATIC")?);
    #[expect(clippy::cast_precision_loss, reason = "days is at most 2560")]
    let period = days as f64 * SECONDS_PER_DAY;
    // The next date after now, one period at a time from the scheduled one.
    let mut following = next + period;
    while following <= now {
        following += period;
    }
    current.next_rotation_date = Some(following);
    KEYS.put(&mut *tx, &store_key, &current)?;
    tx.commit()?;
    Ok(current)
}

/// `RotateKeyOnDemand`: new material now; older ciphertexts still decrypt.
pub fn rotate_key_on_demand(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    update_key(services, call, Vec::new(), |key, now| {
        rotatable(key)?;
        if key.key_state == "Disabled" {
            return Err(error::disabled(&key.arn));
        }
        not_pending(key)?;
        key.material.push(new_material(&key.key_spec, now, "ON_DEMAND")?);
        Ok((json!({ "KeyId": key.key_id }), true))
    })
}

/// `ListKeyRotations`: each rotation (material after the first).
pub fn list_key_rotations(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    read_key(services, call, |key| {
        rotatable(key)?;
        let rotations: Vec<Value> = key
            .material
            .iter()
            .skip(1)
            .map(|m| {
                json!({
                    "KeyId": key.key_id,
                    "KeyMaterialId": m.id,
                    "RotationDate": m.created,
                    "RotationType": m.rotation_type,
                })
            })
            .collect();
        Ok(json!({ "Rotations": rotations, "Truncated": false }))
    })
}
