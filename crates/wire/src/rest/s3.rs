//! S3's departures from plain rest-xml: the output root element names the model does not carry,
//! the XML namespace on every response, routing tie-breaks, and the `<Error>` envelope.

use base64::Engine as _;

use crate::error::AwsError;
use crate::model::{Operation, ServiceModel, Shape, ShapeRef};
use crate::xml::escape_into;
use crate::HttpResponse;

/// The namespace S3 puts on every response root.
pub(crate) const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Whether `svc` is S3 (virtual hosting, S3 envelopes).
pub(crate) fn is_s3(svc: &ServiceModel) -> bool {
    svc.metadata.service_id == "S3" || svc.id == "s3"
}

/// The namespace to declare on response roots: S3's, else the model's `xmlNamespace`.
pub(crate) fn namespace(svc: &ServiceModel) -> Option<&str> {
    if is_s3(svc) {
        Some(S3_NAMESPACE)
    } else {
        svc.metadata.xml_namespace.as_deref()
    }
}

/// Operations that share a request form with another and are served elsewhere by AWS:
/// `ListDirectoryBuckets` is `GET /` on the S3 Express control endpoint, so `GET /` here is
/// `ListBuckets`.
pub(crate) fn loses_ties(svc: &ServiceModel, operation: &str) -> bool {
    is_s3(svc) && operation == "ListDirectoryBuckets"
}

/// Root element names of S3 responses whose body is the output structure itself (botocore does
/// not need them, so the model lacks them; names from the S3 API reference response syntax).
const OUTPUT_ROOTS: &[(&str, &str)] = &[
    ("CompleteMultipartUpload", "CompleteMultipartUploadResult"),
    ("CreateMultipartUpload", "InitiateMultipartUploadResult"),
    ("CreateSession", "CreateSessionResult"),
    ("DeleteObjects", "DeleteResult"),
    ("GetBucketAccelerateConfiguration", "AccelerateConfiguration"),
    ("GetBucketAcl", "AccessControlPolicy"),
    ("GetBucketCors", "CORSConfiguration"),
    ("GetBucketLifecycle", "LifecycleConfiguration"),
    ("GetBucketLifecycleConfiguration", "LifecycleConfiguration"),
    ("GetBucketLocation", "LocationConstraint"),
    ("GetBucketLogging", "BucketLoggingStatus"),
    ("GetBucketNotification", "NotificationConfiguration"),
    ("GetBucketNotificationConfiguration", "NotificationConfiguration"),
    ("GetBucketRequestPayment", "RequestPaymentConfiguration"),
    ("GetBucketTagging", "Tagging"),
    ("GetBucketVersioning", "VersioningConfiguration"),
    ("GetBucketWebsite", "WebsiteConfiguration"),
    ("GetObjectAcl", "AccessControlPolicy"),
    ("GetObjectAttributes", "GetObjectAttributesResponse"),
    ("GetObjectTagging", "Tagging"),
    ("ListBucketAnalyticsConfigurations", "ListBucketAnalyticsConfigurationResult"),
    (
        "ListBucketIntelligentTieringConfigurations",
        "ListBucketIntelligentTieringConfigurationsOutput",
    ),
    ("ListBucketInventoryConfigurations", "ListInventoryConfigurationsResult"),
    ("ListBucketMetricsConfigurations", "ListMetricsConfigurationsResult"),
    ("ListBuckets", "ListAllMyBucketsResult"),
    ("ListDirectoryBuckets", "ListAllMyDirectoryBucketsResult"),
    ("ListMultipartUploads", "ListMultipartUploadsResult"),
    ("ListObjectVersions", "ListVersionsResult"),
    ("ListObjects", "ListBucketResult"),
    ("ListObjectsV2", "ListBucketResult"),
    ("ListParts", "ListPartsResult"),
];

