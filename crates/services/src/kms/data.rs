//! Cryptographic operations: `Encrypt`, `Decrypt`, `ReEncrypt`, `GenerateDataKey`,
//! `GenerateDataKeyWithoutPlaintext`, `GenerateRandom`, `GenerateMac`, `VerifyMac`.
//!
//! A key must be `Enabled` to be used: a disabled key answers `DisabledException`, a key pending
//! deletion `KMSInvalidStateException`, as AWS does. The encryption context is bound to the
//! ciphertext (see [`super::crypto`]): decrypting with another context, or a blob of another
//! key, fails with `InvalidCiphertextException`.
//!
//! Security: plaintexts, data keys and material are never logged.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use xacct_store::ReadTx;

use super::asymmetric::{self, AsymError};
use super::crypto::{self, CryptoError};
use super::model::KeyRecord;
use super::{actions, b64, blob, context_map, error, is_dry_run, KeyRequest, Resolved};
use crate::authz::{ContextValue, Gathered};
use crate::{ids, input_str, Call, ServiceError, Services};

/// The key must be enabled and made for `usage`.
fn usable(key: &KeyRecord, usage: &str) -> Result<(), ServiceError> {
    match key.key_state.as_str() {
        "Enabled" => {}
        "Disabled" => return Err(error::disabled(&key.arn)),
        "PendingDeletion" => return Err(error::pending_deletion(&key.arn)),
        other => return Err(error::invalid_state(format!("{} is {other}.", key.arn))),
    }
    if key.key_usage != usage {
        // Message guessed.
        return Err(error::invalid_key_usage(format!(
            "{} key usage is {} which is not valid for this operation.",
            key.arn, key.key_usage
        )));
    }
    Ok(())
}

/// The encryption algorithm the request names for `key`: `SYMMETRIC_DEFAULT` (the default) for
/// symmetric keys, one of the RSA-OAEP algorithms (required) for RSA keys.
fn check_algorithm(
    key: &KeyRecord,
    input: &Value,
    member: &str,
) -> Result<&'static str, ServiceError> {
    let given = input_str(input, member);
    let allowed: &[&'static str] = if key.key_spec == "SYMMETRIC_DEFAULT" {
        if given.is_none() {
            return Ok("SYMMETRIC_DEFAULT");
        }
        &["SYMMETRIC_DEFAULT"]
    } else {
        asymmetric::encryption_algorithms(&key.key_spec)
    };
    given.and_then(|g| allowed.iter().find(|a| **a == g).copied()).ok_or_else(|| {
        error::invalid_key_usage(format!(
            "The encryption algorithm {} is not compatible with the type of key material",
            given.unwrap_or("(none)")
        ))
    })
}

/// Encrypts `plaintext` for `key` with `algorithm`: an AES-GCM blob for symmetric keys, raw
/// RSA-OAEP for RSA keys.
fn encrypt_for(
    key: &KeyRecord,
    algorithm: &str,
    context: &BTreeMap<String, String>,
    plaintext: &[u8],
) -> Result<Vec<u8>, ServiceError> {
    if key.key_spec == "SYMMETRIC_DEFAULT" {
        return seal(key, context, plaintext);
    }
    let private = private_key(key)?;
    asymmetric::rsa_encrypt(&private, algorithm, plaintext, &mut rand_core::OsRng).map_err(|e| {
        match e {
            AsymError::TooLong => error::validation(format!(
                "Plaintext is too long for {} with {algorithm}",
                key.key_spec
            )),
            other => ServiceError::internal(format!("rsa encryption: {other:?}")),
        }
    })
}

/// The stored PKCS#8 private key of an asymmetric key.
pub(crate) fn private_key(key: &KeyRecord) -> Result<Vec<u8>, ServiceError> {
    let m = key.material.last().ok_or_else(|| ServiceError::internal("key without material"))?;
    STANDARD
        .decode(&m.secret)
        .map_err(|_| ServiceError::internal("stored key material is not base64"))
}

/// The 32-byte AES material of generation `index`.
fn aes_material(key: &KeyRecord, index: usize) -> Result<[u8; 32], ServiceError> {
    let m = key.material.get(index).ok_or_else(error::invalid_ciphertext)?;
    let bytes = STANDARD
        .decode(&m.secret)
        .map_err(|_| ServiceError::internal("stored key material is not base64"))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| ServiceError::internal("stored key material is not 32 bytes"))
}

