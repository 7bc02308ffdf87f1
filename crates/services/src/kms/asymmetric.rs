//! KMS's asymmetric cryptography: RSA (2048/3072/4096) and ECC (NIST P-256, P-384, P-521,
//! secp256k1) key pairs kept as PKCS#8 DER, signing and verification with KMS's algorithms
//! (`RSASSA_PSS_SHA_*`, `RSASSA_PKCS1_V1_5_SHA_*`, `ECDSA_SHA_*`; `RAW` messages are hashed
//! here, `DIGEST` messages are signed as given), RSA-OAEP encryption (`RSAES_OAEP_SHA_1`,
//! `RSAES_OAEP_SHA_256`), and the public key as DER `SubjectPublicKeyInfo` (what `GetPublicKey`
//! returns).
//!
//! Randomness comes in as a parameter; the service passes the OS RNG.
//!
//! Security: private keys never leave this module except as the stored PKCS#8 document; nothing
//! here logs. RSA decryption uses the `rsa` crate, whose decryption is not constant-time
//! (RUSTSEC-2023-0071); acceptable for an emulator, not for guarding real secrets.

use k256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand_core::CryptoRngCore;
use rsa::signature::hazmat::{PrehashSigner, PrehashVerifier, RandomizedPrehashSigner};
use rsa::signature::SignatureEncoding;
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Why an asymmetric operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsymError {
    /// The key spec is not one this module serves.
    UnsupportedSpec,
    /// The algorithm does not fit the key spec.
    Algorithm,
    /// A `DIGEST` message of the wrong length for the algorithm.
    DigestLength,
    /// The stored key does not decode (internal).
    Key,
    /// Decryption failed (wrong key, tampered ciphertext).
    Decrypt,
    /// The plaintext is too long for the key and padding.
    TooLong,
}

/// Whether this module serves `spec`.
pub fn supports(spec: &str) -> bool {
    matches!(
        spec,
        "RSA_2048"
            | "RSA_3072"
            | "RSA_4096"
            | "ECC_NIST_P256"
            | "ECC_NIST_P384"
            | "ECC_SECG_P256K1"
    )
}

/// Signing algorithms of a spec, in AWS's order.
pub fn signing_algorithms(spec: &str) -> &'static [&'static str] {
    match spec {
        "RSA_2048" | "RSA_3072" | "RSA_4096" => &[
            "RSASSA_PKCS1_V1_5_SHA_256",
            "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512",
            "RSASSA_PSS_SHA_256",
            "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512",
        ],
        "ECC_NIST_P256" | "ECC_SECG_P256K1" => &["ECDSA_SHA_256"],
        "ECC_NIST_P384" => &["ECDSA_SHA_384"],
        "ECC_NIST_P521" => &["ECDSA_SHA_512"],
        _ => &[],
    }
}

