//! Asymmetric signing keys: `Sign`, `Verify`, `GetPublicKey`.
//!
//! `Verify` answers `KMSInvalidSignatureException` for a signature that does not verify, as AWS
//! documents. A `DIGEST` message must be as long as the algorithm's digest. The validation
//! messages for a key of the wrong usage and for an algorithm the key spec does not support are
//! the texts moto's suite expects (unconfirmed against AWS).

use serde_json::{json, Value};

use super::asymmetric::{self, AsymError};
use super::data::private_key;
use super::model::KeyRecord;
use super::{b64, blob, error, is_dry_run, keys, KeyRequest};
use crate::authz::ContextValue;
use crate::{input_str, Call, ServiceError, Services};

/// Resolves `KeyId`, authorizes `call`'s action (with `kms:SigningAlgorithm` when given) and
/// checks the key is enabled.
fn signing_key(services: &Services, call: &Call<'_>) -> Result<KeyRecord, ServiceError> {
    let spec = super::spec_of(call)?;
    let tx = services.store().read()?;
    let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let mut req = KeyRequest::new(&resolved.key, spec.action);
    req.request_alias = resolved.request_alias.as_deref();
    if let Some(alg) = input_str(call.input, "SigningAlgorithm") {
        req.extra.push(("kms:SigningAlgorithm".to_owned(), ContextValue::One(alg.to_owned())));
    }
    if let Some(t) = input_str(call.input, "MessageType") {
        req.extra.push(("kms:MessageType".to_owned(), ContextValue::One(t.to_owned())));
    }
    super::authorize_key(services, call, &*tx, gathered.as_mut(), &req)?;
    let key = resolved.key;
    match key.key_state.as_str() {
        "Enabled" => Ok(key),
        "Disabled" => Err(error::disabled(&key.arn)),
        "PendingDeletion" => Err(error::pending_deletion(&key.arn)),
        other => Err(error::invalid_state(format!("{} is {other}.", key.arn))),
    }
}

/// The key must be a signing key, and the algorithm one of its spec's.
fn check_signing(key: &KeyRecord, call: &Call<'_>) -> Result<&'static str, ServiceError> {
    if key.key_usage != "SIGN_VERIFY" {
        let raw = input_str(call.input, "KeyId").unwrap_or_default();
        return Err(error::validation(format!(
            "1 validation error detected: Value '{raw}' at 'KeyId' failed to satisfy constraint: Member must point to a key with usage: 'SIGN_VERIFY'"
        )));
    }
    let algorithm = input_str(call.input, "SigningAlgorithm").unwrap_or_default();
    let valid = asymmetric::signing_algorithms(&key.key_spec);
    if let Some(a) = valid.iter().find(|a| **a == algorithm) {
        return Ok(a);
    }
    let mut sorted: Vec<&str> = valid.to_vec();
    sorted.sort_unstable();
    let list: Vec<String> = sorted.iter().map(|a| format!("'{a}'")).collect();
    Err(error::validation(format!(
        "1 validation error detected: Value '{algorithm}' at 'SigningAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        list.join(", ")
    )))
}

fn is_digest(call: &Call<'_>) -> bool {
    input_str(call.input, "MessageType") == Some("DIGEST")
}

fn asym_error(e: AsymError, algorithm: &str) -> ServiceError {
    match e {
        AsymError::DigestLength => {
            error::validation(format!("Digest is invalid length for algorithm {algorithm}."))
        }
        AsymError::Algorithm | AsymError::UnsupportedSpec => {
            error::invalid_key_usage(format!("Algorithm {algorithm} is not supported by this key"))
        }
        other => ServiceError::internal(format!("signing: {other:?}")),
    }
}

/// `Sign`.
pub fn sign(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = signing_key(services, call)?;
    let algorithm = check_signing(&key, call)?;
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    let message = blob(call.input, "Message").unwrap_or_default();
    let private = private_key(&key)?;
    let signature = asymmetric::sign(
        &key.key_spec,
        &private,
        algorithm,
        &message,
        is_digest(call),
        &mut rand_core::OsRng,
    )
    .map_err(|e| asym_error(e, algorithm))?;
    Ok(json!({ "KeyId": key.arn, "Signature": b64(&signature), "SigningAlgorithm": algorithm }))
}

/// `Verify`.
pub fn verify(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = signing_key(services, call)?;
    let algorithm = check_signing(&key, call)?;
    let message = blob(call.input, "Message").unwrap_or_default();
    let signature = blob(call.input, "Signature").unwrap_or_default();
    let private = private_key(&key)?;
    let valid = asymmetric::verify(
        &key.key_spec,
        &private,
        algorithm,
        &message,
        is_digest(call),
        &signature,
    )
    .map_err(|e| asym_error(e, algorithm))?;
    if !valid {
        return Err(ServiceError::client("KMSInvalidSignatureException", 400, ""));
    }
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    Ok(json!({ "KeyId": key.arn, "SignatureValid": true, "SigningAlgorithm": algorithm }))
}

/// `GetPublicKey`: the DER `SubjectPublicKeyInfo` of an asymmetric key.
pub fn get_public_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = signing_key(services, call)?;
    if !asymmetric::supports(&key.key_spec) {
        return Err(error::unsupported(format!(
            "{} is not an asymmetric key; it has no public key",
            key.arn
        )));
    }
    let private = private_key(&key)?;
    let public = asymmetric::public_key_der(&key.key_spec, &private)
        .map_err(|e| ServiceError::internal(format!("public key: {e:?}")))?;
    let (encryption, signing) = keys::asymmetric_algorithms(&key);
    let mut out = json!({
        "KeyId": key.arn,
        "PublicKey": b64(&public),
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "KeyUsage": key.key_usage,
    });
    if let Some(obj) = out.as_object_mut() {
        if !encryption.is_empty() {
            obj.insert("EncryptionAlgorithms".into(), json!(encryption));
        }
        if !signing.is_empty() {
            obj.insert("SigningAlgorithms".into(), json!(signing));
        }
    }
    Ok(out)
}
