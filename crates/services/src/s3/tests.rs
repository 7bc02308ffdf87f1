//! S3 through `Services::call` over a real SQLite store and blob directory: the tutorial's
//! Production account (999999999999) and its `productionapp` bucket, Development
//! (111111111111) on the other side.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{json, Value};

use super::checksum::{ChecksumAlgorithm, Digests};
use super::{StagedPayload, Streams};
use crate::accounts::{AccountRecord, ACCOUNTS};
use crate::{Call, Caller, Clock, Config, PrincipalKind, ServiceError, Services};

const DEV: &str = "111111111111";
const PROD: &str = "999999999999";

struct World {
    services: Services,
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = xacct_store::open_sqlite(dir.path()).unwrap();
        let blobs = xacct_store::FsBlobStore::open(&dir.path().join("blobs")).unwrap();
        let services = Services::new(store, Arc::new(Clock::new()), Config::default())
            .with_blob_store(Arc::new(blobs));
        let mut tx = services.store().write().unwrap();
        for id in [DEV, PROD] {
            let rec = AccountRecord {
                id: id.to_owned(),
                name: id.to_owned(),
                email: format!("{id}@example.com"),
                status: "ACTIVE".to_owned(),
                joined_method: "CREATED".to_owned(),
                joined_timestamp: 0.0,
            };
            ACCOUNTS.put(&mut *tx, id, &rec).unwrap();
        }
        tx.commit().unwrap();
        World { services, dir }
    }

    fn call_with(
        &self,
        caller: &Caller,
        service: &str,
        operation: &str,
        input: Value,
        streams: Option<&Streams>,
    ) -> Result<Value, ServiceError> {
        let call = Call {
            service,
            operation,
            region: "us-east-1",
            caller,
            input: &input,
            request_id: "req",
            source_ip: "",
            user_agent: "",
            streams,
        };
        self.services.call(&call)
    }

    fn s3(&self, caller: &Caller, operation: &str, input: Value) -> Result<Value, ServiceError> {
        self.call_with(caller, "s3", operation, input, None)
    }

    /// Stages `body` as the server would and calls PutObject.
    fn put(
        &self,
        caller: &Caller,
        bucket: &str,
        key: &str,
        body: &[u8],
    ) -> Result<Value, ServiceError> {
        self.put_with(caller, json!({"Bucket": bucket, "Key": key}), body)
    }

    fn put_with(&self, caller: &Caller, input: Value, body: &[u8]) -> Result<Value, ServiceError> {
        let streams = Streams::with_payload(self.stage(body));
        let op = if input.get("UploadId").is_some() { "UploadPart" } else { "PutObject" };
        self.call_with(caller, "s3", op, input, Some(&streams))
    }

    fn stage(&self, body: &[u8]) -> StagedPayload {
        let store = self.services.blob_store().unwrap();
        let mut w = store.writer().unwrap();
        w.write_all(body).unwrap();
        let mut d = Digests::new(&[ChecksumAlgorithm::Crc64Nvme, ChecksumAlgorithm::Crc32]);
        d.update(body);
        StagedPayload { blob: w.finish().unwrap(), digests: d.finish(), trailers: Vec::new() }
    }

    fn get(
        &self,
        caller: &Caller,
        bucket: &str,
        key: &str,
        range: Option<&str>,
    ) -> Result<(Value, Vec<u8>), ServiceError> {
        let streams = Streams::default();
        let mut input = json!({"Bucket": bucket, "Key": key});
        if let Some(r) = range {
            input["Range"] = json!(r);
        }
        let out = self.call_with(caller, "s3", "GetObject", input, Some(&streams))?;
        let body = streams.take_body().unwrap();
        let store = self.services.blob_store().unwrap();
        let mut bytes = Vec::new();
        for r in body.ranges {
            use std::io::{Read, Seek, SeekFrom};
            let mut f = store.open(&r.blob).unwrap();
            f.seek(SeekFrom::Start(r.offset)).unwrap();
            let mut chunk = vec![0; r.len as usize];
            f.read_exact(&mut chunk).unwrap();
            bytes.extend(chunk);
        }
        Ok((out, bytes))
    }

    fn blob_files(&self) -> usize {
        let mut n = 0;
        for entry in std::fs::read_dir(self.dir.path().join("blobs")).unwrap().flatten() {
            if entry.file_name() != "tmp" {
                n += std::fs::read_dir(entry.path()).unwrap().count();
            }
        }
        n
    }

    /// An IAM user of `account` with `policy` inline (none when `None`).
    fn user(&self, account: &str, name: &str, policy: Option<Value>) -> Caller {
        let root = Caller::root(account, "AKIAROOT");
        self.call_with(&root, "iam", "CreateUser", json!({"UserName": name}), None).unwrap();
        if let Some(p) = policy {
            self.call_with(
                &root,
                "iam",
                "PutUserPolicy",
                json!({"UserName": name, "PolicyName": "p", "PolicyDocument": p.to_string()}),
                None,
            )
            .unwrap();
        }
        let out = self.call_with(&root, "iam", "GetUser", json!({"UserName": name}), None).unwrap();
        Caller {
            kind: PrincipalKind::IamUser,
            account: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            user_id: out["User"]["UserId"].as_str().unwrap().to_owned(),
            access_key_id: "AKIAUSER".to_owned(),
            name: name.to_owned(),
            session: None,
        }
    }
}

fn prod() -> Caller {
    Caller::root(PROD, "AKIAPROD")
}

fn dev() -> Caller {
    Caller::root(DEV, "AKIADEV")
}

