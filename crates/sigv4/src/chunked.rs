//! `aws-chunked` request bodies: an incremental decoder that de-frames chunks, verifies each chunk
//! signature chained from the request's seed signature, and returns the trailers; plus a signer
//! that produces the same framing for our clients and tests.
//!
//! Framing (signed): `hex-size;chunk-signature=SIG\r\n DATA \r\n` …, then
//! `0;chunk-signature=SIG\r\n`, then trailer lines `name:value\r\n` (with `x-amz-trailer-signature`
//! in the signed-trailer mode) and an empty line. Unsigned: `hex-size\r\n DATA \r\n` … `0\r\n`,
//! trailers, empty line.
//!
//! # Security
//! [`ChunkedDecoder::feed`] hands data out before the signature of the chunk it belongs to has
//! been checked (so a 5 GiB object can stream through a small buffer). The caller must treat the
//! data as untrusted until [`ChunkedDecoder::finish`] succeeds, and discard it on any error.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::SigV4Error;
use crate::verify::SigningKey;
use crate::{ParsedAuth, PayloadMode, Scope, StreamingMode, EMPTY_SHA256};

/// Longest chunk header or trailer line accepted.
const MAX_LINE: usize = 4096;
/// S3's smallest allowed non-final chunk of a signed stream.
pub const MIN_CHUNK_SIZE: u64 = 8192;

/// What remains once the body has been decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trailers {
    /// Trailing headers (`x-amz-checksum-crc32`…) as sent, without `x-amz-trailer-signature`.
    pub headers: Vec<(String, String)>,
    /// Number of payload bytes decoded (compare with `x-amz-decoded-content-length`).
    pub decoded_length: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    ChunkHeader,
    Data,
    DataCr,
    DataLf,
    TrailerLine,
    Done,
}

/// Signs chunk and trailer strings to sign, chaining signatures.
#[derive(Debug, Clone)]
struct Chain {
    key: SigningKey,
    amz_date: String,
    scope: String,
    previous: String,
}

impl Chain {
    fn chunk_signature(&self, data_hash: &[u8]) -> [u8; 32] {
        let sts = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            hex::encode(data_hash)
        );
        self.key.sign(sts.as_bytes())
    }

    fn trailer_signature(&self, trailers: &[(String, String)]) -> [u8; 32] {
        let mut sorted: Vec<(String, &str)> =
            trailers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.trim())).collect();
        sorted.sort();
        let mut hasher = Sha256::new();
        for (name, value) in &sorted {
            hasher.update(name.as_bytes());
            hasher.update(b":");
            hasher.update(value.as_bytes());
            hasher.update(b"\n");
        }
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            hex::encode(hasher.finalize())
        );
        self.key.sign(sts.as_bytes())
    }
}

/// An incremental `aws-chunked` decoder: feed it the body as it arrives, get the payload out.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    mode: StreamingMode,
    chain: Chain,
    state: State,
    line: Vec<u8>,
    remaining: u64,
    chunk_len: u64,
    expected: Option<[u8; 32]>,
    hasher: Sha256,
    previous_chunk_small: bool,
    final_seen: bool,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    decoded_length: u64,
    /// False for [`ChunkedDecoder::unverified`]: framing only, no signature checks.
    verify: bool,
}

fn malformed(msg: &str) -> SigV4Error {
    SigV4Error::MalformedChunk(msg.to_owned())
}

impl ChunkedDecoder {
    /// A decoder for a request that [`crate::verify_without_body`] accepted. `key` is the
    /// request's signing key; the seed is the request signature. Fails unless the payload mode is
    /// streaming.
    pub fn new(auth: &ParsedAuth, key: &SigningKey) -> Result<Self, SigV4Error> {
        let PayloadMode::Streaming(mode) = auth.payload else {
            return Err(malformed("the request does not declare an aws-chunked payload"));
        };
        Ok(Self::with_seed(mode, key.clone(), &auth.amz_date, &auth.scope, &auth.signature))
    }

    /// A decoder from explicit parts: the streaming mode, signing key, request time, credential
    /// scope and seed (request) signature.
    pub fn with_seed(
        mode: StreamingMode,
        key: SigningKey,
        amz_date: &str,
        scope: &Scope,
        seed_signature: &str,
    ) -> Self {
        Self {
            mode,
            chain: Chain {
                key,
                amz_date: amz_date.to_owned(),
                scope: scope.to_scope_string(),
                previous: seed_signature.to_ascii_lowercase(),
            },
            state: State::ChunkHeader,
            line: Vec::with_capacity(128),
            remaining: 0,
            chunk_len: 0,
            expected: None,
            hasher: Sha256::new(),
            previous_chunk_small: false,
            final_seen: false,
            trailers: Vec::new(),
            trailer_signature: None,
            decoded_length: 0,
            verify: true,
        }
    }