/// Encryption algorithms of an RSA spec.
pub fn encryption_algorithms(spec: &str) -> &'static [&'static str] {
    if spec.starts_with("RSA_") {
        &["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    } else {
        &[]
    }
}

/// A new private key for `spec`, as PKCS#8 DER.
pub fn generate(spec: &str, rng: &mut impl CryptoRngCore) -> Result<Vec<u8>, AsymError> {
    let der = match spec {
        "RSA_2048" | "RSA_3072" | "RSA_4096" => {
            let bits = match spec {
                "RSA_2048" => 2048,
                "RSA_3072" => 3072,
                _ => 4096,
            };
            let key = RsaPrivateKey::new(rng, bits).map_err(|_| AsymError::Key)?;
            key.to_pkcs8_der().map_err(|_| AsymError::Key)?
        }
        "ECC_NIST_P256" => {
            p256::SecretKey::random(rng).to_pkcs8_der().map_err(|_| AsymError::Key)?
        }
        "ECC_NIST_P384" => {
            p384::SecretKey::random(rng).to_pkcs8_der().map_err(|_| AsymError::Key)?
        }
        "ECC_SECG_P256K1" => {
            k256::SecretKey::random(rng).to_pkcs8_der().map_err(|_| AsymError::Key)?
        }
        "ECC_NIST_P521" => {
            p521::SecretKey::random(rng).to_pkcs8_der().map_err(|_| AsymError::Key)?
        }
        _ => return Err(AsymError::UnsupportedSpec),
    };
    Ok(der.as_bytes().to_vec())
}

fn rsa_key(der: &[u8]) -> Result<RsaPrivateKey, AsymError> {
    RsaPrivateKey::from_pkcs8_der(der).map_err(|_| AsymError::Key)
}

/// The public key of a stored private key, as DER `SubjectPublicKeyInfo`.
pub fn public_key_der(spec: &str, private: &[u8]) -> Result<Vec<u8>, AsymError> {
    let doc = match spec {
        "RSA_2048" | "RSA_3072" | "RSA_4096" => {
            RsaPublicKey::from(&rsa_key(private)?).to_public_key_der()
        }
        "ECC_NIST_P256" => p256::SecretKey::from_pkcs8_der(private)
            .map_err(|_| AsymError::Key)?
            .public_key()
            .to_public_key_der(),
        "ECC_NIST_P384" => p384::SecretKey::from_pkcs8_der(private)
            .map_err(|_| AsymError::Key)?
            .public_key()
            .to_public_key_der(),
        "ECC_SECG_P256K1" => k256::SecretKey::from_pkcs8_der(private)
            .map_err(|_| AsymError::Key)?
            .public_key()
            .to_public_key_der(),
        "ECC_NIST_P521" => p521::SecretKey::from_pkcs8_der(private)
            .map_err(|_| AsymError::Key)?
            .public_key()
            .to_public_key_der(),
        _ => return Err(AsymError::UnsupportedSpec),
    };
    doc.map(|d| d.as_bytes().to_vec()).map_err(|_| AsymError::Key)
}

/// The digest a signing algorithm uses, by its suffix.
fn digest_of(algorithm: &str, message: &[u8]) -> Option<Vec<u8>> {
    if algorithm.ends_with("SHA_256") {
        Some(Sha256::digest(message).to_vec())
    } else if algorithm.ends_with("SHA_384") {
        Some(Sha384::digest(message).to_vec())
    } else if algorithm.ends_with("SHA_512") {
        Some(Sha512::digest(message).to_vec())
    } else {
        None
    }
}

/// The digest to sign: `message` hashed (`RAW`) or as given (`DIGEST`, checked for length).
fn prehash(algorithm: &str, message: &[u8], is_digest: bool) -> Result<Vec<u8>, AsymError> {
    let expected = digest_of(algorithm, b"").ok_or(AsymError::Algorithm)?.len();
    if is_digest {
        if message.len() != expected {
            return Err(AsymError::DigestLength);
        }
        return Ok(message.to_vec());
    }
    digest_of(algorithm, message).ok_or(AsymError::Algorithm)
}

/// Signs `message` with `algorithm`; ECDSA signatures are DER, as KMS returns them.
pub fn sign(
    spec: &str,
    private: &[u8],
    algorithm: &str,
    message: &[u8],
    is_digest: bool,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, AsymError> {
    if !signing_algorithms(spec).contains(&algorithm) {
        return Err(AsymError::Algorithm);
    }
    let digest = prehash(algorithm, message, is_digest)?;
    match spec {
        "RSA_2048" | "RSA_3072" | "RSA_4096" => {
            let key = rsa_key(private)?;
            macro_rules! rsa_sign {
                ($hash:ty) => {
                    if algorithm.starts_with("RSASSA_PSS") {
                        rsa::pss::BlindedSigningKey::<$hash>::new(key)
                            .sign_prehash_with_rng(rng, &digest)
                            .map(|s| s.to_vec())
                            .map_err(|_| AsymError::Key)
                    } else {
                        rsa::pkcs1v15::SigningKey::<$hash>::new(key)
                            .sign_prehash(&digest)
                            .map(|s| s.to_vec())
                            .map_err(|_| AsymError::Key)
                    }
                };
            }
            if algorithm.ends_with("SHA_256") {
                rsa_sign!(Sha256)
            } else if algorithm.ends_with("SHA_384") {
                rsa_sign!(Sha384)
            } else {
                rsa_sign!(Sha512)
            }
        }
        "ECC_NIST_P256" => {
            let key =
                p256::ecdsa::SigningKey::from_pkcs8_der(private).map_err(|_| AsymError::Key)?;
            let sig: p256::ecdsa::Signature =
                key.sign_prehash(&digest).map_err(|_| AsymError::Key)?;
            Ok(sig.to_der().as_bytes().to_vec())
        }
        "ECC_NIST_P384" => {
            let key =
                p384::ecdsa::SigningKey::from_pkcs8_der(private).map_err(|_| AsymError::Key)?;
            let sig: p384::ecdsa::Signature =
                key.sign_prehash(&digest).map_err(|_| AsymError::Key)?;
            Ok(sig.to_der().as_bytes().to_vec())
        }
        "ECC_SECG_P256K1" => {
            let key =
                k256::ecdsa::SigningKey::from_pkcs8_der(private).map_err(|_| AsymError::Key)?;
            let sig: k256::ecdsa::Signature =
                key.sign_prehash(&digest).map_err(|_| AsymError::Key)?;
            Ok(sig.to_der().as_bytes().to_vec())
        }
        "ECC_NIST_P521" => {
            let key = p521_signing_key(private)?;
            let sig: p521::ecdsa::Signature =
                key.sign_prehash(&digest).map_err(|_| AsymError::Key)?;
            Ok(sig.to_der().as_bytes().to_vec())
        }
        _ => Err(AsymError::UnsupportedSpec),
    }
}

/// Whether `signature` is a valid `algorithm` signature of `message` under the key.
pub fn verify(
    spec: &str,
    private: &[u8],
    algorithm: &str,
    message: &[u8],
    is_digest: bool,
    signature: &[u8],
) -> Result<bool, AsymError> {
    if !signing_algorithms(spec).contains(&algorithm) {
        return Err(AsymError::Algorithm);
    }
    let digest = prehash(algorithm, message, is_digest)?;
    Ok(match spec {
        "RSA_2048" | "RSA_3072" | "RSA_4096" => {
            let public = RsaPublicKey::from(&rsa_key(private)?);
            macro_rules! rsa_verify {
                ($hash:ty) => {
                    if algorithm.starts_with("RSASSA_PSS") {
                        rsa::pss::Signature::try_from(signature).is_ok_and(|s| {
                            rsa::pss::VerifyingKey::<$hash>::new(public)
                                .verify_prehash(&digest, &s)
                                .is_ok()
                        })
                    } else {
                        rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| {
                            rsa::pkcs1v15::VerifyingKey::<$hash>::new(public)
                                .verify_prehash(&digest, &s)
                                .is_ok()
                        })
                    }
                };
            }
            if algorithm.ends_with("SHA_256") {
                rsa_verify!(Sha256)
            } else if algorithm.ends_with("SHA_384") {
                rsa_verify!(Sha384)
            } else {
                rsa_verify!(Sha512)
            }
        }
        "ECC_NIST_P256" => {
            let key =
                p256::ecdsa::SigningKey::from_pkcs8_der(private).map_err(|_| AsymError::Key)?;
            p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|s| key.verifying_key().verify_prehash(&digest, &s).is_ok())
        }
        "ECC_NIST_P384" => {
            let key =
                p384::ecdsa::SigningKey::from_pkcs8_der(private).map_err(|_| AsymError::Key)?;
            p384::ecdsa::Signature::from_der(signature)
                .is_ok_and(|s| key.verifying_key().verify_prehash(&digest, &s).is_ok())
        }
        "ECC_SECG_P256K1" => {
            let key =
                k256::ecdsa::SigningKey::from_pkcs8_der(private).map_err(|_| AsymError::Key)?;
            k256::ecdsa::Signature::from_der(signature).is_ok_and(|s| {
                // Accept high-S signatures as other libraries make them.
                let s = s.normalize_s().unwrap_or(s);
                key.verifying_key().verify_prehash(&digest, &s).is_ok()
            })
        }
        "ECC_NIST_P521" => {
            let secret = p521::SecretKey::from_pkcs8_der(private).map_err(|_| AsymError::Key)?;
            let key = p521::ecdsa::VerifyingKey::from_affine(*secret.public_key().as_affine())
                .map_err(|_| AsymError::Key)?;
            p521::ecdsa::Signature::from_der(signature)
                .is_ok_and(|s| key.verify_prehash(&digest, &s).is_ok())
        }
        _ => return Err(AsymError::UnsupportedSpec),
    })
}