#[test]
fn buckets_are_global_owned_and_listed_per_account() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let e = w.s3(&dev(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap_err();
    assert_eq!((e.code, e.status), ("BucketAlreadyExists", 409));
    // The owner re-creating it in us-east-1 is a no-op.
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let e = w.s3(&prod(), "CreateBucket", json!({"Bucket": "Production_App"})).unwrap_err();
    assert_eq!(e.code, "InvalidBucketName");
    // The us-east-1 endpoint creates buckets in any region.
    w.s3(
        &prod(),
        "CreateBucket",
        json!({"Bucket": "x-eu", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}),
    )
    .unwrap();
    let loc = w.s3(&prod(), "GetBucketLocation", json!({"Bucket": "x-eu"})).unwrap();
    assert_eq!(loc["LocationConstraint"], "eu-west-1");
    let e = w
        .s3(&prod(), "CreateBucket", json!({"Bucket": "x-us", "CreateBucketConfiguration": {"LocationConstraint": "us-east-1"}}))
        .unwrap_err();
    assert_eq!(e.code, "InvalidLocationConstraint");
    w.s3(&prod(), "DeleteBucket", json!({"Bucket": "x-eu"})).unwrap();
    let names = |c: &Caller| -> Vec<String> {
        w.s3(c, "ListBuckets", json!({})).unwrap()["Buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["Name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&prod()), ["productionapp"]);
    assert!(names(&dev()).is_empty());
    w.put(&prod(), "productionapp", "k", b"v").unwrap();
    let e = w.s3(&prod(), "DeleteBucket", json!({"Bucket": "productionapp"})).unwrap_err();
    assert_eq!((e.code, e.status), ("BucketNotEmpty", 409));
    w.s3(&prod(), "DeleteObject", json!({"Bucket": "productionapp", "Key": "k"})).unwrap();
    w.s3(&prod(), "DeleteBucket", json!({"Bucket": "productionapp"})).unwrap();
    let e = w.s3(&prod(), "HeadBucket", json!({"Bucket": "productionapp"})).unwrap_err();
    assert_eq!((e.code, e.status), ("NoSuchBucket", 404));
}

#[test]
fn objects_round_trip_through_blobs_and_leave_none_behind() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let out = w.put(&prod(), "productionapp", "app/v1.txt", b"hello world").unwrap();
    assert_eq!(out["ETag"], "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    let (meta, body) = w.get(&prod(), "productionapp", "app/v1.txt", None).unwrap();
    assert_eq!(body, b"hello world");
    assert_eq!(meta["ContentLength"], 11);
    let (meta, body) = w.get(&prod(), "productionapp", "app/v1.txt", Some("bytes=6-")).unwrap();
    assert_eq!(
        (body.as_slice(), meta["ContentRange"].as_str()),
        (&b"world"[..], Some("bytes 6-10/11"))
    );
    assert_eq!(w.blob_files(), 1);
    // Unversioned: the object is its one `null` version.
    let versions = w.s3(&prod(), "ListObjectVersions", json!({"Bucket": "productionapp"})).unwrap();
    assert_eq!(versions["Versions"][0]["VersionId"], "null");
    assert_eq!(versions["Versions"][0]["Key"], "app/v1.txt");
    let e = w
        .s3(
            &prod(),
            "HeadObject",
            json!({"Bucket": "productionapp", "Key": "app/v1.txt", "VersionId": "v2"}),
        )
        .unwrap_err();
    assert_eq!((e.code, e.status), ("InvalidArgument", 400));
    // Overwriting replaces the blob; deleting removes it.
    w.put(&prod(), "productionapp", "app/v1.txt", b"second").unwrap();
    assert_eq!(w.blob_files(), 1);
    w.s3(&prod(), "DeleteObject", json!({"Bucket": "productionapp", "Key": "app/v1.txt"})).unwrap();
    assert_eq!(w.blob_files(), 0);
    let e = w.get(&prod(), "productionapp", "app/v1.txt", None).unwrap_err();
    assert_eq!((e.code, e.status), ("NoSuchKey", 404));
}

#[test]
fn a_refused_upload_changes_nothing() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let wrong_md5 = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    let e = w
        .put_with(
            &prod(),
            json!({"Bucket": "productionapp", "Key": "k", "ContentMD5": wrong_md5}),
            b"data",
        )
        .unwrap_err();
    assert_eq!(e.code, "BadDigest");
    let e = w
        .put_with(
            &prod(),
            json!({"Bucket": "productionapp", "Key": "k", "ChecksumCRC32": "AAAAAA=="}),
            b"data",
        )
        .unwrap_err();
    assert_eq!(e.code, "BadDigest");
    assert_eq!(w.blob_files(), 0);
    assert_eq!(std::fs::read_dir(w.dir.path().join("blobs/tmp")).unwrap().count(), 0);
    let e = w.get(&prod(), "productionapp", "k", None).unwrap_err();
    assert_eq!(e.code, "NoSuchKey");
}

