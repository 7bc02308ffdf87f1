//! Identifiers and secrets in AWS's formats, drawn from the operating system's RNG.
//!
//! Security: secrets come only from [`random_bytes`] (the OS RNG); nothing here logs.

use crate::ServiceError;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `n` bytes from the OS RNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ServiceError> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).map_err(|e| ServiceError::internal(format!("os rng: {e}")))?;
    Ok(buf)
}

fn pick(alphabet: &[u8], byte: u8) -> char {
    // Alphabets are 32 or 64 long, so masking keeps the choice uniform.
    let mask = alphabet.len() - 1;
    char::from(alphabet.get(usize::from(byte) & mask).copied().unwrap_or(b'A'))
}

/// An IAM unique id or access key id: `prefix` + 16 characters of AWS's base32 alphabet.
pub fn unique_id(prefix: &str) -> Result<String, ServiceError> {
    let bytes = random_bytes::<16>()?;
    let mut s = String::with_capacity(prefix.len() + 16);
    s.push_str(prefix);
    s.extend(bytes.iter().map(|b| pick(BASE32, *b)));
    Ok(s)
}

/// A 40-character secret access key (240 bits of entropy).
pub fn secret_access_key() -> Result<String, ServiceError> {
    let bytes = random_bytes::<40>()?;
    Ok(bytes.iter().map(|b| pick(SECRET_ALPHABET, *b)).collect())
}

/// A random 12-digit AWS account id that does not start with 0.
pub fn account_id() -> Result<String, ServiceError> {
    let bytes = random_bytes::<8>()?;
    let n = u64::from_le_bytes(bytes) % 900_000_000_000 + 100_000_000_000;
    Ok(n.to_string())
}

/// `len` lowercase alphanumerics, as in Organizations ids (`o-…`, `r-…`, `car-…`).
pub fn lower_alnum(len: usize) -> Result<String, ServiceError> {
    const ALNUM: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let bytes = random_bytes::<32>()?;
    Ok(bytes.iter().take(len).map(|b| pick(ALNUM, *b)).collect())
}

/// True for a 12-digit account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let k = unique_id("AKIA").unwrap();
        assert_eq!(k.len(), 20);
        assert!(k.starts_with("AKIA"));
        assert!(k[4..].bytes().all(|b| BASE32.contains(&b)));
        assert_eq!(secret_access_key().unwrap().len(), 40);
        let a = account_id().unwrap();
        assert!(is_account_id(&a), "{a}");
        assert!(!a.starts_with('0'));
        assert_ne!(unique_id("AKIA").unwrap(), unique_id("AKIA").unwrap());
        assert_eq!(lower_alnum(10).unwrap().len(), 10);
        assert!(!is_account_id("12345678901a"));
    }
}
