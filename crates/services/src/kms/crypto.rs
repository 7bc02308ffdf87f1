//! KMS's symmetric cryptography: AES-256-GCM under a key's 256-bit material, and the ciphertext
//! blob that carries which key (and which generation of its material) sealed it.
//!
//! Blob layout (version 1):
//! `0x01 ‖ arn_len (1) ‖ key ARN ‖ material index (4, big endian) ‖ nonce (12) ‖ ciphertext+tag`.
//! The associated data is the header (everything before the nonce) followed by the canonical
//! encryption context (pairs sorted by key, each part length-prefixed), so a blob opens only
//! under the key it names, with the material it names, and with exactly the same context.
//!
//! Pure: material and nonces are parameters (the caller draws them from the OS RNG).
//!
//! Security: plaintexts and material never leave through errors or logs; a failure to open says
//! only that the blob does not open.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a blob did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// Not a blob of ours (too short, unknown version, bad header).
    Malformed,
    /// The tag did not verify: wrong key, wrong material, wrong context or a tampered blob.
    Authentication,
}

/// What a blob's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The ARN of the key that sealed it.
    pub key_arn: String,
    /// The generation of the key's material that sealed it.
    pub material_index: u32,
}

fn header_bytes(key_arn: &str, material_index: u32) -> Option<Vec<u8>> {
    let len = u8::try_from(key_arn.len()).ok()?;
    let mut out = Vec::with_capacity(6 + key_arn.len());
    out.push(VERSION);
    out.push(len);
    out.extend_from_slice(key_arn.as_bytes());
    out.extend_from_slice(&material_index.to_be_bytes());
    Some(out)
}

/// The canonical bytes of an encryption context: pairs in key order, each key and value
/// prefixed by its length (so `{"a":"bc"}` and `{"ab":"c"}` differ).
pub fn canonical_context(context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in context {
        for part in [k, v] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
    }
    out
}

/// Seals `plaintext` under `material`, naming `key_arn` and `material_index` in the blob.
pub fn seal(
    material: &[u8; 32],
    key_arn: &str,
    material_index: u32,
    nonce: &[u8; NONCE_LEN],
    context: &BTreeMap<String, String>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let header = header_bytes(key_arn, material_index).ok_or(CryptoError::Malformed)?;
    let mut aad = header.clone();
    aad.extend_from_slice(&canonical_context(context));
    let cipher = Aes256Gcm::new(material.into());
    let sealed = cipher
        .encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad: &aad })
        .map_err(|_| CryptoError::Authentication)?;
    let mut out = header;
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Reads the header of `blob` (which key and material to open it with).
pub fn header(blob: &[u8]) -> Result<(Header, usize), CryptoError> {
    let (&version, rest) = blob.split_first().ok_or(CryptoError::Malformed)?;
    if version != VERSION {
        return Err(CryptoError::Malformed);
    }
    let (&len, rest) = rest.split_first().ok_or(CryptoError::Malformed)?;
    let len = usize::from(len);
    let arn = rest.get(..len).ok_or(CryptoError::Malformed)?;
    let index = rest.get(len..len + 4).ok_or(CryptoError::Malformed)?;
    let key_arn = std::str::from_utf8(arn).map_err(|_| CryptoError::Malformed)?.to_owned();
    let mut idx = [0u8; 4];
    idx.copy_from_slice(index);
    let header_len = 2 + len + 4;
    if blob.len() < header_len + NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed);
    }
    Ok((Header { key_arn, material_index: u32::from_be_bytes(idx) }, header_len))
}

/// Opens `blob` with `material` and `context`.
pub fn open(
    material: &[u8; 32],
    blob: &[u8],
    context: &BTreeMap<String, String>,
) -> Result<Vec<u8>, CryptoError> {
    let (_, header_len) = header(blob)?;
    let head = blob.get(..header_len).ok_or(CryptoError::Malformed)?;
    let nonce = blob.get(header_len..header_len + NONCE_LEN).ok_or(CryptoError::Malformed)?;
    let sealed = blob.get(header_len + NONCE_LEN..).ok_or(CryptoError::Malformed)?;
    let mut aad = head.to_vec();
    aad.extend_from_slice(&canonical_context(context));
    let cipher = Aes256Gcm::new(material.into());
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
        .map_err(|_| CryptoError::Authentication)
}