#[test]
fn bucket_policy_same_account_either_side_cross_account_both() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    w.put(&prod(), "productionapp", "report.csv", b"a,b").unwrap();
    let ops = w.user(PROD, "Ops", None);
    let e = w.get(&ops, "productionapp", "report.csv", None).unwrap_err();
    assert_eq!((e.code, e.status), ("AccessDenied", 403));
    assert!(
        e.message.contains("because no identity-based policy allows the s3:GetObject action"),
        "{}",
        e.message
    );
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [format!("arn:aws:iam::{PROD}:user/Ops"), format!("arn:aws:iam::{DEV}:root")]},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::productionapp/*"}]});
    w.s3(
        &prod(),
        "PutBucketPolicy",
        json!({"Bucket": "productionapp", "Policy": policy.to_string()}),
    )
    .unwrap();
    // Same account: the bucket policy naming the user suffices.
    assert_eq!(w.get(&ops, "productionapp", "report.csv", None).unwrap().1, b"a,b");
    // Across accounts: the bucket policy trusts Development, but its user needs its own allow too.
    let analyst = w.user(DEV, "Analyst", None);
    assert_eq!(
        w.get(&analyst, "productionapp", "report.csv", None).unwrap_err().code,
        "AccessDenied"
    );
    let reader = w.user(
        DEV,
        "Reader",
        Some(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})),
    );
    assert_eq!(w.get(&reader, "productionapp", "report.csv", None).unwrap().1, b"a,b");
    // An explicit deny in the bucket policy wins over every allow, root's too.
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::productionapp/report.csv"}]});
    w.s3(
        &prod(),
        "PutBucketPolicy",
        json!({"Bucket": "productionapp", "Policy": deny.to_string()}),
    )
    .unwrap();
    let e = w.get(&prod(), "productionapp", "report.csv", None).unwrap_err();
    assert!(
        e.message.contains("with an explicit deny in a resource-based policy"),
        "{}",
        e.message
    );
    let e = w
        .s3(
            &prod(),
            "PutBucketPolicy",
            json!({"Bucket": "productionapp", "Policy": "{\"Statement\": 5}"}),
        )
        .unwrap_err();
    assert_eq!((e.code, e.status), ("MalformedPolicy", 400));
}

#[test]
fn listing_condition_keys_reach_the_policy() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    for k in ["home/David/a", "home/jane/b"] {
        w.put(&prod(), "productionapp", k, b"x").unwrap();
    }
    let david = w.user(
        PROD,
        "David",
        Some(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::productionapp", "Condition": {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}}]})),
    );
    let out = w
        .s3(&david, "ListObjectsV2", json!({"Bucket": "productionapp", "Prefix": "home/David/"}))
        .unwrap();
    assert_eq!(out["KeyCount"], 1);
    let e = w
        .s3(&david, "ListObjectsV2", json!({"Bucket": "productionapp", "Prefix": "home/jane/"}))
        .unwrap_err();
    assert_eq!(e.code, "AccessDenied");
    // A missing key is AccessDenied without s3:ListBucket on the bucket as asked.
    let e = w.get(&david, "productionapp", "home/David/none", None).unwrap_err();
    assert_eq!(e.code, "AccessDenied");
}

#[test]
fn multipart_etag_segments_and_cleanup() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let up = w
        .s3(&prod(), "CreateMultipartUpload", json!({"Bucket": "productionapp", "Key": "big"}))
        .unwrap();
    let id = up["UploadId"].as_str().unwrap();
    let p1 = vec![b'a'; 5 * 1024 * 1024];
    let e1 = w
        .put_with(
            &prod(),
            json!({"Bucket": "productionapp", "Key": "big", "UploadId": id, "PartNumber": 1}),
            &p1,
        )
        .unwrap();
    let e2 = w
        .put_with(
            &prod(),
            json!({"Bucket": "productionapp", "Key": "big", "UploadId": id, "PartNumber": 2}),
            b"tail",
        )
        .unwrap();
    // A part uploaded and left out of the completion is deleted with the upload.
    w.put_with(
        &prod(),
        json!({"Bucket": "productionapp", "Key": "big", "UploadId": id, "PartNumber": 3}),
        b"unused",
    )
    .unwrap();
    assert_eq!(w.blob_files(), 3);
    let e = w
        .s3(&prod(), "CompleteMultipartUpload", json!({"Bucket": "productionapp", "Key": "big", "UploadId": id,
            "MultipartUpload": {"Parts": [{"PartNumber": 2, "ETag": e2["ETag"]}, {"PartNumber": 1, "ETag": e1["ETag"]}]}}))
        .unwrap_err();
    assert_eq!(e.code, "InvalidPartOrder");
    let done = w
        .s3(&prod(), "CompleteMultipartUpload", json!({"Bucket": "productionapp", "Key": "big", "UploadId": id,
            "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["ETag"]}]}}))
        .unwrap();
    let mut md5s = super::checksum::md5(&p1).to_vec();
    md5s.extend(super::checksum::md5(b"tail"));
    assert_eq!(done["ETag"], format!("\"{}-2\"", hex::encode(super::checksum::md5(&md5s))));
    assert_eq!(w.blob_files(), 2);
    let (_, body) = w.get(&prod(), "productionapp", "big", Some("bytes=5242878-")).unwrap();
    assert_eq!(body, b"aatail");
    let e = w
        .s3(&prod(), "ListParts", json!({"Bucket": "productionapp", "Key": "big", "UploadId": id}))
        .unwrap_err();
    assert_eq!(e.code, "NoSuchUpload");
    // Completing again answers the first completion (a retry), even with If-None-Match: *,
    // and changes nothing; naming another key does not.
    let again = w
        .s3(&prod(), "CompleteMultipartUpload", json!({"Bucket": "productionapp", "Key": "big", "UploadId": id,
            "IfNoneMatch": "*",
            "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["ETag"]}]}}))
        .unwrap();
    assert_eq!(again, done);
    assert_eq!(w.blob_files(), 2);
    let e = w
        .s3(
            &prod(),
            "CompleteMultipartUpload",
            json!({"Bucket": "productionapp", "Key": "other", "UploadId": id,
            "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": e1["ETag"]}]}}),
        )
        .unwrap_err();
    assert_eq!(e.code, "NoSuchUpload");
    // Once the key holds another object, the upload is gone for good.
    w.put(&prod(), "productionapp", "big", b"replaced").unwrap();
    let e = w
        .s3(&prod(), "CompleteMultipartUpload", json!({"Bucket": "productionapp", "Key": "big", "UploadId": id,
            "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["ETag"]}]}}))
        .unwrap_err();
    assert_eq!(e.code, "NoSuchUpload");
    // Reset empties the blob directory too.
    w.services.reset(None).unwrap();
    assert_eq!(w.blob_files(), 0);
}

#[test]
fn mock_mode_authorizes_nothing() {
    let w = World::new();
    w.services.authz_state().set_mock_mode(true);
    let nobody = w.user(DEV, "Nobody", None);
    w.s3(&nobody, "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    w.put(&nobody, "productionapp", "k", b"v").unwrap();
    assert_eq!(w.get(&nobody, "productionapp", "k", None).unwrap().1, b"v");
}

#[test]
fn bucket_configurations_are_authorized_stored_and_go_with_the_bucket() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    // New buckets: ACLs disabled, Block Public Access on.
    let own = w.s3(&prod(), "GetBucketOwnershipControls", json!({"Bucket": "productionapp"}));
    assert_eq!(
        own.unwrap()["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    let pab = w.s3(&prod(), "GetPublicAccessBlock", json!({"Bucket": "productionapp"})).unwrap();
    assert_eq!(pab["PublicAccessBlockConfiguration"]["BlockPublicPolicy"], true);
    let cors = json!({"Bucket": "productionapp", "CORSConfiguration": {"CORSRules": [
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]}});
    // A user without s3:PutBucketCORS is denied and nothing is stored.
    let ops = w.user(PROD, "Ops", None);
    let e = w.s3(&ops, "PutBucketCors", cors.clone()).unwrap_err();
    assert_eq!((e.code, e.status), ("AccessDenied", 403));
    assert!(e.message.contains("s3:PutBucketCORS"), "{}", e.message);
    let e = w.s3(&prod(), "GetBucketCors", json!({"Bucket": "productionapp"})).unwrap_err();
    assert_eq!((e.code, e.status), ("NoSuchCORSConfiguration", 404));
    let allowed = w.user(
        PROD,
        "CorsAdmin",
        Some(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["s3:PutBucketCORS", "s3:GetBucketCORS"], "Resource": "arn:aws:s3:::productionapp"}]})),
    );
    w.s3(&allowed, "PutBucketCors", cors).unwrap();
    let got = w.s3(&allowed, "GetBucketCors", json!({"Bucket": "productionapp"})).unwrap();
    assert_eq!(got["CORSRules"][0]["AllowedMethods"], json!(["GET"]));
    // DeleteBucketCors is authorized by s3:PutBucketCORS.
    w.s3(&allowed, "DeleteBucketCors", json!({"Bucket": "productionapp"})).unwrap();
    // Configurations go with the bucket.
    w.s3(
        &prod(),
        "PutBucketCors",
        json!({"Bucket": "productionapp", "CORSConfiguration":
        {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PUT"]}]}}),
    )
    .unwrap();
    w.s3(&prod(), "DeleteBucket", json!({"Bucket": "productionapp"})).unwrap();
    let tx = w.services.store().read().unwrap();
    assert!(super::model::BUCKET_CONFIGS
        .scan(&*tx, "productionapp/", None, 10)
        .unwrap()
        .is_empty());
    drop(tx);
    // Missing buckets answer NoSuchBucket.
    let e = w.s3(&prod(), "GetBucketLifecycleConfiguration", json!({"Bucket": "productionapp"}));
    assert_eq!(e.unwrap_err().code, "NoSuchBucket");
}

#[test]
fn create_bucket_with_ownership_or_acl_needs_those_permissions() {
    let w = World::new();
    let creator = w.user(
        PROD,
        "Creator",
        Some(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "s3:CreateBucket", "Resource": "*"}]})),
    );
    let e = w
        .s3(
            &creator,
            "CreateBucket",
            json!({"Bucket": "ownedapp", "ObjectOwnership": "ObjectWriter"}),
        )
        .unwrap_err();
    assert_eq!(e.code, "AccessDenied");
    assert!(e.message.contains("s3:PutBucketOwnershipControls"), "{}", e.message);
    let e = w
        .s3(
            &creator,
            "CreateBucket",
            json!({"Bucket": "ownedapp", "ObjectOwnership": "ObjectWriter", "ACL": "private"}),
        )
        .unwrap_err();
    assert_eq!(e.code, "AccessDenied");
    w.s3(&creator, "CreateBucket", json!({"Bucket": "ownedapp"})).unwrap();
}

#[test]
fn object_acls_follow_object_ownership() {
    let w = World::new();
    w.s3(
        &prod(),
        "CreateBucket",
        json!({"Bucket": "productionapp", "ObjectOwnership": "BucketOwnerPreferred"}),
    )
    .unwrap();
    // Block Public Access (on for new buckets) refuses public ACLs until it is lifted.
    let public = json!({"Bucket": "productionapp", "Key": "a.txt", "ACL": "authenticated-read"});
    let e = w.put_with(&prod(), public.clone(), b"a").unwrap_err();
    assert_eq!((e.code, e.status), ("AccessDenied", 403));
    w.s3(&prod(), "DeletePublicAccessBlock", json!({"Bucket": "productionapp"})).unwrap();
    w.put_with(&prod(), public, b"a").unwrap();
    let acl =
        w.s3(&prod(), "GetObjectAcl", json!({"Bucket": "productionapp", "Key": "a.txt"})).unwrap();
    assert_eq!(acl["Grants"].as_array().unwrap().len(), 2);
    assert_eq!(
        acl["Grants"][1]["Grantee"]["URI"],
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
    );
    // Disabling ACLs: reading shows the owner's full control; setting one is refused.
    w.s3(
        &prod(),
        "PutBucketOwnershipControls",
        json!({"Bucket": "productionapp", "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}),
    )
    .unwrap();
    let acl =
        w.s3(&prod(), "GetObjectAcl", json!({"Bucket": "productionapp", "Key": "a.txt"})).unwrap();
    assert_eq!(acl["Grants"].as_array().unwrap().len(), 1);
    let e = w
        .s3(
            &prod(),
            "PutObjectAcl",
            json!({"Bucket": "productionapp", "Key": "a.txt", "ACL": "public-read"}),
        )
        .unwrap_err();
    assert_eq!((e.code, e.status), ("AccessControlListNotSupported", 400));
    let e = w
        .s3(&prod(), "GetObjectAcl", json!({"Bucket": "productionapp", "Key": "nope"}))
        .unwrap_err();
    assert_eq!(e.code, "NoSuchKey");
}

#[test]
fn block_public_policy_refuses_public_bucket_policies() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let public = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::productionapp/*"}]});
    let input = json!({"Bucket": "productionapp", "Policy": public.to_string()});
    let e = w.s3(&prod(), "PutBucketPolicy", input.clone()).unwrap_err();
    assert_eq!((e.code, e.status), ("AccessDenied", 403));
    assert!(e.message.contains("BlockPublicPolicy"), "{}", e.message);
    let e = w.s3(&prod(), "GetBucketPolicy", json!({"Bucket": "productionapp"})).unwrap_err();
    assert_eq!(e.code, "NoSuchBucketPolicy");
    // A policy for a named account is not public.
    let named = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{DEV}:root")}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::productionapp/*"}]});
    w.s3(
        &prod(),
        "PutBucketPolicy",
        json!({"Bucket": "productionapp", "Policy": named.to_string()}),
    )
    .unwrap();
    w.s3(
        &prod(),
        "PutPublicAccessBlock",
        json!({"Bucket": "productionapp", "PublicAccessBlockConfiguration": {"BlockPublicAcls": true}}),
    )
    .unwrap();
    w.s3(&prod(), "PutBucketPolicy", input).unwrap();
}

#[test]
fn expected_bucket_owner_must_match() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let e = w
        .s3(
            &prod(),
            "GetBucketCors",
            json!({"Bucket": "productionapp", "ExpectedBucketOwner": DEV}),
        )
        .unwrap_err();
    assert_eq!((e.code, e.status), ("AccessDenied", 403));
    let e = w
        .s3(
            &prod(),
            "GetBucketCors",
            json!({"Bucket": "productionapp", "ExpectedBucketOwner": PROD}),
        )
        .unwrap_err();
    assert_eq!(e.code, "NoSuchCORSConfiguration");
}

/// Versions keep their blobs until they are deleted by id; suspended writes replace only the
/// `null` version; deleting the current version promotes the next newest.
#[test]
fn versions_keep_their_blobs_until_deleted() {
    let w = World::new();
    let p = prod();
    w.s3(&p, "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    w.put(&p, "productionapp", "k", b"null-1").unwrap();
    w.s3(
        &p,
        "PutBucketVersioning",
        json!({"Bucket": "productionapp", "VersioningConfiguration": {"Status": "Enabled"}}),
    )
    .unwrap();
    let v1 =
        w.put(&p, "productionapp", "k", b"v1").unwrap()["VersionId"].as_str().unwrap().to_owned();
    let v2 =
        w.put(&p, "productionapp", "k", b"v2").unwrap()["VersionId"].as_str().unwrap().to_owned();
    assert_eq!(w.blob_files(), 3);
    let (out, body) = w.get(&p, "productionapp", "k", None).unwrap();
    assert_eq!((out["VersionId"].as_str(), body.as_slice()), (Some(v2.as_str()), &b"v2"[..]));

    // A delete marker hides the key but keeps every version.
    let d = w.s3(&p, "DeleteObject", json!({"Bucket": "productionapp", "Key": "k"})).unwrap();
    assert_eq!(d["DeleteMarker"], json!(true));
    let err = w.get(&p, "productionapp", "k", None).unwrap_err();
    assert_eq!((err.code, err.status), ("NoSuchKey", 404));
    assert!(err.fields.iter().any(|(k, v)| *k == "header:x-amz-delete-marker" && v == "true"));
    assert_eq!(w.blob_files(), 3);
    let marker = d["VersionId"].as_str().unwrap();
    let err = w
        .s3(&p, "HeadObject", json!({"Bucket": "productionapp", "Key": "k", "VersionId": marker}))
        .unwrap_err();
    assert_eq!((err.code, err.status), ("MethodNotAllowed", 405));
    let err = w.s3(&p, "DeleteBucket", json!({"Bucket": "productionapp"})).unwrap_err();
    assert_eq!(err.code, "BucketNotEmpty");

    // Deleting the current marker by id makes v2 current again.
    w.s3(&p, "DeleteObject", json!({"Bucket": "productionapp", "Key": "k", "VersionId": marker}))
        .unwrap();
    assert_eq!(w.get(&p, "productionapp", "k", None).unwrap().1, b"v2");

    // Suspended: a null write replaces the older null version (its blob goes) and keeps v1/v2.
    w.s3(
        &p,
        "PutBucketVersioning",
        json!({"Bucket": "productionapp", "VersioningConfiguration": {"Status": "Suspended"}}),
    )
    .unwrap();
    let out = w.put(&p, "productionapp", "k", b"null-2").unwrap();
    assert_eq!(out["VersionId"], json!("null"));
    assert_eq!(w.blob_files(), 3);
    let listed = w.s3(&p, "ListObjectVersions", json!({"Bucket": "productionapp"})).unwrap();
    let ids: Vec<&str> = listed["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VersionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["null", v2.as_str(), v1.as_str()]);

    // Deleting each version by id removes its blob; a bad id changes nothing.
    let err = w
        .s3(&p, "DeleteObject", json!({"Bucket": "productionapp", "Key": "k", "VersionId": "nope"}))
        .unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        ("InvalidArgument", "Invalid version id specified")
    );
    for v in ["null", v2.as_str(), v1.as_str()] {
        w.s3(&p, "DeleteObject", json!({"Bucket": "productionapp", "Key": "k", "VersionId": v}))
            .unwrap();
    }
    assert_eq!(w.blob_files(), 0);
    w.s3(&p, "DeleteBucket", json!({"Bucket": "productionapp"})).unwrap();
}

#[test]
fn object_lock_blocks_version_deletes() {
    let w = World::new();
    let p = prod();
    w.s3(
        &p,
        "CreateBucket",
        json!({"Bucket": "productionapp", "ObjectLockEnabledForBucket": true}),
    )
    .unwrap();
    let now = w.services.clock().now_epoch_f64();
    let out = w
        .put_with(
            &p,
            json!({"Bucket": "productionapp", "Key": "k", "ObjectLockMode": "COMPLIANCE",
                   "ObjectLockRetainUntilDate": now + 3600.0}),
            b"locked",
        )
        .unwrap();
    let v = out["VersionId"].as_str().unwrap();
    let err = w
        .s3(
            &p,
            "DeleteObject",
            json!({"Bucket": "productionapp", "Key": "k", "VersionId": v,
                   "BypassGovernanceRetention": true}),
        )
        .unwrap_err();
    assert_eq!((err.code, err.status), ("AccessDenied", 403));
    assert_eq!(w.get(&p, "productionapp", "k", None).unwrap().1, b"locked");
    let r = w
        .s3(
            &p,
            "GetObjectRetention",
            json!({"Bucket": "productionapp", "Key": "k", "VersionId": v}),
        )
        .unwrap();
    assert_eq!(r["Retention"]["Mode"], json!("COMPLIANCE"));
    // Past retention dates are refused.
    let err = w
        .put_with(
            &p,
            json!({"Bucket": "productionapp", "Key": "k2", "ObjectLockMode": "GOVERNANCE",
                   "ObjectLockRetainUntilDate": now - 10.0}),
            b"x",
        )
        .unwrap_err();
    assert_eq!(err.code, "InvalidArgument");
}

#[test]
fn system_tags_are_refused_on_buckets() {
    let w = World::new();
    let p = prod();
    w.s3(&p, "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let err = w
        .s3(
            &p,
            "PutBucketTagging",
            json!({"Bucket": "productionapp",
                   "Tagging": {"TagSet": [{"Key": "aws:team", "Value": "x"}]}}),
        )
        .unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        ("InvalidTag", "System tags cannot be added/updated by requester")
    );
    let out = w
        .s3(
            &p,
            "PutBucketTagging",
            json!({"Bucket": "productionapp",
                   "Tagging": {"TagSet": [{"Key": "team", "Value": "x"}]}}),
        )
        .unwrap();
    assert_eq!(out["__status"], json!(204));
}

/// A KMS key of PROD (us-east-1) with `alias/s3key`; returns its ARN.
fn prod_kms_key(w: &World) -> String {
    let out = w.call_with(&prod(), "kms", "CreateKey", json!({}), None).unwrap();
    let arn = out["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    let id = out["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    w.call_with(
        &prod(),
        "kms",
        "CreateAlias",
        json!({"AliasName": "alias/s3key", "TargetKeyId": id}),
        None,
    )
    .unwrap();
    arn
}

#[test]
fn objects_report_the_buckets_default_sse_s3() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let put = w.put(&prod(), "productionapp", "a", b"x").unwrap();
    assert_eq!(put["ServerSideEncryption"], "AES256");
    assert!(put.get("SSEKMSKeyId").is_none());
    let (get, _) = w.get(&prod(), "productionapp", "a", None).unwrap();
    assert_eq!(get["ServerSideEncryption"], "AES256");
    let head = w.s3(&prod(), "HeadObject", json!({"Bucket": "productionapp", "Key": "a"})).unwrap();
    assert_eq!(head["ServerSideEncryption"], "AES256");
    let copy = w
        .s3(
            &prod(),
            "CopyObject",
            json!({"Bucket": "productionapp", "Key": "b", "CopySource": "productionapp/a"}),
        )
        .unwrap();
    assert_eq!(copy["ServerSideEncryption"], "AES256");
    let up = w
        .s3(&prod(), "CreateMultipartUpload", json!({"Bucket": "productionapp", "Key": "m"}))
        .unwrap();
    assert_eq!(up["ServerSideEncryption"], "AES256");
    let id = up["UploadId"].as_str().unwrap();
    let part = w
        .put_with(
            &prod(),
            json!({"Bucket": "productionapp", "Key": "m", "UploadId": id, "PartNumber": 1}),
            b"p",
        )
        .unwrap();
    assert_eq!(part["ServerSideEncryption"], "AES256");
    let done = w
        .s3(
            &prod(),
            "CompleteMultipartUpload",
            json!({"Bucket": "productionapp", "Key": "m", "UploadId": id,
            "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}}),
        )
        .unwrap();
    assert_eq!(done["ServerSideEncryption"], "AES256");
    let head = w.s3(&prod(), "HeadObject", json!({"Bucket": "productionapp", "Key": "m"})).unwrap();
    assert_eq!(head["ServerSideEncryption"], "AES256");
}

#[test]
fn sse_kms_resolves_the_key_in_kms_and_follows_the_bucket_default() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "kmsbucket"})).unwrap();
    let arn = prod_kms_key(&w);
    // Named by alias: reported by key ARN.
    let put = w
        .put_with(
            &prod(),
            json!({"Bucket": "productionapp", "Key": "k", "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": "alias/s3key", "BucketKeyEnabled": true}),
            b"secret",
        )
        .unwrap();
    assert_eq!(put["ServerSideEncryption"], "aws:kms");
    assert_eq!(put["SSEKMSKeyId"], arn);
    assert_eq!(put["BucketKeyEnabled"], true);
    let (get, body) = w.get(&prod(), "productionapp", "k", None).unwrap();
    assert_eq!(body, b"secret");
    assert_eq!(get["SSEKMSKeyId"], arn);
    // An in-place copy without changes is refused, unless the encryption it ends with differs.
    w.put(&prod(), "productionapp", "plain", b"p").unwrap();
    let e = w
        .s3(
            &prod(),
            "CopyObject",
            json!({"Bucket": "productionapp", "Key": "plain", "CopySource": "productionapp/plain"}),
        )
        .unwrap_err();
    assert_eq!(e.code, "InvalidRequest");
    w.put_with(
        &prod(),
        json!({"Bucket": "productionapp", "Key": "k2", "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": arn}),
        b"s",
    )
    .unwrap();
    let copy = w
        .s3(
            &prod(),
            "CopyObject",
            json!({"Bucket": "productionapp", "Key": "k2", "CopySource": "productionapp/k2"}),
        )
        .unwrap();
    assert_eq!(copy["ServerSideEncryption"], "AES256");
    // A copy into a bucket whose default is SSE-S3 takes that default...
    let copy = w
        .s3(
            &prod(),
            "CopyObject",
            json!({"Bucket": "productionapp", "Key": "c", "CopySource": "productionapp/k"}),
        )
        .unwrap();
    assert_eq!(copy["ServerSideEncryption"], "AES256");
    assert!(copy.get("SSEKMSKeyId").is_none());
    // ...and a bucket whose default is SSE-KMS gives its key to writes that name none.
    w.s3(&prod(), "PutBucketEncryption", json!({"Bucket": "kmsbucket", "ServerSideEncryptionConfiguration":
        {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn}}]}}))
        .unwrap();
    let put = w.put(&prod(), "kmsbucket", "d", b"x").unwrap();
    assert_eq!(put["ServerSideEncryption"], "aws:kms");
    assert_eq!(put["SSEKMSKeyId"], arn);
    let copy = w
        .s3(
            &prod(),
            "CopyObject",
            json!({"Bucket": "kmsbucket", "Key": "e", "CopySource": "productionapp/a-missing"}),
        )
        .unwrap_err();
    assert_eq!(copy.code, "NoSuchKey");
    let copy = w
        .s3(
            &prod(),
            "CopyObject",
            json!({"Bucket": "kmsbucket", "Key": "e", "CopySource": "productionapp/c"}),
        )
        .unwrap();
    assert_eq!(copy["SSEKMSKeyId"], arn);
    // An in-place copy that changes the encryption is allowed.
    let copy = w
        .s3(
            &prod(),
            "CopyObject",
            json!({"Bucket": "kmsbucket", "Key": "e", "CopySource": "kmsbucket/e",
            "ServerSideEncryption": "AES256"}),
        )
        .unwrap();
    assert_eq!(copy["ServerSideEncryption"], "AES256");
    // Multipart: resolved at creation, answered by parts and completion, kept by the object.
    let up =
        w.s3(&prod(), "CreateMultipartUpload", json!({"Bucket": "kmsbucket", "Key": "m"})).unwrap();
    assert_eq!(up["SSEKMSKeyId"], arn);
    let id = up["UploadId"].as_str().unwrap();
    let part = w
        .put_with(
            &prod(),
            json!({"Bucket": "kmsbucket", "Key": "m", "UploadId": id, "PartNumber": 1}),
            b"p",
        )
        .unwrap();
    assert_eq!(part["SSEKMSKeyId"], arn);
    let done = w
        .s3(
            &prod(),
            "CompleteMultipartUpload",
            json!({"Bucket": "kmsbucket", "Key": "m", "UploadId": id,
            "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}}),
        )
        .unwrap();
    assert_eq!(done["ServerSideEncryption"], "aws:kms");
    let head = w.s3(&prod(), "HeadObject", json!({"Bucket": "kmsbucket", "Key": "m"})).unwrap();
    assert_eq!(head["SSEKMSKeyId"], arn);
}

#[test]
fn invalid_encryption_requests_write_nothing() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let arn = prod_kms_key(&w);
    let cases = [
        (json!({"ServerSideEncryption": "rot13"}), "InvalidArgument"),
        (json!({"ServerSideEncryption": "AES256", "SSEKMSKeyId": arn}), "InvalidArgument"),
        (json!({"SSEKMSKeyId": arn}), "InvalidArgument"),
        (
            json!({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/nope"}),
            "KMS.NotFoundException",
        ),
        (
            json!({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "garbage"}),
            "KMS.NotFoundException",
        ),
        (
            json!({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": arn, "SSEKMSEncryptionContext": "bm90IGpzb24="}),
            "InvalidArgument",
        ),
    ];
    for (extra, code) in cases {
        let mut input = json!({"Bucket": "productionapp", "Key": "k"});
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        let e = w.put_with(&prod(), input.clone(), b"x").unwrap_err();
        assert_eq!(e.code, code, "{input}");
        let e = w.s3(&prod(), "CreateMultipartUpload", input.clone()).unwrap_err();
        assert_eq!(e.code, code, "{input}");
    }
    assert_eq!(w.blob_files(), 0);
    let e =
        w.s3(&prod(), "HeadObject", json!({"Bucket": "productionapp", "Key": "k"})).unwrap_err();
    assert_eq!(e.code, "NoSuchKey");
    let uploads =
        w.s3(&prod(), "ListMultipartUploads", json!({"Bucket": "productionapp"})).unwrap();
    assert!(uploads.get("Uploads").is_none_or(|u| u.as_array().unwrap().is_empty()), "{uploads}");
    // A disabled key cannot encrypt.
    w.call_with(&prod(), "kms", "DisableKey", json!({"KeyId": arn}), None).unwrap();
    let e = w
        .put_with(&prod(), json!({"Bucket": "productionapp", "Key": "k", "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": arn}), b"x")
        .unwrap_err();
    assert_eq!(e.code, "KMS.DisabledException");
}

#[test]
fn sse_kms_without_a_key_uses_the_aws_managed_key_aws_s3() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let put = |key: &str| {
        w.put_with(
            &prod(),
            json!({"Bucket": "productionapp", "Key": key, "ServerSideEncryption": "aws:kms"}),
            b"secret",
        )
        .unwrap()
    };
    let first = put("a");
    let arn = first["SSEKMSKeyId"].as_str().unwrap().to_owned();
    assert!(arn.starts_with(&format!("arn:aws:kms:us-east-1:{PROD}:key/")), "{arn}");
    // Created once, then reused; named by its alias.
    assert_eq!(put("b")["SSEKMSKeyId"], arn);
    let kms = |op: &str, input: Value| w.call_with(&prod(), "kms", op, input, None);
    let d = kms("DescribeKey", json!({"KeyId": "alias/aws/s3"})).unwrap();
    assert_eq!(d["KeyMetadata"]["Arn"], arn);
    assert_eq!(d["KeyMetadata"]["KeyManager"], "AWS");
    let (_, body) = w.get(&prod(), "productionapp", "a", None).unwrap();
    assert_eq!(body, b"secret");
    // Its policy lets the account use it through S3 only, and nobody change it.
    let e = kms("Encrypt", json!({"KeyId": arn, "Plaintext": "eA=="})).unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    let e = kms("DisableKey", json!({"KeyId": arn})).unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    let policy = kms("GetKeyPolicy", json!({"KeyId": arn, "PolicyName": "default"})).unwrap();
    assert!(policy["Policy"].as_str().unwrap().contains("s3.us-east-1.amazonaws.com"));
}

#[test]
fn sse_kms_needs_generate_data_key_to_write_and_decrypt_to_read() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    let arn = prod_kms_key(&w);
    let s3_only = w.user(
        PROD,
        "s3only",
        Some(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})),
    );
    let writer = w.user(
        PROD,
        "writer",
        Some(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": arn}]})),
    );
    let input = json!({"Bucket": "productionapp", "Key": "k", "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": arn});
    let e = w.put_with(&s3_only, input.clone(), b"x").unwrap_err();
    assert_eq!((e.code, e.status), ("AccessDenied", 403));
    assert!(e.message.contains("kms:GenerateDataKey"), "{}", e.message);
    assert_eq!(w.blob_files(), 0);
    // SSE-S3 needs no KMS permission.
    w.put(&s3_only, "productionapp", "plain", b"x").unwrap();
    let put = w.put_with(&writer, input, b"x").unwrap();
    assert_eq!(put["SSEKMSKeyId"], arn);
    // HeadObject shows the encryption without kms:Decrypt; reading the bytes needs it.
    let head = w.s3(&writer, "HeadObject", json!({"Bucket": "productionapp", "Key": "k"})).unwrap();
    assert_eq!(head["SSEKMSKeyId"], arn);
    let e = w.get(&writer, "productionapp", "k", None).unwrap_err();
    assert_eq!((e.code, e.status), ("AccessDenied", 403));
    assert!(e.message.contains("kms:Decrypt"), "{}", e.message);
    let (_, body) = w.get(&prod(), "productionapp", "k", None).unwrap();
    assert_eq!(body, b"x");
}

#[test]
fn copies_take_the_website_redirect_location_from_the_request_only() {
    let w = World::new();
    w.s3(&prod(), "CreateBucket", json!({"Bucket": "productionapp"})).unwrap();
    w.put_with(
        &prod(),
        json!({"Bucket": "productionapp", "Key": "src", "WebsiteRedirectLocation": "/old.html"}),
        b"x",
    )
    .unwrap();
    let head = |key: &str| {
        w.s3(&prod(), "HeadObject", json!({"Bucket": "productionapp", "Key": key})).unwrap()
    };
    assert_eq!(head("src")["WebsiteRedirectLocation"], "/old.html");
    // COPY directive: the request's header sets it...
    w.s3(
        &prod(),
        "CopyObject",
        json!({"Bucket": "productionapp", "Key": "a", "CopySource": "productionapp/src",
            "WebsiteRedirectLocation": "http://example.com/"}),
    )
    .unwrap();
    assert_eq!(head("a")["WebsiteRedirectLocation"], "http://example.com/");
    // ...and without it the source's is not copied.
    w.s3(
        &prod(),
        "CopyObject",
        json!({"Bucket": "productionapp", "Key": "b", "CopySource": "productionapp/src"}),
    )
    .unwrap();
    assert!(head("b").get("WebsiteRedirectLocation").is_none());
}
