//! Decoding and encoding of representative S3 and Image Builder shapes, and the golden responses
//! under `tests/golden/rest_{xml,json}/` (byte for byte; `XACCT_BLESS=1` rewrites them; the
//! python script `tests/golden/check_botocore_rest.py` parses each with botocore's own parsers).

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::error::RejectionKind;
use crate::model::Models;
use crate::Route;

fn models() -> &'static Models {
    static M: OnceLock<Models> = OnceLock::new();
    M.get_or_init(Models::lazy)
}

fn svc(id: &str) -> Arc<ServiceModel> {
    Arc::clone(models().service(id).unwrap())
}

/// Routes and decodes one request against service `id`.
fn decode_req(
    id: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (String, Result<Value, Rejection>) {
    let s = svc(id);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let req = HttpRequest { method, path, query, headers, body };
    let (op_name, labels) = route(&s, &req).unwrap_or_else(|| panic!("no route: {target}"));
    let op = s.operation(&op_name).unwrap();
    let v = decode(&s, op, &req, &labels);
    (op_name, v)
}

fn ok(id: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Value {
    let (op, v) = decode_req(id, method, target, headers, body);
    v.unwrap_or_else(|e| panic!("{op}: {e:?}"))
}

fn encode(id: &str, op: &str, output: &Value) -> HttpResponse {
    let s = svc(id);
    encode_output(&s, s.operation(op).unwrap(), output, "REQ1")
}

fn body_text(r: &HttpResponse) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}

#[test]
fn put_object_binds_headers_metadata_and_leaves_the_body_out() {
    let v = ok(
        "s3",
        "PUT",
        "/productionapp/a/b%20c.txt",
        &[
            ("Content-Type", "text/plain"),
            ("Content-Length", "5"),
            ("x-amz-meta-Owner", "jane"),
            ("X-Amz-Meta-team", "a"),
            ("x-amz-tagging", "k=v"),
            ("Expires", "Mon, 23 Nov 2026 08:56:26 GMT"),
        ],
        b"hello",
    );
    assert_eq!(
        v,
        json!({
            "Bucket": "productionapp",
            "Key": "a/b c.txt",
            "ContentType": "text/plain",
            "ContentLength": 5,
            "Metadata": {"owner": "jane", "team": "a"},
            "Tagging": "k=v",
            "Expires": "Mon, 23 Nov 2026 08:56:26 GMT",
        })
    );
}

#[test]
fn aws_chunked_uploads_report_the_decoded_length_and_encoding() {
    let v = ok(
        "s3",
        "PUT",
        "/b/k",
        &[
            ("Content-Encoding", "aws-chunked,gzip"),
            ("Content-Length", "200"),
            ("x-amz-decoded-content-length", "150"),
        ],
        b"",
    );
    assert_eq!(v["ContentEncoding"], "gzip");
    assert_eq!(v["ContentLength"], 150);
    let v = ok(
        "s3",
        "PUT",
        "/b/k",
        &[("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "5")],
        b"",
    );
    assert!(v.get("ContentEncoding").is_none());
    assert_eq!(v["ContentLength"], 5);
}

#[test]
fn get_object_range_and_conditional_headers() {
    let v = ok(
        "s3",
        "GET",
        "/b/k?versionId=v1&response-content-type=text%2Fcsv&partNumber=2",
        &[("Range", "bytes=0-9"), ("If-Modified-Since", "Mon, 23 Nov 2026 08:56:26 GMT")],
        b"",
    );
    assert_eq!(v["Range"], "bytes=0-9");
    assert_eq!(v["IfModifiedSince"], 1_795_424_186);
    assert_eq!(v["VersionId"], "v1");
    assert_eq!(v["ResponseContentType"], "text/csv");
    assert_eq!(v["PartNumber"], 2);
}

#[test]
fn xml_payloads_decode_by_shape() {
    let v = ok(
        "s3",
        "PUT",
        "/b",
        &[],
        br#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#,
    );
    assert_eq!(
        v,
        json!({"Bucket": "b", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}})
    );
    let v = ok("s3", "PUT", "/b", &[], b"");
    assert_eq!(v, json!({"Bucket": "b"}));

    let v = ok(
        "s3",
        "POST",
        "/b/k?uploadId=u",
        &[],
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part></CompleteMultipartUpload>",
    );
    assert_eq!(
        v["MultipartUpload"],
        json!({"Parts": [{"PartNumber": 1, "ETag": "\"a\""}, {"PartNumber": 2, "ETag": "\"b\""}]})
    );
    assert_eq!(v["UploadId"], "u");

    let v = ok(
        "s3",
        "PUT",
        "/b?tagging",
        &[],
        b"<Tagging><TagSet><Tag><Key>env</Key><Value>a &lt; b</Value></Tag></TagSet></Tagging>",
    );
    assert_eq!(v["Tagging"], json!({"TagSet": [{"Key": "env", "Value": "a < b"}]}));

    let v = ok(
        "s3",
        "PUT",
        "/b?acl",
        &[],
        br#"<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"#,
    );
    assert_eq!(
        v["AccessControlPolicy"]["Grants"],
        json!([{"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "READ"}])
    );
}

#[test]
fn string_payload_is_the_raw_body() {
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let v = ok("s3", "PUT", "/b?policy", &[], policy.as_bytes());
    assert_eq!(v, json!({"Bucket": "b", "Policy": policy}));
}

fn rejection(
    id: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Rejection {
    let (op, v) = decode_req(id, method, target, headers, body);
    v.err().unwrap_or_else(|| panic!("{op} decoded"))
}

#[test]
fn s3_refuses_bad_xml_and_bad_values_in_its_own_terms() {
    for body in [
        &b"<Delete><Object><Key>a</Key></Object>"[..],
        b"not xml",
        b"<Wrong><Object><Key>a</Key></Object></Wrong>",
        b"<Delete><Object></Object></Delete>",
    ] {
        let r = rejection("s3", "POST", "/b?delete", &[], body);
        let e = r.to_aws_error(Protocol::RestXml);
        assert_eq!(e.code, "MalformedXML", "{}", String::from_utf8_lossy(body));
        assert_eq!(e.status, 400);
    }
    let r = rejection("s3", "POST", "/b?delete", &[], b"");
    assert_eq!(r.to_aws_error(Protocol::RestXml).code, "MalformedXML");
    let r = rejection("s3", "GET", "/b?list-type=2&max-keys=lots", &[], b"");
    assert!(matches!(r.kind, RejectionKind::InvalidType { .. }));
    assert_eq!(r.to_aws_error(Protocol::RestXml).code, "InvalidArgument");
    let r = rejection("s3", "POST", "/b/k", &[], b"");
    assert_eq!(r.kind, RejectionKind::MissingRequired { member: "UploadId".into() });
}

#[test]
fn image_builder_json_body_query_and_labels() {
    let body = br#"{"name":"p","infrastructureConfigurationArn":"arn:i","clientToken":"t","schedule":{"scheduleExpression":"cron(0 0 * * ? *)"},"tags":{"a":"1"},"imageTestsConfiguration":{"timeoutMinutes":60},"unknown":1}"#;
    let v = ok("imagebuilder", "PUT", "/CreateImagePipeline", &[], body);
    assert_eq!(
        v,
        json!({
            "name": "p", "infrastructureConfigurationArn": "arn:i", "clientToken": "t",
            "schedule": {"scheduleExpression": "cron(0 0 * * ? *)"}, "tags": {"a": "1"},
            "imageTestsConfiguration": {"timeoutMinutes": 60},
        })
    );
    let v = ok(
        "imagebuilder",
        "GET",
        "/GetImage?imageBuildVersionArn=arn%3Aaws%3Aimagebuilder%3Aus-east-1%3A1%3Aimage%2Fx%2F1.0.0%2F1",
        &[],
        b"",
    );
    assert_eq!(
        v,
        json!({"imageBuildVersionArn": "arn:aws:imagebuilder:us-east-1:1:image/x/1.0.0/1"})
    );
    let v = ok("imagebuilder", "DELETE", "/tags/arn%3Ax%2Fy?tagKeys=a&tagKeys=b", &[], b"");
    assert_eq!(v, json!({"resourceArn": "arn:x/y", "tagKeys": ["a", "b"]}));
    let v = ok(
        "imagebuilder",
        "PUT",
        "/StartResourceStateUpdate",
        &[],
        br#"{"resourceArn":"a","state":{"status":"DEPRECATED"},"clientToken":"t","updateAt":"2026-11-23T08:56:26Z"}"#,
    );
    assert_eq!(v["updateAt"], 1_795_424_186);
}

#[test]
fn image_builder_rejections() {
    let r = rejection("imagebuilder", "PUT", "/CreateImagePipeline", &[], b"{not json");
    assert_eq!(r.to_aws_error(Protocol::RestJson).code, "SerializationException");
    let r = rejection(
        "imagebuilder",
        "PUT",
        "/CreateImagePipeline",
        &[],
        br#"{"name":"p","clientToken":"t"}"#,
    );
    let e = r.to_aws_error(Protocol::RestJson);
    assert_eq!(e.code, "ValidationException");
    assert!(e.message.contains("infrastructureConfigurationArn"), "{}", e.message);
    let r = rejection(
        "imagebuilder",
        "PUT",
        "/CreateImagePipeline",
        &[],
        br#"{"name":5,"infrastructureConfigurationArn":"a","clientToken":"t"}"#,
    );
    assert!(matches!(r.kind, RejectionKind::InvalidType { ref member, .. } if member == "name"));
    let r = rejection("imagebuilder", "GET", "/GetImage", &[], b"");
    assert_eq!(r.kind, RejectionKind::MissingRequired { member: "imageBuildVersionArn".into() });
    // Nested required members are checked too.
    let r = rejection(
        "imagebuilder",
        "PUT",
        "/CreateDistributionConfiguration",
        &[],
        br#"{"name":"d","clientToken":"t","distributions":[{"amiDistributionConfiguration":{}}]}"#,
    );
    assert!(
        matches!(r.kind, RejectionKind::MissingRequired { ref member } if member == "distributions.1.region"),
        "{r:?}"
    );
}

#[test]
fn s3_outputs_bind_headers_and_status() {
    let r = encode(
        "s3",
        "PutObject",
        &json!({"ETag": "\"abc\"", "VersionId": "v1", "ServerSideEncryption": "AES256"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("ETag"), Some("\"abc\""));
    assert_eq!(r.header("x-amz-version-id"), Some("v1"));
    assert_eq!(r.header("x-amz-server-side-encryption"), Some("AES256"));
    assert_eq!(r.header("x-amz-request-id"), Some("REQ1"));
    assert!(r.body.is_empty());

    let r = encode(
        "s3",
        "GetObject",
        &json!({
            "ContentLength": 10, "ContentType": "text/plain", "LastModified": 1_795_424_186,
            "Metadata": {"owner": "jane"}, "ContentRange": "bytes 0-9/100",
        }),
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.header("Last-Modified"), Some("Mon, 23 Nov 2026 08:56:26 GMT"));
    assert_eq!(r.header("x-amz-meta-owner"), Some("jane"));
    assert_eq!(r.header("Content-Type"), Some("text/plain"));
    assert!(r.body.is_empty(), "the caller streams the object body");

    // An integer member handed over as a float still goes out as an integer.
    let r = encode("s3", "HeadObject", &json!({"ContentLength": 10.0}));
    assert_eq!(r.header("Content-Length"), Some("10"));

    let r = encode("s3", "DeleteBucket", &json!({}));
    assert_eq!(r.status, 204);
    let r = encode("s3", "PutBucketTagging", &json!({}));
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert!(r.body.is_empty());
    let r = encode("s3", "GetBucketPolicy", &json!({"Policy": "{\"a\":1}"}));
    assert_eq!(body_text(&r), "{\"a\":1}");

    // A handler's `__status` overrides the success status, never with a non-2xx one.
    let r = encode("s3", "RestoreObject", &json!({"__status": 202}));
    assert_eq!(r.status, 202);
    let r = encode("s3", "PutBucketTagging", &json!({"__status": 204}));
    assert_eq!(r.status, 204);
    let r = encode("s3", "RestoreObject", &json!({"__status": 500}));
    assert_eq!(r.status, 200);
    let r = encode("s3", "HeadObject", &json!({"ContentLength": 1, "ContentRange": "bytes 0-0/5"}));
    assert_eq!(r.status, 206);
}

#[test]
fn s3_xml_outputs_use_documented_roots_and_flattened_lists() {
    let r = encode(
        "s3",
        "ListObjectsV2",
        &json!({
            "Name": "b", "Prefix": "", "KeyCount": 1, "MaxKeys": 1000, "IsTruncated": false,
            "Contents": [{"Key": "a&b", "LastModified": "2026-11-23T08:56:26Z", "Size": 3}],
            "CommonPrefixes": [{"Prefix": "d/"}],
        }),
    );
    assert_eq!(
        body_text(&r),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>false</IsTruncated><Contents><Key>a&amp;b</Key><LastModified>2026-11-23T08:56:26.000Z</LastModified><Size>3</Size></Contents><Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes><KeyCount>1</KeyCount></ListBucketResult>"
    );
    assert_eq!(r.header("Content-Type"), Some("application/xml"));
    let r = encode("s3", "GetBucketLocation", &json!({"LocationConstraint": "eu-west-1"}));
    assert!(body_text(&r).ends_with(
        "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-1</LocationConstraint>"
    ));
    let r = encode(
        "s3",
        "CopyObject",
        &json!({"CopyObjectResult": {"ETag": "\"e\""}, "VersionId": "v"}),
    );
    assert!(body_text(&r).contains("<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ETag>&quot;e&quot;</ETag></CopyObjectResult>"));
    assert_eq!(r.header("x-amz-version-id"), Some("v"));
}

#[test]
fn error_envelopes() {
    let err = AwsError::new("NoSuchBucket", "The specified bucket does not exist", 404);
    let r = encode_error_with(Protocol::RestXml, &err, "REQ1", &[("BucketName", "b<")]);
    assert_eq!(r.status, 404);
    let body = body_text(&r);
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>b&lt;</BucketName><RequestId>REQ1</RequestId><HostId>"), "{body}");
    // `header:` members are response headers, not `<Error>` members.
    let err = AwsError::new("NoSuchKey", "The specified key does not exist.", 404);
    let r = encode_error_with(
        Protocol::RestXml,
        &err,
        "REQ1",
        &[("Key", "k"), ("header:x-amz-delete-marker", "true"), ("header:bad name", "x")],
    );
    assert_eq!(r.header("x-amz-delete-marker"), Some("true"));
    let body = body_text(&r);
    assert!(body.contains("<Key>k</Key>") && !body.contains("delete-marker"), "{body}");
    assert!(!body.contains("bad name"));
    let err = AwsError::new("ResourceNotFoundException", "nope", 404);
    let r = encode_error(Protocol::RestJson, &err, "REQ1");
    assert_eq!(r.header("x-amzn-ErrorType"), Some("ResourceNotFoundException"));
    assert_eq!(body_text(&r), r#"{"message":"nope"}"#);
}

// ---------------------------------------------------------------------------------------------
// Golden responses

fn render(r: &HttpResponse) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {}\r\n", r.status).into_bytes();
    for (k, v) in &r.headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&r.body);
    out
}

fn golden_response(case: &Value, request_id: &str) -> HttpResponse {
    let id = case["service"].as_str().unwrap();
    let s = svc(id);
    let protocol = Protocol::from_model(&s);
    if let Some(err) = case.get("error") {
        let e = AwsError::new(
            err["code"].as_str().unwrap(),
            err["message"].as_str().unwrap(),
            u16::try_from(err["status"].as_u64().unwrap()).unwrap(),
        );
        let extra: Vec<(String, String)> = err
            .get("extra")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let extra_refs: Vec<(&str, &str)> =
            extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        return encode_error_with(protocol, &e, request_id, &extra_refs);
    }
    // Through the crate's public seam, as the server calls it.
    let route = Route {
        service: Arc::clone(&s),
        operation: case["operation"].as_str().unwrap().to_owned(),
        protocol,
        region: "us-east-1".to_owned(),
        labels: Vec::new(),
    };
    crate::encode_output(models(), &route, &case["output"], request_id)
}

#[test]
fn golden_responses_match_byte_for_byte() {
    let bless = std::env::var_os("XACCT_BLESS").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in ["rest_xml", "rest_json"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".case.json"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".case.json")
                .to_owned();
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let got = render(&golden_response(&case, &format!("REQ-{name}")));
            let golden = path.with_file_name(format!("{name}.response"));
            if bless {
                std::fs::write(&golden, &got).unwrap();
            } else {
                match std::fs::read(&golden) {
                    Ok(want) if want == got => {}
                    Ok(want) => failures.push(format!(
                        "{dir}/{name}: differs\n--- want\n{}\n--- got\n{}",
                        String::from_utf8_lossy(&want),
                        String::from_utf8_lossy(&got)
                    )),
                    Err(_) => failures.push(format!("{dir}/{name}: no golden (XACCT_BLESS=1)")),
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "golden cases missing ({checked})");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every operation of both REST models, requested in its own minimal form (labels filled,
/// literal query keys and required query/header members present), routes back to itself; the
/// only exceptions are the twins AWS itself shadows (deprecated forms, S3 Express listing).
#[test]
fn every_rest_operation_routes_to_itself() {
    for id in ["s3", "imagebuilder"] {
        let s = svc(id);
        let mut names: Vec<&String> = s.operations.keys().collect();
        names.sort();
        let mut checked = 0;
        for name in names {
            let op = &s.operations[name];
            if op.deprecated || s3::loses_ties(&s, name) {
                continue;
            }
            let template = UriTemplate::parse(&op.http.request_uri);
            let mut path = String::new();
            for seg in &template.segments {
                path.push('/');
                match seg {
                    uri::Segment::Literal(l) => path.push_str(l),
                    uri::Segment::Label(_) => path.push_str("label"),
                    uri::Segment::Greedy(_) => path.push_str("dir/key"),
                }
            }
            if path.is_empty() {
                path.push('/');
            }
            let mut query: Vec<String> = template
                .query
                .iter()
                .filter(|(k, _)| k != "x-id")
                .map(|(k, v)| match v {
                    Some(v) => format!("{k}={v}"),
                    None => k.clone(),
                })
                .collect();
            let mut headers: Vec<(String, String)> = Vec::new();
            if let Some(input) = op.input.as_ref().and_then(|r| shape_of(&s, r)) {
                for (member, r) in input.members.iter() {
                    if !input.is_required(member) {
                        continue;
                    }
                    let wire = r.location_name.as_deref().unwrap_or(member);
                    match r.location {
                        Some(Location::Querystring) => query.push(format!("{wire}=1")),
                        Some(Location::Header) => headers.push((wire.to_owned(), "1".to_owned())),
                        _ => {}
                    }
                }
            }
            let query = query.join("&");
            let header_refs: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let req = HttpRequest {
                method: &op.http.method,
                path: &path,
                query: &query,
                headers: &header_refs,
                body: b"",
            };
            let routed = route(&s, &req).map(|(o, _)| o);
            assert_eq!(
                routed.as_deref(),
                Some(name.as_str()),
                "{id} {} {path}?{query} {headers:?}",
                op.http.method
            );
            checked += 1;
        }
        assert!(checked > 70, "{id}: {checked}");
    }
}

/// One event-stream message: its string headers and payload.
type Message = (Vec<(String, String)>, Vec<u8>);

/// Splits an event stream into messages, checking both CRCs of each.
fn messages(mut body: &[u8]) -> Vec<Message> {
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap()) as usize;
    let mut out = Vec::new();
    while !body.is_empty() {
        let (total, head) = (be(&body[0..4]), be(&body[4..8]));
        assert_eq!(be(&body[8..12]) as u32, crc32fast::hash(&body[..8]));
        assert_eq!(be(&body[total - 4..total]) as u32, crc32fast::hash(&body[..total - 4]));
        let mut h = &body[12..12 + head];
        let mut headers = Vec::new();
        while !h.is_empty() {
            let n = h[0] as usize;
            let name = String::from_utf8(h[1..1 + n].to_vec()).unwrap();
            assert_eq!(h[1 + n], 7, "string header");
            let len = u16::from_be_bytes([h[2 + n], h[3 + n]]) as usize;
            headers.push((name, String::from_utf8(h[4 + n..4 + n + len].to_vec()).unwrap()));
            h = &h[4 + n + len..];
        }
        out.push((headers, body[12 + head..total - 4].to_vec()));
        body = &body[total..];
    }
    out
}

#[test]
fn s3_select_output_is_an_event_stream() {
    let out = json!({"Payload": [
        {"Records": {"Payload": "YSxiCg=="}},
        {"Stats": {"Details": {"BytesScanned": 36, "BytesProcessed": 36, "BytesReturned": 4}}},
        {"End": {}},
    ]});
    let resp = encode("s3", "SelectObjectContent", &out);
    assert_eq!(resp.status, 200);
    assert!(resp
        .headers
        .contains(&("Content-Type".to_owned(), "application/vnd.amazon.eventstream".to_owned())));
    let m = messages(&resp.body);
    let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    assert_eq!(m.len(), 3);
    assert_eq!(
        m[0],
        (
            h(&[
                (":message-type", "event"),
                (":event-type", "Records"),
                (":content-type", "application/octet-stream")
            ]),
            b"a,b\n".to_vec()
        )
    );
    assert_eq!(
        m[1].0,
        h(&[(":message-type", "event"), (":event-type", "Stats"), (":content-type", "text/xml")])
    );
    let stats = String::from_utf8(m[1].1.clone()).unwrap();
    assert!(
        stats.ends_with("<Stats><BytesScanned>36</BytesScanned><BytesProcessed>36</BytesProcessed><BytesReturned>4</BytesReturned></Stats>"),
        "{stats}"
    );
    assert_eq!(m[2], (h(&[(":message-type", "event"), (":event-type", "End")]), Vec::new()));
}