/// P-521's signing key has no PKCS#8 decoder of its own: go through the secret key.
fn p521_signing_key(private: &[u8]) -> Result<p521::ecdsa::SigningKey, AsymError> {
    let secret = p521::SecretKey::from_pkcs8_der(private).map_err(|_| AsymError::Key)?;
    p521::ecdsa::SigningKey::from_bytes(&secret.to_bytes()).map_err(|_| AsymError::Key)
}

fn oaep(algorithm: &str) -> Result<Oaep, AsymError> {
    match algorithm {
        "RSAES_OAEP_SHA_1" => Ok(Oaep::new::<sha1::Sha1>()),
        "RSAES_OAEP_SHA_256" => Ok(Oaep::new::<Sha256>()),
        _ => Err(AsymError::Algorithm),
    }
}

/// RSA-OAEP encryption with the key's public half.
pub fn rsa_encrypt(
    private: &[u8],
    algorithm: &str,
    plaintext: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, AsymError> {
    let public = RsaPublicKey::from(&rsa_key(private)?);
    public.encrypt(rng, oaep(algorithm)?, plaintext).map_err(|_| AsymError::TooLong)
}

/// RSA-OAEP decryption.
pub fn rsa_decrypt(
    private: &[u8],
    algorithm: &str,
    ciphertext: &[u8],
) -> Result<Vec<u8>, AsymError> {
    rsa_key(private)?.decrypt(oaep(algorithm)?, ciphertext).map_err(|_| AsymError::Decrypt)
}

// Message-signing helpers used by tests to check the prehash path against the crates' own.
#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;
    use rsa::signature::{RandomizedSigner, Signer};

    #[test]
    fn ecdsa_raw_and_digest_agree() {
        for spec in ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"] {
            let key = generate(spec, &mut OsRng).unwrap();
            let alg = signing_algorithms(spec)[0];
            let sig = sign(spec, &key, alg, b"hello", false, &mut OsRng).unwrap();
            assert!(verify(spec, &key, alg, b"hello", false, &sig).unwrap(), "{spec}");
            assert!(!verify(spec, &key, alg, b"hellO", false, &sig).unwrap(), "{spec}");
            let digest = digest_of(alg, b"hello").unwrap();
            assert!(verify(spec, &key, alg, &digest, true, &sig).unwrap(), "{spec}");
            assert_eq!(verify(spec, &key, alg, b"short", true, &sig), Err(AsymError::DigestLength));
            assert_eq!(
                sign(spec, &key, "RSASSA_PSS_SHA_256", b"x", false, &mut OsRng),
                Err(AsymError::Algorithm)
            );
            assert!(!public_key_der(spec, &key).unwrap().is_empty());
        }
        // The P-256 prehash path matches the crate's own message signing.
        let key = generate("ECC_NIST_P256", &mut OsRng).unwrap();
        let sk = p256::ecdsa::SigningKey::from_pkcs8_der(&key).unwrap();
        let sig: p256::ecdsa::Signature = sk.sign(b"hello");
        assert!(verify(
            "ECC_NIST_P256",
            &key,
            "ECDSA_SHA_256",
            b"hello",
            false,
            sig.to_der().as_bytes()
        )
        .unwrap());
    }

    #[test]
    fn rsa_sign_verify_encrypt() {
        let key = generate("RSA_2048", &mut OsRng).unwrap();
        for alg in signing_algorithms("RSA_2048") {
            let sig = sign("RSA_2048", &key, alg, b"msg", false, &mut OsRng).unwrap();
            assert!(verify("RSA_2048", &key, alg, b"msg", false, &sig).unwrap(), "{alg}");
            assert!(!verify("RSA_2048", &key, alg, b"other", false, &sig).unwrap(), "{alg}");
        }
        // PKCS#1 v1.5 over SHA-256 agrees with the crate's message signer.
        let sk = rsa::pkcs1v15::SigningKey::<Sha256>::new(rsa_key(&key).unwrap());
        let sig = sk.sign(b"msg").to_vec();
        assert!(verify("RSA_2048", &key, "RSASSA_PKCS1_V1_5_SHA_256", b"msg", false, &sig).unwrap());
        let pss = rsa::pss::BlindedSigningKey::<Sha256>::new(rsa_key(&key).unwrap());
        let sig = pss.sign_with_rng(&mut OsRng, b"msg").to_vec();
        assert!(verify("RSA_2048", &key, "RSASSA_PSS_SHA_256", b"msg", false, &sig).unwrap());
        for alg in encryption_algorithms("RSA_2048") {
            let ct = rsa_encrypt(&key, alg, b"secret", &mut OsRng).unwrap();
            assert_eq!(rsa_decrypt(&key, alg, &ct).unwrap(), b"secret");
        }
        let other = generate("RSA_2048", &mut OsRng).unwrap();
        let ct = rsa_encrypt(&key, "RSAES_OAEP_SHA_256", b"secret", &mut OsRng).unwrap();
        assert_eq!(rsa_decrypt(&other, "RSAES_OAEP_SHA_256", &ct), Err(AsymError::Decrypt));
        assert_eq!(rsa_decrypt(&key, "RSAES_OAEP_SHA_1", &ct), Err(AsymError::Decrypt));
    }
}