/// The root element of an output whose body is the output structure: S3's documented name, else
/// the shape's `locationName`, else the shape name with `Output` replaced by `Result`.
pub(crate) fn output_root_name(
    svc: &ServiceModel,
    op: &Operation,
    out_ref: &ShapeRef,
    shape: &Shape,
) -> String {
    if is_s3(svc) {
        if let Some((_, root)) = OUTPUT_ROOTS.iter().find(|(o, _)| *o == op.name) {
            return (*root).to_owned();
        }
    }
    if let Some(n) = out_ref.location_name.as_deref().or(shape.location_name.as_deref()) {
        return n.to_owned();
    }
    match out_ref.shape.strip_suffix("Output") {
        Some(stem) => format!("{stem}Result"),
        None => out_ref.shape.clone(),
    }
}

/// S3 answers a ranged (or part-numbered) `GetObject`/`HeadObject` with 206 Partial Content; the
/// model has no status member for it, so an output carrying `ContentRange` is the signal.
pub(crate) fn status_override(
    svc: &ServiceModel,
    op: &Operation,
    output: &serde_json::Map<String, serde_json::Value>,
) -> Option<u16> {
    if !is_s3(svc) {
        return None;
    }
    // PutBucketTagging answers 204 No Content (its API reference's response syntax); the model
    // has no responseCode for it.
    if op.name == "PutBucketTagging" {
        return Some(204);
    }
    ((op.name == "GetObject" || op.name == "HeadObject")
        && output.get("ContentRange").is_some_and(|v| !v.is_null()))
    .then_some(206)
}

/// The `Content-Type` S3 sends on an answer without a body: HeadBucket's is `application/xml`
/// (as S3 answers it, per moto's AWS-verified test_header_content_type), while PutObject's and
/// the other writes' carry none.
pub(crate) fn bodiless_content_type(svc: &ServiceModel, op: &Operation) -> Option<&'static str> {
    (is_s3(svc) && op.name == "HeadBucket").then_some("application/xml")
}

