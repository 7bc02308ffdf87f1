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
    let raw = read_all(services, &body_ranges(&o.segments, 0, o.size), o.size)?;
    let selected = select::run(&request, &raw).map_err(select_error)?;
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

/// The object's stored bytes.
fn read_all(
    services: &Services,
    ranges: &[s3::BodyRange],
    size: u64,
) -> Result<Vec<u8>, ServiceError> {
    let store = services.blob_store()?;
    let internal = |what: &str, e: &dyn std::fmt::Display| {
        ServiceError::internal(format!("select: {what}: {e}"))
    };
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    for r in ranges {
        let mut f = store.open(&r.blob)?;
        f.seek(SeekFrom::Start(r.offset)).map_err(|e| internal("seek", &e))?;
        let before = out.len();
        f.take(r.len).read_to_end(&mut out).map_err(|e| internal("read", &e))?;
        if (out.len() - before) as u64 != r.len {
            return Err(ServiceError::internal("select: blob shorter than its record"));
        }
    }
    Ok(out)
}
