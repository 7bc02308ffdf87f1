//! S3's object digests: the MD5 behind every ETag and the additional checksums clients send
//! (`x-amz-checksum-crc32`, `-crc32c`, `-crc64nvme`, `-sha1`, `-sha256`), computed incrementally
//! so a payload is hashed while it streams to disk.

use base64::Engine as _;
use md5::Digest as _;

/// The additional checksum algorithms S3 computes (S3 User Guide, "Checking object integrity").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every supported algorithm.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// The algorithm named `name` (`CRC32`, `crc32c`, ...), any case.
    pub fn parse(name: &str) -> Option<ChecksumAlgorithm> {
        Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// AWS's name: `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`.
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The input/output member carrying the value: `ChecksumCRC32`, ...
    pub fn member(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "ChecksumCRC32",
            ChecksumAlgorithm::Crc32c => "ChecksumCRC32C",
            ChecksumAlgorithm::Crc64Nvme => "ChecksumCRC64NVME",
            ChecksumAlgorithm::Sha1 => "ChecksumSHA1",
            ChecksumAlgorithm::Sha256 => "ChecksumSHA256",
        }
    }

    /// The header (and trailer) name: `x-amz-checksum-crc32`, ...
    pub fn header(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// Whether a multipart upload may ask for a full-object checksum of this algorithm
    /// (the CRCs can; SHA checksums of multipart objects are composite only).
    pub fn supports_full_object(self) -> bool {
        matches!(
            self,
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c | ChecksumAlgorithm::Crc64Nvme
        )
    }

    /// The checksum of `data` in one go, base64 as S3 shows it.
    pub fn of(self, data: &[u8]) -> String {
        let mut h = Hasher::new(self);
        h.update(data);
        h.finish_base64()
    }
}

/// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78.
const CRC32C_TABLE: [u32; 256] = crc32_table(0x82F6_3B78);
/// CRC-64/NVME, reflected polynomial 0x9A6C9329AC4BC9B5.
const CRC64NVME_TABLE: [u64; 256] = crc64_table(0x9A6C_9329_AC4B_C9B5);

#[expect(clippy::indexing_slicing, reason = "i < 256 in a const loop over 256 entries")]
const fn crc32_table(poly: u32) -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

#[expect(clippy::indexing_slicing, reason = "i < 256 in a const loop over 256 entries")]
const fn crc64_table(poly: u64) -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

fn crc32c_update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        let idx = usize::from((crc as u8) ^ b);
        crc = CRC32C_TABLE.get(idx).copied().unwrap_or(0) ^ (crc >> 8);
    }
    crc
}

fn crc64_update(mut crc: u64, data: &[u8]) -> u64 {
    for &b in data {
        let idx = usize::from((crc as u8) ^ b);
        crc = CRC64NVME_TABLE.get(idx).copied().unwrap_or(0) ^ (crc >> 8);
    }
    crc
}

/// One incremental checksum.
#[derive(Clone)]
pub enum Hasher {
    Crc32(crc32fast::Hasher),
    /// Running CRC-32C state (pre-inverted).
    Crc32c(u32),
    /// Running CRC-64/NVME state (pre-inverted).
    Crc64(u64),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    /// A fresh hasher for `alg`.
    pub fn new(alg: ChecksumAlgorithm) -> Hasher {
        match alg {
            ChecksumAlgorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => Hasher::Crc32c(!0),
            ChecksumAlgorithm::Crc64Nvme => Hasher::Crc64(!0),
            ChecksumAlgorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(data),
            Hasher::Crc32c(c) => *c = crc32c_update(*c, data),
            Hasher::Crc64(c) => *c = crc64_update(*c, data),
            Hasher::Sha1(h) => sha1::Digest::update(h, data),
            Hasher::Sha256(h) => sha2::Digest::update(h, data),
        }
    }

    /// The raw digest bytes (big-endian for the CRCs).
    pub fn finish_raw(self) -> Vec<u8> {
        match self {
            Hasher::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Hasher::Crc32c(c) => (!c).to_be_bytes().to_vec(),
            Hasher::Crc64(c) => (!c).to_be_bytes().to_vec(),
            Hasher::Sha1(h) => sha1::Digest::finalize(h).to_vec(),
            Hasher::Sha256(h) => sha2::Digest::finalize(h).to_vec(),
        }
    }

    /// The digest in base64, as S3's checksum headers carry it.
    pub fn finish_base64(self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.finish_raw())
    }
}

/// MD5 plus any additional checksums, fed once over a payload.
pub struct Digests {
    md5: md5::Md5,
    checksums: Vec<(ChecksumAlgorithm, Hasher)>,
    len: u64,
}