    /// A decoder that de-frames `mode`'s chunks and reads trailers without checking any chunk
    /// or trailer signature: for `--auth off` (mock mode), where no secret is known.
    pub fn unverified(mode: StreamingMode) -> Self {
        let scope = Scope { date: String::new(), region: String::new(), service: String::new() };
        let mut d = Self::with_seed(mode, SigningKey::derive("", "", "", ""), "", &scope, "");
        d.verify = false;
        d
    }

    fn signed_chunks(&self) -> bool {
        self.mode != StreamingMode::UnsignedWithTrailer
    }

    /// True once the terminating empty line has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes `input`, appending decoded payload bytes to `out`. Any byte after the end of the
    /// body is an error.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), SigV4Error> {
        while !input.is_empty() {
            match self.state {
                State::ChunkHeader | State::TrailerLine => {
                    let Some(pos) = input.iter().position(|&b| b == b'\n') else {
                        self.push_line(input)?;
                        return Ok(());
                    };
                    let (head, rest) = input.split_at(pos);
                    self.push_line(head)?;
                    input = rest.get(1..).unwrap_or_default();
                    let mut line = std::mem::take(&mut self.line);
                    if line.last() != Some(&b'\r') {
                        return Err(malformed("line not terminated by CRLF"));
                    }
                    line.pop();
                    let result = if self.state == State::ChunkHeader {
                        self.on_chunk_header(&line)
                    } else {
                        self.on_trailer_line(&line)
                    };
                    line.clear();
                    self.line = line;
                    result?;
                }
                State::Data => {
                    let take =
                        usize::try_from(self.remaining).unwrap_or(usize::MAX).min(input.len());
                    let (data, rest) = input.split_at(take);
                    self.hasher.update(data);
                    out.extend_from_slice(data);
                    self.remaining -= take as u64;
                    self.decoded_length += take as u64;
                    input = rest;
                    if self.remaining == 0 {
                        self.end_of_chunk_data()?;
                        self.state = State::DataCr;
                    }
                }
                State::DataCr | State::DataLf => {
                    let want = if self.state == State::DataCr { b'\r' } else { b'\n' };
                    if input.first() != Some(&want) {
                        return Err(malformed("chunk data not followed by CRLF"));
                    }
                    input = input.get(1..).unwrap_or_default();
                    self.state = if self.state == State::DataCr {
                        State::DataLf
                    } else {
                        State::ChunkHeader
                    };
                }
                State::Done => return Err(malformed("data after the end of the aws-chunked body")),
            }
        }
        Ok(())
    }

    fn push_line(&mut self, bytes: &[u8]) -> Result<(), SigV4Error> {
        if self.line.len() + bytes.len() > MAX_LINE {
            return Err(malformed("chunk header or trailer line too long"));
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn on_chunk_header(&mut self, line: &[u8]) -> Result<(), SigV4Error> {
        let line = std::str::from_utf8(line).map_err(|_| malformed("chunk header is not UTF-8"))?;
        let (size_hex, extension) = match line.split_once(';') {
            Some((s, e)) => (s, Some(e)),
            None => (line, None),
        };
        let size_hex = size_hex.trim();
        if size_hex.is_empty() || size_hex.len() > 16 {
            return Err(malformed("chunk size is not hexadecimal"));
        }
        let size = u64::from_str_radix(size_hex, 16)
            .map_err(|_| malformed("chunk size is not hexadecimal"))?;
        self.expected = None;
        if self.signed_chunks() {
            let sig = extension
                .and_then(|e| e.trim().strip_prefix("chunk-signature="))
                .ok_or_else(|| malformed("chunk header has no chunk-signature"))?;
            let mut expected = [0u8; 32];
            hex::decode_to_slice(sig, &mut expected)
                .map_err(|_| malformed("chunk-signature is not 64 hex digits"))?;
            self.expected = Some(expected);
            if size > 0 && self.previous_chunk_small {
                return Err(SigV4Error::InvalidChunkSize);
            }
        }
        self.chunk_len = size;
        self.remaining = size;
        self.hasher = Sha256::new();
        if size == 0 {
            self.end_of_chunk_data()?;
            self.final_seen = true;
            self.state = State::TrailerLine;
        } else {
            self.state = State::Data;
        }
        Ok(())
    }

    fn end_of_chunk_data(&mut self) -> Result<(), SigV4Error> {
        let hash = std::mem::take(&mut self.hasher).finalize();
        if let Some(expected) = self.expected.take().filter(|_| self.verify) {
            let computed = self.chain.chunk_signature(&hash);
            if !bool::from(computed.ct_eq(&expected)) {
                return Err(SigV4Error::ChunkSignatureDoesNotMatch);
            }
            self.chain.previous = hex::encode(computed);
        }
        self.previous_chunk_small = self.chunk_len > 0 && self.chunk_len < MIN_CHUNK_SIZE;
        Ok(())
    }

    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), SigV4Error> {
        if line.is_empty() {
            return self.end_of_trailers();
        }
        if self.mode == StreamingMode::SignedChunks {
            return Err(malformed("trailers sent without a trailer payload mode"));
        }
        if self.trailer_signature.is_some() {
            return Err(malformed("trailer after x-amz-trailer-signature"));
        }
        let line = std::str::from_utf8(line).map_err(|_| malformed("trailer is not UTF-8"))?;
        let (name, value) =
            line.split_once(':').ok_or_else(|| malformed("trailer line has no colon"))?;
        if name.trim().eq_ignore_ascii_case("x-amz-trailer-signature") {
            self.trailer_signature = Some(value.trim().to_owned());
        } else {
            self.trailers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(())
    }

    fn end_of_trailers(&mut self) -> Result<(), SigV4Error> {
        if self.mode == StreamingMode::SignedChunksWithTrailer && self.verify {
            let provided = self
                .trailer_signature
                .as_deref()
                .ok_or_else(|| malformed("signed trailer without x-amz-trailer-signature"))?;
            let mut expected = [0u8; 32];
            hex::decode_to_slice(provided, &mut expected)
                .map_err(|_| malformed("x-amz-trailer-signature is not 64 hex digits"))?;
            let computed = self.chain.trailer_signature(&self.trailers);
            if !bool::from(computed.ct_eq(&expected)) {
                return Err(SigV4Error::ChunkSignatureDoesNotMatch);
            }
        }
        self.state = State::Done;
        Ok(())
    }

    /// Ends the body: fails with [`SigV4Error::IncompleteBody`] unless the final chunk and the
    /// terminating empty line were read, else returns the trailers.
    pub fn finish(self) -> Result<Trailers, SigV4Error> {
        if self.state != State::Done {
            return Err(SigV4Error::IncompleteBody);
        }
        Ok(Trailers { headers: self.trailers, decoded_length: self.decoded_length })
    }
}

/// Frames and signs an `aws-chunked` body, for clients and tests.
#[derive(Debug, Clone)]
pub struct ChunkSigner {
    chain: Chain,
}

impl ChunkSigner {
    /// A signer chained from the request's seed signature.
    pub fn new(key: SigningKey, amz_date: &str, scope: &Scope, seed_signature: &str) -> Self {
        Self {
            chain: Chain {
                key,
                amz_date: amz_date.to_owned(),
                scope: scope.to_scope_string(),
                previous: seed_signature.to_owned(),
            },
        }
    }

    /// The signature the next chunk of `data` gets (hex), advancing the chain.
    pub fn next_signature(&mut self, data: &[u8]) -> String {
        let sig = hex::encode(self.chain.chunk_signature(&Sha256::digest(data)));
        self.chain.previous.clone_from(&sig);
        sig
    }

    /// Frames one data chunk; an empty `data` is the final chunk, written with its trailing CRLF
    /// (the `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` ending).
    pub fn chunk(&mut self, data: &[u8]) -> Vec<u8> {
        let sig = self.next_signature(data);
        let mut out = format!("{:x};chunk-signature={sig}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        out
    }

    /// Frames the final (empty) chunk followed by signed trailers
    /// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`).
    pub fn final_chunk_with_trailers(&mut self, trailers: &[(&str, &str)]) -> Vec<u8> {
        let sig = self.next_signature(b"");
        let mut out = format!("0;chunk-signature={sig}\r\n").into_bytes();
        let owned: Vec<(String, String)> =
            trailers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        let trailer_sig = hex::encode(self.chain.trailer_signature(&owned));
        for (name, value) in trailers {
            out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("x-amz-trailer-signature:{trailer_sig}\r\n\r\n").as_bytes());
        out
    }
}

/// Frames one unsigned chunk (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
pub fn unsigned_chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// Frames the final unsigned chunk and its trailers.
pub fn unsigned_final_chunk(trailers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = b"0\r\n".to_vec();
    for (name, value) in trailers {
        out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}
