//! Object-level server-side encryption: which encryption a write gets (the request's, else the
//! bucket's default), the KMS key it names (resolved and authorized through KMS's own lookup and
//! key-policy evaluation), and the response members that report it.
//!
//! S3 API reference, PutObject / CopyObject / CreateMultipartUpload `x-amz-server-side-encryption*`
//! and the S3 User Guide "Using server-side encryption with AWS KMS keys (SSE-KMS)".

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::kms;
use crate::s3::model::{BucketRecord, Sse};
use crate::s3::ops::config;
use crate::s3::{self as s3};
use crate::{input_str, Call, ServiceError, Services};

const ALGORITHMS: &[&str] = &["AES256", "aws:kms", "aws:kms:dsse"];

fn is_kms(alg: &str) -> bool {
    alg == "aws:kms" || alg == "aws:kms:dsse"
}

/// The KMS action a write needs on its key (S3 User Guide, SSE-KMS permissions).
pub(crate) const GENERATE_DATA_KEY: &str = "kms:GenerateDataKey";
/// The KMS action a read (and a multipart upload) needs on the object's key.
pub(crate) const DECRYPT: &str = "kms:Decrypt";

/// The encryption a write of `call` into `bucket` gets: the request's `ServerSideEncryption`
/// (validated), else the bucket's default encryption. For KMS algorithms the key is resolved in
/// KMS and `actions` authorized on it for the caller. Nothing is written here.
pub(crate) fn resolve_for_write(
    services: &Services,
    call: &Call<'_>,
    bucket: &BucketRecord,
    actions: &[&'static str],
) -> Result<Sse, ServiceError> {
    let input = call.input;
    let requested = input_str(input, "ServerSideEncryption");
    if let Some(alg) = requested {
        if !ALGORITHMS.contains(&alg) {
            // Message as AWS words it for an unknown algorithm (guessed from SDK reports).
            return Err(s3::invalid_argument("The encryption method specified is not supported")
                .with_field("ArgumentName", "x-amz-server-side-encryption")
                .with_field("ArgumentValue", alg.to_owned()));
        }
    }
    let key_id = input_str(input, "SSEKMSKeyId");
    if key_id.is_some() && !requested.is_some_and(is_kms) {
        // AWS's message for a key id without a KMS algorithm, as a client transcript shows it
        // (aws/aws-cli#1431).
        return Err(s3::invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        )
        .with_field("ArgumentName", "x-amz-server-side-encryption")
        .with_field("ArgumentValue", requested.unwrap_or("null").to_owned()));
    }
    if let Some(ctx) = input_str(input, "SSEKMSEncryptionContext") {
        if !requested.is_some_and(is_kms) {
            return Err(s3::invalid_argument(
                "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
            ));
        }
        check_context(ctx)?;
    }
    let tx = services.store().read()?;
    let default = config::encryption(&*tx, &bucket.name)?;
    let rule = default.get("Rules").and_then(Value::as_array).and_then(|r| r.first());
    let default_bucket_key =
        rule.and_then(|r| r.get("BucketKeyEnabled")).and_then(Value::as_bool).unwrap_or(false);
    let by_default = rule.and_then(|r| r.get("ApplyServerSideEncryptionByDefault"));
    let (algorithm, raw_key) = match requested {
        Some(alg) => (alg.to_owned(), key_id.map(str::to_owned)),
        None => (
            by_default.and_then(|d| input_str(d, "SSEAlgorithm")).unwrap_or("AES256").to_owned(),
            by_default.and_then(|d| input_str(d, "KMSMasterKeyID")).map(str::to_owned),
        ),
    };
    if !is_kms(&algorithm) {
        return Ok(Sse { algorithm, kms_key_arn: None, bucket_key: false });
    }
    let bucket_key =
        input.get("BucketKeyEnabled").and_then(Value::as_bool).unwrap_or(default_bucket_key);
    let Some(raw_key) = raw_key else {
        // No key named: S3 uses the AWS managed key `aws/s3`, created on first use (S3 User
        // Guide, "Specifying server-side encryption with AWS KMS"). It is the requester's: an
        // AWS managed key lives in the account whose principals use it (its policy allows
        // kms:CallerAccount = that account only), as with aliases, which KMS resolves in the
        // requester's account (S3 API reference, KMSMasterKeyID). Which account's key a
        // cross-account write gets is not stated by AWS: guessed.
        let key = kms::keys::aws_managed_key(services, &call.caller.account, &bucket.region, "s3")?;
        authorize(services, call, &*tx, &key, Some("alias/aws/s3"), actions)?;
        return Ok(Sse { algorithm, kms_key_arn: Some(key.arn), bucket_key });
    };
    let key = usable_key(services, call, &*tx, bucket, &raw_key, actions)?;
    Ok(Sse { algorithm, kms_key_arn: Some(key.arn), bucket_key })
}