/// Seals `plaintext` under `key`'s current material.
fn seal(
    key: &KeyRecord,
    context: &BTreeMap<String, String>,
    plaintext: &[u8],
) -> Result<Vec<u8>, ServiceError> {
    let index = key
        .material
        .len()
        .checked_sub(1)
        .ok_or_else(|| ServiceError::internal("key without material"))?;
    let material = aes_material(key, index)?;
    let nonce = ids::random_bytes::<12>()?;
    let index = u32::try_from(index).map_err(|_| ServiceError::internal("material index"))?;
    crypto::seal(&material, &key.arn, index, &nonce, context, plaintext)
        .map_err(|_| ServiceError::internal("sealing failed"))
}

fn with_context_keys(
    context: &BTreeMap<String, String>,
    algorithm: Option<&str>,
) -> Vec<(String, ContextValue)> {
    let mut extra = actions::encryption_context_keys(context);
    extra.push((
        "kms:EncryptionAlgorithm".to_owned(),
        ContextValue::One(algorithm.unwrap_or("SYMMETRIC_DEFAULT").to_owned()),
    ));
    extra
}

/// Which input members an operation reads its blob, key and algorithm from.
#[derive(Clone, Copy)]
struct Members {
    blob: &'static str,
    key: &'static str,
    algorithm: &'static str,
}

const ENCRYPT: Members = Members { blob: "", key: "KeyId", algorithm: "EncryptionAlgorithm" };
const DECRYPT: Members =
    Members { blob: "CiphertextBlob", key: "KeyId", algorithm: "EncryptionAlgorithm" };
const RE_ENCRYPT_FROM: Members =
    Members { blob: "CiphertextBlob", key: "SourceKeyId", algorithm: "SourceEncryptionAlgorithm" };
const RE_ENCRYPT_TO: Members =
    Members { blob: "", key: "DestinationKeyId", algorithm: "DestinationEncryptionAlgorithm" };
const DATA_KEY: Members = Members { blob: "", key: "KeyId", algorithm: "" };

/// Resolves `KeyId`, authorizes `action` with the encryption context, and checks the key can
/// encrypt.
fn key_for_encryption(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
    gathered: Option<&mut Gathered>,
    action: &'static str,
    members: Members,
    context: &BTreeMap<String, String>,
) -> Result<(Resolved, &'static str), ServiceError> {
    let Members { key: member, algorithm: algorithm_member, .. } = members;
    let spec = super::spec_of(call).or_else(|_| {
        // ReEncrypt's destination: used like Encrypt.
        actions::spec("Encrypt").ok_or_else(|| crate::unknown_operation(call))
    })?;
    let resolved = super::resolve_member(services, call, tx, member, spec)?;
    let req = KeyRequest {
        key: &resolved.key,
        action,
        request_alias: resolved.request_alias.as_deref(),
        extra: with_context_keys(context, input_str(call.input, algorithm_member)),
        encryption_context: Some(context),
        new_grant_operations: None,
    };
    super::authorize_key(services, call, tx, gathered, &req)?;
    usable(&resolved.key, "ENCRYPT_DECRYPT")?;
    let algorithm = check_algorithm(&resolved.key, call.input, algorithm_member)?;
    Ok((resolved, algorithm))
}

/// `Encrypt`.
pub fn encrypt(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let plaintext = blob(call.input, "Plaintext").unwrap_or_default();
    let context = context_map(call.input, "EncryptionContext");
    let tx = services.store().read()?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let (resolved, algorithm) = key_for_encryption(
        services,
        call,
        &*tx,
        gathered.as_mut(),
        "kms:Encrypt",
        ENCRYPT,
        &context,
    )?;
    drop(tx);
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    let key = super::keys::rotate_if_due(services, resolved.key)?;
    let sealed = encrypt_for(&key, algorithm, &context, &plaintext)?;
    Ok(json!({
        "CiphertextBlob": b64(&sealed),
        "KeyId": key.arn,
        "EncryptionAlgorithm": algorithm,
    }))
}

/// What a ciphertext blob opened to.
struct Opened {
    key: KeyRecord,
    plaintext: Vec<u8>,
    material_id: String,
    algorithm: &'static str,
}