/// HMAC of `message` under `material` with `algorithm` (`HMAC_SHA_224` … `HMAC_SHA_512`);
/// `None` for an unknown algorithm.
pub fn hmac(algorithm: &str, material: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    fn run<M: Mac + KeyInit>(material: &[u8], message: &[u8]) -> Option<Vec<u8>> {
        let mut mac = <M as Mac>::new_from_slice(material).ok()?;
        mac.update(message);
        Some(mac.finalize().into_bytes().to_vec())
    }
    match algorithm {
        "HMAC_SHA_224" => run::<Hmac<sha2::Sha224>>(material, message),
        "HMAC_SHA_256" => run::<Hmac<sha2::Sha256>>(material, message),
        "HMAC_SHA_384" => run::<Hmac<sha2::Sha384>>(material, message),
        "HMAC_SHA_512" => run::<Hmac<sha2::Sha512>>(material, message),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN_A: &str =
        "arn:aws:kms:us-east-1:111111111111:key/0b7c5f52-1a2b-4c3d-8e9f-000000000001";
    const ARN_B: &str =
        "arn:aws:kms:us-east-1:111111111111:key/0b7c5f52-1a2b-4c3d-8e9f-000000000002";

    fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn round_trip_with_context() {
        let m = [7u8; 32];
        let c = ctx(&[("purpose", "test"), ("app", "x")]);
        let blob = seal(&m, ARN_A, 0, &[1u8; 12], &c, b"secret").unwrap();
        assert!(!blob.windows(6).any(|w| w == b"secret"));
        let (h, _) = header(&blob).unwrap();
        assert_eq!(h, Header { key_arn: ARN_A.to_owned(), material_index: 0 });
        // Order of the context's pairs does not matter.
        let same = ctx(&[("app", "x"), ("purpose", "test")]);
        assert_eq!(open(&m, &blob, &same).unwrap(), b"secret");
    }

    #[test]
    fn wrong_key_does_not_open() {
        let c = ctx(&[]);
        let blob = seal(&[7u8; 32], ARN_A, 0, &[1u8; 12], &c, b"secret").unwrap();
        assert_eq!(open(&[8u8; 32], &blob, &c), Err(CryptoError::Authentication));
    }

    #[test]
    fn wrong_or_missing_context_does_not_open() {
        let m = [7u8; 32];
        let blob = seal(&m, ARN_A, 0, &[1u8; 12], &ctx(&[("a", "bc")]), b"x").unwrap();
        assert_eq!(open(&m, &blob, &ctx(&[("ab", "c")])), Err(CryptoError::Authentication));
        assert_eq!(open(&m, &blob, &ctx(&[])), Err(CryptoError::Authentication));
        assert_eq!(
            open(&m, &blob, &ctx(&[("a", "bc"), ("d", "e")])),
            Err(CryptoError::Authentication)
        );
    }

    #[test]
    fn header_is_authenticated() {
        let m = [7u8; 32];
        let c = ctx(&[]);
        let blob = seal(&m, ARN_A, 0, &[1u8; 12], &c, b"secret").unwrap();
        // Naming another key (same length ARN) in the header breaks the tag.
        let mut forged = blob.clone();
        let pos = 2 + ARN_A.len() - 1;
        forged[pos] = ARN_B.as_bytes()[ARN_B.len() - 1];
        assert_eq!(header(&forged).unwrap().0.key_arn, ARN_B);
        assert_eq!(open(&m, &forged, &c), Err(CryptoError::Authentication));
        // Another material index too.
        let mut forged = blob.clone();
        forged[2 + ARN_A.len() + 3] = 1;
        assert_eq!(open(&m, &forged, &c), Err(CryptoError::Authentication));
        // Tampered ciphertext.
        let mut forged = blob;
        let last = forged.len() - 1;
        forged[last] ^= 1;
        assert_eq!(open(&m, &forged, &c), Err(CryptoError::Authentication));
    }

    #[test]
    fn malformed_blobs() {
        assert_eq!(header(b""), Err(CryptoError::Malformed));
        assert_eq!(header(b"\x02abc"), Err(CryptoError::Malformed));
        assert_eq!(header(b"\x01\xffabc"), Err(CryptoError::Malformed));
        let blob = seal(&[7u8; 32], ARN_A, 0, &[1u8; 12], &ctx(&[]), b"x").unwrap();
        assert_eq!(
            open(&[7u8; 32], &blob[..blob.len() - 1], &ctx(&[])),
            Err(CryptoError::Authentication)
        );
        assert_eq!(open(&[7u8; 32], &blob[..20], &ctx(&[])), Err(CryptoError::Malformed));
    }

    #[test]
    fn hmac_known_answer() {
        // RFC 4231 test case 2.
        let mac = hmac("HMAC_SHA_256", b"Jefe", b"what do ya want for nothing?").unwrap();
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(hmac("HMAC_MD5", b"k", b"m").is_none());
    }
}