/// One listing operation, its top-level encoded members, and its `(list, member)` pairs.
type UrlEncodedFields =
    (&'static str, &'static [&'static str], &'static [(&'static str, &'static str)]);

/// Response fields S3 URL-encodes when a listing was asked for with `encoding-type=url`
/// (S3 API reference of each operation): top-level members, then `(list, member)` pairs.
const URL_ENCODED_FIELDS: &[UrlEncodedFields] = &[
    (
        "ListObjects",
        &["Delimiter", "Marker", "Prefix", "NextMarker"],
        &[("Contents", "Key"), ("CommonPrefixes", "Prefix")],
    ),
    (
        "ListObjectsV2",
        &["Delimiter", "Prefix", "StartAfter"],
        &[("Contents", "Key"), ("CommonPrefixes", "Prefix")],
    ),
    (
        "ListObjectVersions",
        &["KeyMarker", "NextKeyMarker", "Prefix", "Delimiter"],
        &[("Versions", "Key"), ("DeleteMarkers", "Key"), ("CommonPrefixes", "Prefix")],
    ),
    (
        "ListMultipartUploads",
        &["KeyMarker", "NextKeyMarker", "Prefix", "Delimiter"],
        &[("Uploads", "Key"), ("CommonPrefixes", "Prefix")],
    ),
];

/// Characters S3 leaves alone when URL-encoding keys in listings (unreserved and `/`).
const KEY_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Encodes a key as S3 does for `encoding-type=url` (space as `+`; botocore decodes with
/// `unquote_plus`).
fn url_encode_key(key: &str) -> String {
    key.split(' ')
        .map(|part| percent_encoding::utf8_percent_encode(part, KEY_ENCODE).to_string())
        .collect::<Vec<_>>()
        .join("+")
}

/// For S3 listings whose output says `EncodingType: url`, a copy of the output with the fields
/// S3 encodes URL-encoded, so services hand over plain keys. `None` when nothing applies.
pub(crate) fn apply_encoding_type(
    svc: &ServiceModel,
    op: &Operation,
    output: &serde_json::Map<String, serde_json::Value>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    use serde_json::Value;
    if !is_s3(svc) || output.get("EncodingType").and_then(Value::as_str) != Some("url") {
        return None;
    }
    let (_, top, nested) = URL_ENCODED_FIELDS.iter().find(|(o, _, _)| *o == op.name)?;
    let mut out = output.clone();
    for field in *top {
        if let Some(Value::String(s)) = out.get_mut(*field) {
            *s = url_encode_key(s);
        }
    }
    for (list, member) in *nested {
        if let Some(Value::Array(items)) = out.get_mut(*list) {
            for item in items {
                if let Some(Value::String(s)) = item.get_mut(*member) {
                    *s = url_encode_key(s);
                }
            }
        }
    }
    Some(out)
}

/// S3's reading of `aws-chunked` uploads (SigV4 streaming or trailing checksums): the object's
/// `Content-Encoding` does not include `aws-chunked`, and its length is
/// `x-amz-decoded-content-length`, not the framed body's `Content-Length`.
pub(crate) fn adjust_input(
    svc: &ServiceModel,
    input: &Shape,
    req: &crate::HttpRequest<'_>,
    out: &mut serde_json::Map<String, serde_json::Value>,
) {
    use serde_json::Value;
    if !is_s3(svc) || input.member_ref("ContentEncoding").is_none() {
        return;
    }
    let chunked = matches!(out.get("ContentEncoding"), Some(Value::String(e))
        if e.split(',').any(|t| t.trim().eq_ignore_ascii_case("aws-chunked")));
    if !chunked {
        return;
    }
    let rest: Vec<String> = out
        .get("ContentEncoding")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
        .map(str::to_owned)
        .collect();
    if rest.is_empty() {
        out.remove("ContentEncoding");
    } else {
        out.insert("ContentEncoding".to_owned(), Value::String(rest.join(",")));
    }
    if input.member_ref("ContentLength").is_some() {
        if let Some(n) =
            req.header("x-amz-decoded-content-length").and_then(|v| v.trim().parse::<u64>().ok())
        {
            out.insert("ContentLength".to_owned(), Value::from(n));
        }
    }
}

/// An opaque `x-amz-id-2`/`HostId` derived from the request id (S3 sends base64 there).
pub(crate) fn host_id(request_id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("xacct/{request_id}"))
}

/// S3's error envelope:
/// `<?xml …?>\n<Error><Code/><Message/>{extra}<RequestId/><HostId/></Error>`.
pub(crate) fn encode_error(
    err: &AwsError,
    request_id: &str,
    extra: &[(&str, &str)],
) -> HttpResponse {
    let host = host_id(request_id);
    let mut xml = String::with_capacity(256);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
    let mut field = |name: &str, text: &str| {
        xml.push('<');
        xml.push_str(name);
        xml.push('>');
        escape_into(&mut xml, text);
        xml.push_str("</");
        xml.push_str(name);
        xml.push('>');
    };
    field("Code", &err.code);
    field("Message", &err.message);
    // Members named `header:NAME` are response headers (`x-amz-delete-marker`, an ETag on
    // 304/412), not `<Error>` members.
    let mut headers = vec![
        ("x-amz-request-id".to_owned(), request_id.to_owned()),
        ("x-amz-id-2".to_owned(), host.clone()),
        ("Content-Type".to_owned(), "application/xml".to_owned()),
    ];
    for (k, v) in extra {
        if let Some(name) = k.strip_prefix("header:") {
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                headers.push((name.to_owned(), (*v).to_owned()));
            }
        } else if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            field(k, v);
        }
    }
    field("RequestId", request_id);
    field("HostId", &host);
    xml.push_str("</Error>");
    HttpResponse { status: err.status, headers, body: xml.into_bytes() }
}