/// Finds the key of `blob_member`, checks it against `key_member` when given, authorizes
/// `action`, and opens the blob with `context`.
fn open_blob(
    services: &Services,
    call: &Call<'_>,
    tx: &dyn ReadTx,
    gathered: Option<&mut Gathered>,
    action: &'static str,
    members: Members,
    context: &BTreeMap<String, String>,
) -> Result<Opened, ServiceError> {
    let Members { blob: blob_member, key: key_member, algorithm: algorithm_member } = members;
    let bytes = blob(call.input, blob_member).ok_or_else(error::invalid_ciphertext)?;
    let now = services.clock().now_epoch_f64();
    let named = match input_str(call.input, key_member) {
        Some(raw) => {
            let r = super::parse_key_ref(raw, &call.caller.account, call.region, true)?;
            Some(super::resolve(tx, &r, now)?)
        }
        None => None,
    };
    let authorize = |key: &KeyRecord, request_alias: Option<&str>, gathered| {
        let req = KeyRequest {
            key,
            action,
            request_alias,
            extra: with_context_keys(context, input_str(call.input, algorithm_member)),
            encryption_context: Some(context),
            new_grant_operations: None,
        };
        super::authorize_key(services, call, tx, gathered, &req)?;
        usable(key, "ENCRYPT_DECRYPT")?;
        check_algorithm(key, call.input, algorithm_member)
    };
    // An RSA key's ciphertext is raw RSA-OAEP: the key must be named.
    if let Some(resolved) = named.as_ref().filter(|r| r.key.key_spec != "SYMMETRIC_DEFAULT") {
        let algorithm = authorize(&resolved.key, resolved.request_alias.as_deref(), gathered)?;
        let private = private_key(&resolved.key)?;
        let plaintext = asymmetric::rsa_decrypt(&private, algorithm, &bytes)
            .map_err(|_| error::invalid_ciphertext())?;
        let material_id = resolved.key.material.last().map(|m| m.id.clone()).unwrap_or_default();
        return Ok(Opened { key: resolved.key.clone(), plaintext, material_id, algorithm });
    }
    let (header, _) = crypto::header(&bytes).map_err(|_| error::invalid_ciphertext())?;
    let blob_ref = super::parse_key_ref(&header.key_arn, &call.caller.account, call.region, false)
        .map_err(|_| error::invalid_ciphertext())?;
    let (key, request_alias) = match named {
        Some(resolved) => {
            if resolved.key.arn != header.key_arn {
                return Err(error::incorrect_key());
            }
            (resolved.key, resolved.request_alias)
        }
        None => (super::resolve(tx, &blob_ref, now)?.key, None),
    };
    let algorithm = authorize(&key, request_alias.as_deref(), gathered)?;
    let index = usize::try_from(header.material_index).map_err(|_| error::invalid_ciphertext())?;
    let material = aes_material(&key, index)?;
    let plaintext = crypto::open(&material, &bytes, context).map_err(|e| match e {
        CryptoError::Malformed | CryptoError::Authentication => error::invalid_ciphertext(),
    })?;
    let material_id = key.material.get(index).map(|m| m.id.clone()).unwrap_or_default();
    Ok(Opened { key, plaintext, material_id, algorithm })
}

/// `Decrypt`: the key comes from the blob; `KeyId`, when given, must name the same key.
pub fn decrypt(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let context = context_map(call.input, "EncryptionContext");
    let tx = services.store().read()?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let opened =
        open_blob(services, call, &*tx, gathered.as_mut(), "kms:Decrypt", DECRYPT, &context)?;
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    Ok(json!({
        "KeyId": opened.key.arn,
        "Plaintext": b64(&opened.plaintext),
        "EncryptionAlgorithm": opened.algorithm,
        "KeyMaterialId": opened.material_id,
    }))
}

/// `ReEncrypt`: `kms:ReEncryptFrom` on the source key, `kms:ReEncryptTo` on the destination.
pub fn re_encrypt(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let source_context = context_map(call.input, "SourceEncryptionContext");
    let dest_context = context_map(call.input, "DestinationEncryptionContext");
    let tx = services.store().read()?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let opened = open_blob(
        services,
        call,
        &*tx,
        gathered.as_mut(),
        "kms:ReEncryptFrom",
        RE_ENCRYPT_FROM,
        &source_context,
    )?;
    let (dest, dest_algorithm) = key_for_encryption(
        services,
        call,
        &*tx,
        gathered.as_mut(),
        "kms:ReEncryptTo",
        RE_ENCRYPT_TO,
        &dest_context,
    )?;
    drop(tx);
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    let dest_key = super::keys::rotate_if_due(services, dest.key)?;
    let sealed = encrypt_for(&dest_key, dest_algorithm, &dest_context, &opened.plaintext)?;
    Ok(json!({
        "CiphertextBlob": b64(&sealed),
        "SourceKeyId": opened.key.arn,
        "KeyId": dest_key.arn,
        "SourceEncryptionAlgorithm": opened.algorithm,
        "DestinationEncryptionAlgorithm": dest_algorithm,
        "SourceKeyMaterialId": opened.material_id,
        "DestinationKeyMaterialId": dest_key.material.last().map(|m| m.id.clone()).unwrap_or_default(),
    }))
}