/// `SSEKMSEncryptionContext`: base64 of a JSON object of string values.
fn check_context(ctx: &str) -> Result<(), ServiceError> {
    let invalid = || {
        s3::invalid_argument("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map")
            .with_field("ArgumentName", "x-amz-server-side-encryption-context")
    };
    let bytes = base64::engine::general_purpose::STANDARD.decode(ctx).map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let ok = v.as_object().is_some_and(|m| m.values().all(Value::is_string));
    if ok {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// Resolves `raw` (key id, alias, or key/alias ARN; short forms in the bucket owner's account
/// and the bucket's region) through KMS, checks the key can encrypt, and authorizes `actions`
/// on it for the caller (key policy + identity policies + grants, as KMS itself decides).
fn usable_key(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn xacct_store::ReadTx,
    bucket: &BucketRecord,
    raw: &str,
    actions: &[&'static str],
) -> Result<kms::model::KeyRecord, ServiceError> {
    // S3 reports a key KMS cannot find as 400 `KMS.NotFoundException` "Invalid keyId X", as
    // client transcripts show it (aws/aws-cli#4507); the quotes around X are xacct's.
    let not_found =
        || ServiceError::client("KMS.NotFoundException", 400, format!("Invalid keyId '{raw}'"));
    let r =
        kms::parse_key_ref(raw, &bucket.account, &bucket.region, true).map_err(|_| not_found())?;
    let resolved =
        kms::resolve(tx, &r, services.clock().now_epoch_f64()).map_err(|_| not_found())?;
    let key = resolved.key;
    if key.key_usage != "ENCRYPT_DECRYPT" || key.key_spec != "SYMMETRIC_DEFAULT" {
        // SSE-KMS only uses symmetric encryption keys (S3 User Guide); message guessed.
        return Err(s3::invalid_argument(format!(
            "The key {} is not a symmetric encryption KMS key",
            key.arn
        )));
    }
    if key.key_state != "Enabled" {
        // Code as S3 relays KMS's (guessed).
        return Err(ServiceError::client(
            "KMS.DisabledException",
            400,
            format!("{} is {}.", key.arn, key.key_state.to_lowercase()),
        ));
    }
    authorize(services, call, tx, &key, resolved.request_alias.as_deref(), actions)?;
    Ok(key)
}

fn authorize(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn xacct_store::ReadTx,
    key: &kms::model::KeyRecord,
    request_alias: Option<&str>,
    actions: &[&'static str],
) -> Result<(), ServiceError> {
    let mut gathered = kms::gather(services, call, tx)?;
    for action in actions {
        let mut req = kms::KeyRequest::new(key, action);
        req.request_alias = request_alias;
        req.extra.push((
            "kms:ViaService".to_owned(),
            crate::authz::ContextValue::One(format!("s3.{}.amazonaws.com", call.region)),
        ));
        kms::authorize_key(services, call, tx, gathered.as_mut(), &req).map_err(|e| {
            if e.code == "AccessDeniedException" {
                // S3 relays KMS's denial as its own 403 AccessDenied.
                ServiceError::client("AccessDenied", 403, e.message)
            } else {
                e
            }
        })?;
    }
    Ok(())
}

/// Authorizes `actions` (a read's `kms:Decrypt`) on the key an existing object or upload was
/// encrypted with. Nothing for SSE-S3.
pub(crate) fn authorize_existing(
    services: &Services,
    call: &Call<'_>,
    sse: Option<&Sse>,
    actions: &[&'static str],
) -> Result<(), ServiceError> {
    let Some(arn) = sse.and_then(|s| s.kms_key_arn.as_deref()) else { return Ok(()) };
    let tx = services.store().read()?;
    let not_found =
        || ServiceError::client("KMS.NotFoundException", 400, format!("Invalid keyId '{arn}'"));
    let r = kms::parse_key_ref(arn, &call.caller.account, call.region, false)
        .map_err(|_| not_found())?;
    let key =
        kms::resolve(&*tx, &r, services.clock().now_epoch_f64()).map_err(|_| not_found())?.key;
    if key.key_state != "Enabled" {
        return Err(ServiceError::client(
            "KMS.DisabledException",
            400,
            format!("{} is {}.", key.arn, key.key_state.to_lowercase()),
        ));
    }
    authorize(services, call, &*tx, &key, None, actions)
}

/// Whether an object stored with `old` has encryption `new` (a record from before xacct kept
/// the encryption was SSE-S3, the default it was written with).
pub(crate) fn same(old: Option<&Sse>, new: &Sse) -> bool {
    match old {
        Some(old) => old == new,
        None => new.algorithm == "AES256",
    }
}

/// Whether `bucket` has an encryption configuration put on it (not just the SSE-S3 default).
pub(crate) fn bucket_has_configured_encryption(
    services: &Services,
    bucket: &str,
) -> Result<bool, ServiceError> {
    let tx = services.store().read()?;
    Ok(config::read(&*tx, bucket, config::kind::ENCRYPTION)?.is_some())
}

/// The response members reporting `sse` (`ServerSideEncryption`, and for KMS `SSEKMSKeyId`
/// and, when on, `BucketKeyEnabled`).
pub(crate) fn members(out: &mut Map<String, Value>, sse: Option<&Sse>) {
    let Some(sse) = sse else { return };
    out.insert("ServerSideEncryption".to_owned(), json!(sse.algorithm));
    if let Some(arn) = &sse.kms_key_arn {
        out.insert("SSEKMSKeyId".to_owned(), json!(arn));
        if sse.bucket_key {
            out.insert("BucketKeyEnabled".to_owned(), json!(true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_context_must_be_a_base64_string_map() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(check_context(&b64(r#"{"a":"b"}"#)).is_ok());
        assert!(check_context(&b64(r#"{"a":1}"#)).is_err());
        assert!(check_context(&b64("[1]")).is_err());
        assert!(check_context("not base64!").is_err());
    }

    #[test]
    fn members_report_kms_details_only_for_kms() {
        let mut out = Map::new();
        members(
            &mut out,
            Some(&Sse { algorithm: "AES256".into(), kms_key_arn: None, bucket_key: false }),
        );
        assert_eq!(Value::Object(out), json!({"ServerSideEncryption": "AES256"}));
        let mut out = Map::new();
        let sse = Sse {
            algorithm: "aws:kms".into(),
            kms_key_arn: Some("arn:k".into()),
            bucket_key: true,
        };
        members(&mut out, Some(&sse));
        assert_eq!(
            Value::Object(out),
            json!({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "arn:k", "BucketKeyEnabled": true})
        );
    }
}
