//! `SelectObjectContent`: S3 Select over one object. Authorized and read as `GetObject` is
//! (`s3:GetObject` on the object, `kms:Decrypt` for an SSE-KMS object, archived objects
//! refused); the request and the SQL are validated before the object is read, then the whole
//! object is evaluated and the answer is an event stream of Records, (Progress,) Stats and End
//! events (S3 API reference, "Appendix: SelectObjectContent Response").

use std::io::{Read, Seek, SeekFrom};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::s3::ops::objects::{archived, body_ranges, existing_version, restored};
use crate::s3::ops::sse;
use crate::s3::select::{self, SelectError};
use crate::s3::{self as s3, Authorizer};
use crate::{Call, ServiceError, Services};

fn select_error(e: SelectError) -> ServiceError {
    ServiceError::client(e.code, if e.code == "NotImplemented" { 501 } else { 400 }, e.message)
}

pub fn select_object_content(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let bucket = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    let o = existing_version(services, call, &mut auth, &bucket, key, None)?;
    let request = select::request(call.input).map_err(select_error)?;
    if archived(&o) && !restored(&o, services.clock().now_epoch_f64()) {
        return Err(ServiceError::client(
            "InvalidObjectState",
            403,
            "The operation is not valid for the object's storage class",
        )
        .with_field("StorageClass", o.storage_class.clone()));
    }
    // Reading an SSE-KMS object's bytes takes kms:Decrypt on its key, as GetObject does.
    sse::authorize_existing(services, call, o.sse.as_ref(), &[sse::DECRYPT])?;
    let mut stored = StoredBytes {
        store: services.blob_store()?,
        ranges: body_ranges(&o.segments, 0, o.size).into_iter(),
        current: None,
        failed: None,
    };
    let selected = select::run(&request, &mut stored).map_err(|e| match stored.failed.take() {
        // The object's own bytes could not be read: a server fault, not the request's.
        Some(io) => ServiceError::internal(format!("select: read the object: {io}")),
        None => select_error(e),
    })?;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut events: Vec<Value> =
        selected.chunks.iter().map(|c| json!({ "Records": { "Payload": b64(c) } })).collect();
    let details = json!({
        "BytesScanned": selected.bytes_scanned,
        "BytesProcessed": selected.bytes_processed,
        "BytesReturned": selected.bytes_returned,
    });
    if request.progress {
        events.push(json!({ "Progress": { "Details": details.clone() } }));
    }
    events.push(json!({ "Stats": { "Details": details } }));
    events.push(json!({ "End": {} }));
    Ok(json!({ "Payload": events }))
}

/// The object's stored bytes, read range by range as the evaluation asks for them. A failure
/// to read them is kept, so it is reported as the server's fault.
struct StoredBytes<'s> {
    store: &'s dyn xacct_store::BlobStore,
    ranges: std::vec::IntoIter<s3::BodyRange>,
    current: Option<std::io::Take<Box<dyn xacct_store::BlobReader>>>,
    failed: Option<std::io::Error>,
}

impl StoredBytes<'_> {
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(r) = self.current.as_mut() {
                let n = r.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                if r.limit() > 0 {
                    return Err(std::io::Error::other("a blob is shorter than its record"));
                }
                self.current = None;
            }
            let Some(range) = self.ranges.next() else { return Ok(0) };
            let mut f = self.store.open(&range.blob).map_err(std::io::Error::other)?;
            f.seek(SeekFrom::Start(range.offset))?;
            self.current = Some(f.take(range.len));
        }
    }
}

impl Read for StoredBytes<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.fill(buf).inspect_err(|e| {
            if self.failed.is_none() {
                self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}