/// The data key length of `KeySpec` / `NumberOfBytes` (exactly one must be given).
fn data_key_len(input: &Value) -> Result<usize, ServiceError> {
    let spec = input_str(input, "KeySpec");
    let bytes = input.get("NumberOfBytes").and_then(Value::as_u64);
    match (spec, bytes) {
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        (None, Some(n)) => {
            usize::try_from(n).map_err(|_| error::validation("NumberOfBytes is out of range"))
        }
        // Message observed from AWS.
        _ => Err(error::validation("Please specify either number of bytes or key spec.")),
    }
}

fn data_key(
    services: &Services,
    call: &Call<'_>,
    with_plaintext: bool,
) -> Result<Value, ServiceError> {
    let len = data_key_len(call.input)?;
    let context = context_map(call.input, "EncryptionContext");
    let action =
        if with_plaintext { "kms:GenerateDataKey" } else { "kms:GenerateDataKeyWithoutPlaintext" };
    let tx = services.store().read()?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let (resolved, _) =
        key_for_encryption(services, call, &*tx, gathered.as_mut(), action, DATA_KEY, &context)?;
    if resolved.key.key_spec != "SYMMETRIC_DEFAULT" {
        // Data keys come only from symmetric encryption keys (message guessed).
        return Err(error::invalid_key_usage(format!(
            "{} is not a symmetric encryption key",
            resolved.key.arn
        )));
    }
    drop(tx);
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    let random = ids::random_bytes::<1024>()?;
    let plaintext =
        random.get(..len).ok_or_else(|| error::validation("NumberOfBytes is out of range"))?;
    let key = super::keys::rotate_if_due(services, resolved.key)?;
    let sealed = seal(&key, &context, plaintext)?;
    let mut out = json!({
        "CiphertextBlob": b64(&sealed),
        "KeyId": key.arn,
        "KeyMaterialId": key.material.last().map(|m| m.id.clone()).unwrap_or_default(),
    });
    if with_plaintext {
        if let Some(obj) = out.as_object_mut() {
            obj.insert("Plaintext".into(), json!(b64(plaintext)));
        }
    }
    Ok(out)
}

/// `GenerateDataKey`: a random data key, in plaintext and sealed under the KMS key.
pub fn generate_data_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    data_key(services, call, true)
}

/// `GenerateDataKeyWithoutPlaintext`: only the sealed data key.
pub fn generate_data_key_without_plaintext(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    data_key(services, call, false)
}

/// `GenerateRandom`: 1 to 1024 bytes from the OS RNG.
pub fn generate_random(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let n = call.input.get("NumberOfBytes").and_then(Value::as_u64).unwrap_or(0);
    let len = usize::try_from(n).unwrap_or(0);
    if !(1..=1024).contains(&len) {
        return Err(error::validation(format!(
            "1 validation error detected: Value '{n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value {}",
            if len < 1 { "greater than or equal to 1" } else { "less than or equal to 1024" }
        )));
    }
    if input_str(call.input, "CustomKeyStoreId").is_some() {
        return Err(error::unsupported(
            "Custom key stores are not supported by this KMS emulation",
        ));
    }
    let tx = services.store().read()?;
    super::authorize_unscoped(services, call, &*tx, "kms:GenerateRandom")?;
    drop(tx);
    let random = ids::random_bytes::<1024>()?;
    let bytes = random.get(..len).unwrap_or_default();
    Ok(json!({ "Plaintext": b64(bytes) }))
}

/// Resolves an HMAC key, authorizes `action` with `kms:MacAlgorithm`, and checks it.
fn mac_key(
    services: &Services,
    call: &Call<'_>,
    action: &'static str,
) -> Result<(KeyRecord, Vec<u8>), ServiceError> {
    let spec = super::spec_of(call)?;
    let algorithm = input_str(call.input, "MacAlgorithm").unwrap_or_default();
    let tx = services.store().read()?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
    let req = KeyRequest {
        key: &resolved.key,
        action,
        request_alias: resolved.request_alias.as_deref(),
        extra: vec![("kms:MacAlgorithm".to_owned(), ContextValue::One(algorithm.to_owned()))],
        encryption_context: None,
        new_grant_operations: None,
    };
    super::authorize_key(services, call, &*tx, gathered.as_mut(), &req)?;
    drop(tx);
    let key = resolved.key;
    usable(&key, "GENERATE_VERIFY_MAC")?;
    let expected = format!("HMAC_SHA_{}", key.key_spec.trim_start_matches("HMAC_"));
    if algorithm != expected {
        return Err(error::invalid_key_usage(format!(
            "Algorithm {algorithm} is incompatible with key spec {}.",
            key.key_spec
        )));
    }
    let message = blob(call.input, "Message").unwrap_or_default();
    let material =
        key.material.last().ok_or_else(|| ServiceError::internal("key without material"))?;
    let secret = STANDARD
        .decode(&material.secret)
        .map_err(|_| ServiceError::internal("stored key material is not base64"))?;
    let mac = crypto::hmac(algorithm, &secret, &message)
        .ok_or_else(|| error::invalid_key_usage(format!("Unknown MAC algorithm {algorithm}")))?;
    Ok((key, mac))
}

