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

/// Bytes of OS randomness each thread reads at once for [`public_random_bytes`].
const PUBLIC_POOL: usize = 512;

thread_local! {
    /// OS randomness read ahead for identifiers that must be unpredictable and unique but are
    /// not secrets (event ids): (bytes, how many are used).
    static PUBLIC: std::cell::RefCell<([u8; PUBLIC_POOL], usize)> =
        const { std::cell::RefCell::new(([0; PUBLIC_POOL], PUBLIC_POOL)) };
}

/// `n` bytes from the OS RNG, read ahead in blocks of [`PUBLIC_POOL`] per thread, so most calls
/// make no system call. Only for values that are not secrets (event ids, not keys or
/// nonces): the block sits in the thread's memory until used. Each byte is handed out once.
pub fn public_random_bytes<const N: usize>() -> Result<[u8; N], ServiceError> {
    if N > PUBLIC_POOL / 4 {
        return random_bytes::<N>();
    }
    PUBLIC.with(|pool| {
        let mut pool = pool.borrow_mut();
        let (bytes, used) = &mut *pool;
        if *used + N > PUBLIC_POOL {
            getrandom::getrandom(bytes)
                .map_err(|e| ServiceError::internal(format!("os rng: {e}")))?;
            *used = 0;
        }
        let mut out = [0u8; N];
        if let Some(src) = bytes.get(*used..*used + N) {
            out.copy_from_slice(src);
        }
        // Zero what was handed out so no byte is ever given twice.
        if let Some(src) = bytes.get_mut(*used..*used + N) {
            src.fill(0);
        }
        *used += N;
        Ok(out)
    })
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

    #[test]
    fn public_random_bytes_never_repeat_across_refills() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..(PUBLIC_POOL / 16) * 3 + 5 {
            assert!(seen.insert(public_random_bytes::<16>().unwrap()), "a repeated block");
        }
        // A request larger than a quarter of the pool goes straight to the OS.
        assert_ne!(public_random_bytes::<200>().unwrap(), [0u8; 200]);
    }
}
