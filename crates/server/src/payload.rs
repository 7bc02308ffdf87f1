//! Object payloads (S3 `PutObject`/`UploadPart` bodies): fed piece by piece into a temp blob
//! while the declared payload hash or the `aws-chunked` framing and chunk signatures are
//! checked and the object's digests computed. Only a payload that verified completely becomes a
//! [`StagedPayload`]; on any failure the temp blob is dropped (deleted).
//!
//! Security: bytes reach the temp file before their chunk signature is checked (so a large
//! object needs no large buffer); nothing reads that file until [`PayloadSink::finish`]
//! succeeds.

use sha2::{Digest, Sha256};
use xacct_services::s3::checksum::{self, Digests};
use xacct_services::s3::StagedPayload;
use xacct_sigv4::chunked::ChunkedDecoder;
use xacct_sigv4::{ErrorFlavor, ParsedAuth, PayloadMode, SigV4Error, SigningKey};
use xacct_store::{BlobStore, BlobWriter};
use xacct_wire::AwsError;

/// S3's largest single PUT (5 GiB).
pub(crate) const MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// How the payload is checked.
enum Check {
    /// Nothing (UNSIGNED-PAYLOAD, or mock mode without a declared hash).
    None,
    /// The body must hash to this hex SHA-256.
    Sha256 { hasher: Sha256, declared: String },
    /// `aws-chunked`: de-framed (and, with a key, verified) by the decoder.
    Chunked(Box<ChunkedDecoder>),
}

/// A payload being received.
pub(crate) struct PayloadSink {
    writer: Box<dyn BlobWriter>,
    digests: Digests,
    check: Check,
    scratch: Vec<u8>,
    raw_len: u64,
    declared_decoded: Option<u64>,
}

fn s3_error(e: &SigV4Error) -> AwsError {
    AwsError::new(
        e.code_for(ErrorFlavor::S3),
        e.message_for(ErrorFlavor::S3),
        e.http_status_for(ErrorFlavor::S3),
    )
}

fn internal(detail: &str) -> AwsError {
    tracing::error!(detail, "payload staging failed");
    AwsError::internal()
}

fn too_large() -> AwsError {
    AwsError::new(
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed object size.",
        400,
    )
}

impl PayloadSink {
    /// A sink for a request whose auth was parsed as `auth` (`None` in mock mode without
    /// credentials) and verified with `key` (`None` in mock mode).
    pub(crate) fn new(
        blobs: &dyn BlobStore,
        headers: &[(&str, &str)],
        auth: Option<&ParsedAuth>,
        key: Option<&SigningKey>,
    ) -> Result<PayloadSink, AwsError> {
        let header =
            |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| *v);
        let check = match auth.map(|a| &a.payload) {
            Some(PayloadMode::Streaming(mode)) => {
                let decoder = match (auth, key) {
                    (Some(a), Some(k)) => ChunkedDecoder::new(a, k).map_err(|e| s3_error(&e))?,
                    _ => ChunkedDecoder::unverified(*mode),
                };
                Check::Chunked(Box::new(decoder))
            }
            Some(PayloadMode::Hash(h)) => {
                Check::Sha256 { hasher: Sha256::new(), declared: h.clone() }
            }
            Some(PayloadMode::Unsigned) => Check::None,
            // No x-amz-content-sha256 (only a signature over the body itself could cover it,
            // and the caller verified that already) or mock mode.
            Some(PayloadMode::FromBody) | None => match header("x-amz-content-sha256") {
                Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    Check::Sha256 { hasher: Sha256::new(), declared: h.to_owned() }
                }
                Some(h) if h.starts_with("STREAMING-") => {
                    let mode = match h {
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => {
                            xacct_sigv4::StreamingMode::SignedChunks
                        }
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => {
                            xacct_sigv4::StreamingMode::SignedChunksWithTrailer
                        }
                        _ => xacct_sigv4::StreamingMode::UnsignedWithTrailer,
                    };
                    Check::Chunked(Box::new(ChunkedDecoder::unverified(mode)))
                }
                _ => Check::None,
            },
        };
        let declared_decoded = match &check {
            Check::Chunked(_) => {
                header("x-amz-decoded-content-length").and_then(|v| v.trim().parse().ok())
            }
            _ => None,
        };
        let writer = blobs.writer().map_err(|e| internal(&e.to_string()))?;
        Ok(PayloadSink {
            writer,
            digests: Digests::new(&checksum::requested(headers.iter().copied())),
            check,
            scratch: Vec::with_capacity(64 * 1024),
            raw_len: 0,
            declared_decoded,
        })
    }

    /// Takes the next piece of the body as received.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<(), AwsError> {
        self.raw_len += data.len() as u64;
        if self.raw_len > MAX_OBJECT_BYTES + MAX_OBJECT_BYTES / 8 {
            return Err(too_large());
        }
        match &mut self.check {
            Check::Chunked(decoder) => {
                self.scratch.clear();
                decoder.feed(data, &mut self.scratch).map_err(|e| s3_error(&e))?;
                self.digests.update(&self.scratch);
                std::io::Write::write_all(&mut self.writer, &self.scratch)
                    .map_err(|e| internal(&e.to_string()))?;
            }
            Check::Sha256 { hasher, .. } => {
                hasher.update(data);
                self.digests.update(data);
                std::io::Write::write_all(&mut self.writer, data)
                    .map_err(|e| internal(&e.to_string()))?;
            }
            Check::None => {
                self.digests.update(data);
                std::io::Write::write_all(&mut self.writer, data)
                    .map_err(|e| internal(&e.to_string()))?;
            }
        }
        if self.writer.written() > MAX_OBJECT_BYTES {
            return Err(too_large());
        }
        Ok(())
    }

    /// Ends the body: checks the hash or the chunked stream's end and trailer signature, then
    /// fsyncs the temp blob.
    pub(crate) fn finish(self) -> Result<StagedPayload, AwsError> {
        let trailers = match self.check {
            Check::Chunked(decoder) => {
                let t = decoder.finish().map_err(|e| s3_error(&e))?;
                if self.declared_decoded.is_some_and(|d| d != t.decoded_length) {
                    return Err(AwsError::new(
                        "IncompleteBody",
                        "The request body terminated unexpectedly",
                        400,
                    ));
                }
                t.headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect()
            }
            Check::Sha256 { hasher, declared } => {
                let actual = hex::encode(hasher.finalize());
                if !declared.eq_ignore_ascii_case(&actual) {
                    return Err(s3_error(&SigV4Error::XAmzContentSha256Mismatch {
                        client_computed: declared,
                        server_computed: actual,
                    }));
                }
                Vec::new()
            }
            Check::None => Vec::new(),
        };
        let blob = self.writer.finish().map_err(|e| internal(&e.to_string()))?;
        Ok(StagedPayload { blob, digests: self.digests.finish(), trailers })
    }
}
