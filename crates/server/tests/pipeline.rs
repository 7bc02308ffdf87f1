//! The HTTP pipeline end to end over a socket: authentication outcomes, routing, bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use xacct_testkit::{Requester, TestServer, ROOT_KEY_ID, ROOT_SECRET};

const GCI: &str = "Action=GetCallerIdentity&Version=2011-06-15";

#[test]
fn root_get_caller_identity_over_query_protocol() {
    let server = TestServer::start().unwrap();
    let resp = server.root().query("sts", GCI).unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.contains("<Arn>arn:aws:iam::000000000000:root</Arn>"), "{}", resp.body);
    assert!(resp.body.contains(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    assert!(resp.header("x-amzn-RequestId").is_some());
}

#[test]
fn signature_failures_have_aws_codes_and_statuses() {
    let server = TestServer::start().unwrap();
    let wrong_secret = Requester::new(server.addr, ROOT_KEY_ID, "wrong-secret");
    let r = wrong_secret.query("sts", GCI).unwrap();
    assert_eq!(r.status, 403);
    assert!(r.body.contains("<Code>SignatureDoesNotMatch</Code>"), "{}", r.body);

    let unknown = Requester::new(server.addr, "AKIAUNKNOWNKEY000000", ROOT_SECRET);
    let r = unknown.query("sts", GCI).unwrap();
    assert_eq!(r.status, 403);
    assert!(r.body.contains("<Code>InvalidClientTokenId</Code>"), "{}", r.body);

    let mut past = server.root();
    past.skew_seconds = -20 * 60;
    let r = past.query("sts", GCI).unwrap();
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("Signature expired"), "{}", r.body);

    let mut near = server.root();
    near.skew_seconds = -10 * 60;
    assert_eq!(near.query("sts", GCI).unwrap().status, 200);

    let r = server
        .root()
        .raw("POST", "/", &[("content-type", "application/x-www-form-urlencoded")], GCI.as_bytes())
        .unwrap();
    assert_eq!(r.status, 403);
    assert!(r.body.contains("<Code>MissingAuthenticationToken</Code>"), "{}", r.body);

    let r = server
        .root()
        .raw(
            "POST",
            "/",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("authorization", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00"),
                ("x-amz-date", "20261123T000000Z"),
            ],
            GCI.as_bytes(),
        )
        .unwrap();
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("<Code>IncompleteSignature</Code>"), "{}", r.body);
}

#[test]
fn json_errors_use_the_json_envelope() {
    let server = TestServer::start().unwrap();
    let r = server
        .root()
        .json("organizations", "AWSOrganizationsV20161128.DescribeOrganization", "1.1", "{}")
        .unwrap();
    assert_eq!(r.status, 400);
    assert!(r.body.contains("AWSOrganizationsNotInUseException"), "{}", r.body);
    let r =
        server.root().json("organizations", "AWSOrganizationsV20161128.Nope", "1.1", "{}").unwrap();
    assert_eq!(r.status, 400);
    assert!(r.body.contains("UnknownOperationException"), "{}", r.body);
    let r = server
        .root()
        .json("organizations", "AWSOrganizationsV20161128.CreateOrganization", "1.1", "{not json")
        .unwrap();
    assert_eq!(r.status, 400, "{}", r.body);
    let r = server
        .root()
        .json("organizations", "AWSOrganizationsV20161128.DescribeOrganization", "1.1", "{}")
        .unwrap();
    assert!(
        r.body.contains("AWSOrganizationsNotInUseException"),
        "the broken CreateOrganization changed state: {}",
        r.body
    );
}

#[test]
fn garbage_bytes_get_a_4xx() {
    let server = TestServer::start().unwrap();
    let r = xacct_testkit::send_bytes(server.addr, b"GARBAGE\r\n\r\n").unwrap();
    assert!((400..500).contains(&r.status), "{r:?}");
    assert_eq!(server.root().query("sts", GCI).unwrap().status, 200);
}

#[test]
fn health_route_answers() {
    let server = TestServer::start().unwrap();
    let r = server.root().raw("GET", "/_xacct/health", &[], b"").unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.contains("\"store\":\"sqlite:"), "{}", r.body);
}

const LOOKUP: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";

#[test]
fn cloudtrail_records_refused_input_but_not_failed_authentication() {
    let server = TestServer::start().unwrap();
    let wrong_secret = Requester::new(server.addr, ROOT_KEY_ID, "wrong-secret");
    assert_eq!(wrong_secret.query("sts", GCI).unwrap().status, 403);
    // AssumeRole without its required members: refused by the wire layer, after authentication.
    let r = server.root().query("sts", "Action=AssumeRole&Version=2011-06-15").unwrap();
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(server.root().query("sts", GCI).unwrap().status, 200);

    let r = server.root().json("cloudtrail", LOOKUP, "1.1", "{}").unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let out: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let records: Vec<serde_json::Value> = out["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str(e["CloudTrailEvent"].as_str().unwrap()).unwrap())
        .collect();
    let names: Vec<&str> = records.iter().map(|r| r["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["GetCallerIdentity", "AssumeRole"], "newest first; no failed signature");
    assert_eq!(records[1]["errorCode"], "ValidationError");
    assert_eq!(records[1]["userIdentity"]["type"], "Root");
    assert_eq!(records[0]["sourceIPAddress"], "127.0.0.1");
}