/// What [`Digests`] computed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PayloadDigests {
    /// The payload length in bytes.
    pub len: u64,
    /// The raw MD5.
    pub md5: [u8; 16],
    /// Each requested checksum, base64.
    pub checksums: Vec<(ChecksumAlgorithm, String)>,
}

impl PayloadDigests {
    /// The computed value of `alg`, if it was requested.
    pub fn checksum(&self, alg: ChecksumAlgorithm) -> Option<&str> {
        self.checksums.iter().find(|(a, _)| *a == alg).map(|(_, v)| v.as_str())
    }

    /// The MD5 in hex (an ETag without its quotes).
    pub fn md5_hex(&self) -> String {
        hex::encode(self.md5)
    }
}

impl Digests {
    /// MD5 plus each of `algorithms` (duplicates ignored).
    pub fn new(algorithms: &[ChecksumAlgorithm]) -> Digests {
        let mut checksums: Vec<(ChecksumAlgorithm, Hasher)> = Vec::new();
        for a in algorithms {
            if !checksums.iter().any(|(x, _)| x == a) {
                checksums.push((*a, Hasher::new(*a)));
            }
        }
        Digests { md5: md5::Md5::new(), checksums, len: 0 }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        for (_, h) in &mut self.checksums {
            h.update(data);
        }
        self.len += data.len() as u64;
    }

    /// The results.
    pub fn finish(self) -> PayloadDigests {
        PayloadDigests {
            len: self.len,
            md5: self.md5.finalize().into(),
            checksums: self.checksums.into_iter().map(|(a, h)| (a, h.finish_base64())).collect(),
        }
    }
}

/// The checksums a payload request names: `x-amz-sdk-checksum-algorithm`, any
/// `x-amz-checksum-<alg>` header, or `x-amz-trailer`; S3's default CRC64NVME when none is named
/// (S3 computes one for every new object).
pub fn requested<'h>(
    headers: impl IntoIterator<Item = (&'h str, &'h str)>,
) -> Vec<ChecksumAlgorithm> {
    let mut out = Vec::new();
    let mut push = |a: Option<ChecksumAlgorithm>| {
        if let Some(a) = a {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    };
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if name == "x-amz-sdk-checksum-algorithm" {
            push(ChecksumAlgorithm::parse(value));
        } else if name == "x-amz-trailer" {
            for t in value.split(',') {
                push(t.trim().strip_prefix("x-amz-checksum-").and_then(ChecksumAlgorithm::parse));
            }
        } else if let Some(alg) = name.strip_prefix("x-amz-checksum-") {
            push(ChecksumAlgorithm::parse(alg));
        }
    }
    if out.is_empty() {
        out.push(ChecksumAlgorithm::Crc64Nvme);
    }
    out
}

/// The raw MD5 of `data`.
pub fn md5(data: &[u8]) -> [u8; 16] {
    md5::Md5::digest(data).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn check_values_of_each_algorithm() {
        // The CRC catalogue's check input "123456789".
        let b64 = base64::engine::general_purpose::STANDARD;
        let raw = |a: ChecksumAlgorithm| b64.decode(a.of(b"123456789")).unwrap();
        assert_eq!(raw(ChecksumAlgorithm::Crc32), 0xCBF4_3926_u32.to_be_bytes());
        assert_eq!(raw(ChecksumAlgorithm::Crc32c), 0xE306_9283_u32.to_be_bytes());
        assert_eq!(raw(ChecksumAlgorithm::Crc64Nvme), 0xAE8B_1486_0A79_9888_u64.to_be_bytes());
        // botocore's documented empty-body values.
        assert_eq!(ChecksumAlgorithm::Crc32.of(b""), "AAAAAA==");
        assert_eq!(
            ChecksumAlgorithm::Sha256.of(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(ChecksumAlgorithm::Sha1.of(b"abc"), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
    }

    #[test]
    fn digests_are_incremental() {
        let mut d = Digests::new(&[ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32]);
        d.update(b"hello ");
        d.update(b"world");
        let out = d.finish();
        assert_eq!(out.len, 11);
        assert_eq!(out.md5_hex(), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(out.checksums.len(), 1);
        assert_eq!(out.checksum(ChecksumAlgorithm::Crc32), Some("DUoRhQ=="));
        assert_eq!(ChecksumAlgorithm::parse("crc64nvme"), Some(ChecksumAlgorithm::Crc64Nvme));
        assert_eq!(ChecksumAlgorithm::parse("md4"), None);
    }
}