/// `GenerateMac`.
pub fn generate_mac(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let (key, mac) = mac_key(services, call, "kms:GenerateMac")?;
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    Ok(json!({
        "Mac": b64(&mac),
        "MacAlgorithm": input_str(call.input, "MacAlgorithm").unwrap_or_default(),
        "KeyId": key.arn,
    }))
}

/// `VerifyMac`: `KMSInvalidMacException` when the MAC does not match.
pub fn verify_mac(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let (key, mac) = mac_key(services, call, "kms:VerifyMac")?;
    let given = blob(call.input, "Mac").unwrap_or_default();
    if !bool::from(mac.as_slice().ct_eq(given.as_slice())) {
        return Err(ServiceError::client("KMSInvalidMacException", 400, ""));
    }
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    Ok(json!({
        "KeyId": key.arn,
        "MacValid": true,
        "MacAlgorithm": input_str(call.input, "MacAlgorithm").unwrap_or_default(),
    }))
}

fn data_key_pair(
    services: &Services,
    call: &Call<'_>,
    with_plaintext: bool,
) -> Result<Value, ServiceError> {
    let spec = super::spec_of(call)?;
    let pair_spec = input_str(call.input, "KeyPairSpec").unwrap_or_default();
    if !asymmetric::supports(pair_spec) {
        return Err(error::unsupported(format!(
            "KeyPairSpec {pair_spec} is not supported by this KMS emulation"
        )));
    }
    if call.input.get("Recipient").is_some() {
        return Err(error::unsupported("Recipient (Nitro Enclaves) is not supported"));
    }
    let context = context_map(call.input, "EncryptionContext");
    let tx = services.store().read()?;
    let mut gathered = super::gather(services, call, &*tx)?;
    let resolved = super::resolve_member(services, call, &*tx, "KeyId", spec)?;
    let mut extra = with_context_keys(&context, None);
    extra.push(("kms:DataKeyPairSpec".to_owned(), ContextValue::One(pair_spec.to_owned())));
    let req = KeyRequest {
        key: &resolved.key,
        action: spec.action,
        request_alias: resolved.request_alias.as_deref(),
        extra,
        encryption_context: Some(&context),
        new_grant_operations: None,
    };
    super::authorize_key(services, call, &*tx, gathered.as_mut(), &req)?;
    drop(tx);
    let key = super::keys::rotate_if_due(services, resolved.key)?;
    usable(&key, "ENCRYPT_DECRYPT")?;
    if key.key_spec != "SYMMETRIC_DEFAULT" {
        // Message guessed.
        return Err(error::invalid_key_usage(format!(
            "{} is not a symmetric encryption key",
            key.arn
        )));
    }
    if is_dry_run(call.input) {
        return Err(error::dry_run());
    }
    let private = asymmetric::generate(pair_spec, &mut rand_core::OsRng)
        .map_err(|e| ServiceError::internal(format!("data key pair generation: {e:?}")))?;
    let public = asymmetric::public_key_der(pair_spec, &private)
        .map_err(|e| ServiceError::internal(format!("data key pair public key: {e:?}")))?;
    let sealed = seal(&key, &context, &private)?;
    let mut out = json!({
        "PrivateKeyCiphertextBlob": b64(&sealed),
        "PublicKey": b64(&public),
        "KeyId": key.arn,
        "KeyPairSpec": pair_spec,
        "KeyMaterialId": key.material.last().map(|m| m.id.clone()).unwrap_or_default(),
    });
    if with_plaintext {
        if let Some(obj) = out.as_object_mut() {
            obj.insert("PrivateKeyPlaintext".into(), json!(b64(&private)));
        }
    }
    Ok(out)
}

/// `GenerateDataKeyPair`: an asymmetric key pair whose private key is also returned sealed
/// under the symmetric KMS key.
pub fn generate_data_key_pair(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    data_key_pair(services, call, true)
}

/// `GenerateDataKeyPairWithoutPlaintext`: the same without the plaintext private key.
pub fn generate_data_key_pair_without_plaintext(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    data_key_pair(services, call, false)
}
