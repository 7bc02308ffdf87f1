//! REST routing through the public seam: every S3 operation family the tutorials use, S3
//! virtual-hosted requests, and Image Builder's literal paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use xacct_wire::{classify, HttpRequest, Models, Protocol, Route};

fn models() -> &'static Models {
    static M: std::sync::OnceLock<Models> = std::sync::OnceLock::new();
    M.get_or_init(Models::lazy)
}

fn route_with(
    scope: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Result<Route, xacct_wire::Rejection> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let req = HttpRequest { method, path, query, headers, body: b"" };
    classify(models(), &req, Some(scope), Some("us-east-1"))
}

fn s3(method: &str, target: &str) -> (String, Vec<(String, String)>) {
    s3_h(method, target, &[])
}

fn s3_h(method: &str, target: &str, headers: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    let mut h = vec![("host", "127.0.0.1:4566")];
    h.extend_from_slice(headers);
    let r =
        route_with("s3", method, target, &h).unwrap_or_else(|e| panic!("{method} {target}: {e:?}"));
    assert_eq!(r.protocol, Protocol::RestXml);
    (r.operation, r.labels)
}

fn op(method: &str, target: &str) -> String {
    s3(method, target).0
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn bucket_level_operations() {
    assert_eq!(op("GET", "/"), "ListBuckets");
    assert_eq!(s3("PUT", "/b"), ("CreateBucket".into(), labels(&[("Bucket", "b")])));
    assert_eq!(op("PUT", "/b/"), "CreateBucket");
    assert_eq!(op("HEAD", "/b"), "HeadBucket");
    assert_eq!(op("DELETE", "/b"), "DeleteBucket");
    assert_eq!(op("GET", "/b"), "ListObjects");
    assert_eq!(op("GET", "/b?list-type=2"), "ListObjectsV2");
    assert_eq!(op("GET", "/b?list-type=2&prefix=a%2F&delimiter=%2F"), "ListObjectsV2");
    assert_eq!(op("GET", "/b?location"), "GetBucketLocation");
    assert_eq!(op("GET", "/b?policy"), "GetBucketPolicy");
    assert_eq!(op("PUT", "/b?policy"), "PutBucketPolicy");
    assert_eq!(op("DELETE", "/b?policy"), "DeleteBucketPolicy");
    assert_eq!(op("GET", "/b?tagging"), "GetBucketTagging");
    assert_eq!(op("PUT", "/b?tagging"), "PutBucketTagging");
    assert_eq!(op("DELETE", "/b?tagging"), "DeleteBucketTagging");
    assert_eq!(op("POST", "/b?delete"), "DeleteObjects");
    assert_eq!(op("GET", "/b?uploads"), "ListMultipartUploads");
    assert_eq!(op("GET", "/b?versions"), "ListObjectVersions");
    assert_eq!(op("GET", "/b?versioning"), "GetBucketVersioning");
    assert_eq!(op("GET", "/b?acl"), "GetBucketAcl");
    assert_eq!(op("GET", "/b?publicAccessBlock"), "GetPublicAccessBlock");
    assert_eq!(op("GET", "/b?ownershipControls"), "GetBucketOwnershipControls");
}

#[test]
fn deprecated_twins_and_required_query_members_decide_ties() {
    // GetBucketLifecycle is deprecated in favour of GetBucketLifecycleConfiguration.
    assert_eq!(op("GET", "/b?lifecycle"), "GetBucketLifecycleConfiguration");
    assert_eq!(op("PUT", "/b?lifecycle"), "PutBucketLifecycleConfiguration");
    assert_eq!(op("GET", "/b?notification"), "GetBucketNotificationConfiguration");
    // `id` is required by the Get form, so it picks Get over List.
    assert_eq!(op("GET", "/b?analytics"), "ListBucketAnalyticsConfigurations");
    assert_eq!(op("GET", "/b?analytics&id=x"), "GetBucketAnalyticsConfiguration");
}

#[test]
fn object_level_operations() {
    assert_eq!(
        s3("PUT", "/b/a/b/c.txt"),
        ("PutObject".into(), labels(&[("Bucket", "b"), ("Key", "a/b/c.txt")]))
    );
    assert_eq!(s3_h("GET", "/b/k", &[("range", "bytes=0-9")]).0, "GetObject");
    assert_eq!(op("HEAD", "/b/k"), "HeadObject");
    assert_eq!(op("DELETE", "/b/k"), "DeleteObject");
    assert_eq!(op("GET", "/b/k?versionId=3"), "GetObject");
    assert_eq!(op("POST", "/b/k?uploads"), "CreateMultipartUpload");
    assert_eq!(op("PUT", "/b/k?partNumber=1&uploadId=x"), "UploadPart");
    assert_eq!(
        s3_h("PUT", "/b/k?partNumber=1&uploadId=x", &[("x-amz-copy-source", "/o/k")]).0,
        "UploadPartCopy"
    );
    assert_eq!(op("POST", "/b/k?uploadId=x"), "CompleteMultipartUpload");
    assert_eq!(op("DELETE", "/b/k?uploadId=x"), "AbortMultipartUpload");
    assert_eq!(op("GET", "/b/k?uploadId=x"), "ListParts");
    assert_eq!(s3_h("PUT", "/b/k", &[("X-Amz-Copy-Source", "/o/k")]).0, "CopyObject");
    assert_eq!(op("GET", "/b/k?tagging"), "GetObjectTagging");
    assert_eq!(op("PUT", "/b/k?tagging"), "PutObjectTagging");
    assert_eq!(op("DELETE", "/b/k?tagging"), "DeleteObjectTagging");
    assert_eq!(op("GET", "/b/k?acl"), "GetObjectAcl");
    // botocore never sends the x-id literal, but a client that does still routes.
    assert_eq!(op("GET", "/b/k?x-id=GetObject"), "GetObject");
}

#[test]
fn keys_are_percent_decoded_and_keep_slashes() {
    let (_, l) = s3("GET", "/b/dir%2Fsub/a%20b+c%25.txt");
    assert_eq!(l, labels(&[("Bucket", "b"), ("Key", "dir/sub/a b+c%.txt")]));
    let (_, l) = s3("GET", "/b//leading");
    assert_eq!(l[1].1, "/leading");
}

#[test]
fn unknown_forms_are_refused() {
    // The only POST form on an object without `?uploads` is CompleteMultipartUpload; decoding
    // then reports the missing uploadId.
    assert_eq!(op("POST", "/b/k"), "CompleteMultipartUpload");
    assert_eq!(op("PUT", "/b/k?partNumber=1"), "PutObject");
    assert!(route_with("s3", "PATCH", "/b", &[]).is_err());
}

#[test]
fn virtual_hosted_requests_are_rewritten_to_path_style() {
    for host in [
        "b.s3.amazonaws.com",
        "b.s3.us-east-1.amazonaws.com",
        "b.localhost:4566",
        "b.s3.localhost.localstack.cloud:4566",
    ] {
        let r = route_with("s3", "GET", "/a/k.txt", &[("Host", host)]).unwrap();
        assert_eq!(r.operation, "GetObject", "{host}");
        assert_eq!(r.labels, labels(&[("Bucket", "b"), ("Key", "a/k.txt")]), "{host}");
        let r = route_with("s3", "GET", "/", &[("Host", host)]).unwrap();
        assert_eq!(r.operation, "ListObjects", "{host}");
        let r = route_with("s3", "GET", "/?list-type=2", &[("Host", host)]).unwrap();
        assert_eq!(r.operation, "ListObjectsV2", "{host}");
    }
    let r = route_with("s3", "GET", "/", &[("Host", "s3.amazonaws.com")]).unwrap();
    assert_eq!(r.operation, "ListBuckets");
    let r = route_with("s3", "GET", "/", &[("Host", "localhost:4566")]).unwrap();
    assert_eq!(r.operation, "ListBuckets");
}

fn ib(method: &str, target: &str) -> (String, Vec<(String, String)>) {
    let r = route_with("imagebuilder", method, target, &[("host", "127.0.0.1:4566")])
        .unwrap_or_else(|e| panic!("{method} {target}: {e:?}"));
    assert_eq!(r.protocol, Protocol::RestJson);
    (r.operation, r.labels)
}

#[test]
fn image_builder_literal_paths() {
    assert_eq!(ib("PUT", "/CreateImagePipeline").0, "CreateImagePipeline");
    assert_eq!(
        ib("GET", "/GetImage?imageBuildVersionArn=arn%3Aaws%3Aimagebuilder%3Aus-east-1%3A123456789012%3Aimage%2Fx%2F1.0.0%2F1").0,
        "GetImage"
    );
    assert_eq!(ib("POST", "/ListImages").0, "ListImages");
    assert_eq!(ib("PUT", "/CreateDistributionConfiguration").0, "CreateDistributionConfiguration");
    assert_eq!(ib("DELETE", "/DeleteImagePipeline").0, "DeleteImagePipeline");
    let arn = "arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/p";
    let (o, l) =
        ib("GET", "/tags/arn%3Aaws%3Aimagebuilder%3Aus-east-1%3A123456789012%3Aimage-pipeline%2Fp");
    assert_eq!(o, "ListTagsForResource");
    assert_eq!(l, labels(&[("resourceArn", arn)]));
    assert_eq!(ib("POST", "/tags/x").0, "TagResource");
    assert_eq!(ib("DELETE", "/tags/x?tagKeys=a&tagKeys=b").0, "UntagResource");
    assert!(route_with("imagebuilder", "GET", "/ListImages", &[]).is_err(), "wrong method");
    assert!(route_with("imagebuilder", "GET", "/Nope", &[]).is_err());
}
