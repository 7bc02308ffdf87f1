//! Protocol behaviour through the public API: classification across protocols, rejections in each
//! protocol's envelope, decoding of real model shapes, and the AWS error codes clients rely on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::{json, Value};
use xacct_wire::{
    classify, classify_protocol_hint, decode, encode_output, encode_rejection,
    encode_route_rejection, protocol_guess, AwsError, HttpRequest, Models, Protocol, RejectionKind,
};

fn models() -> &'static Models {
    static M: std::sync::OnceLock<Models> = std::sync::OnceLock::new();
    M.get_or_init(|| Models::load().unwrap())
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");

fn form(body: &str) -> HttpRequest<'_> {
    HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: std::slice::from_ref(&FORM),
        body: body.as_bytes(),
    }
}

fn decode_form(scope: Option<&str>, body: &str) -> Result<Value, xacct_wire::Rejection> {
    let req = form(body);
    let route = classify(models(), &req, scope, None)?;
    decode(models(), &route, &req)
}

fn json_req<'a>(headers: &'a [(&'a str, &'a str)], body: &'a str) -> HttpRequest<'a> {
    HttpRequest { method: "POST", path: "/", query: "", headers, body: body.as_bytes() }
}

#[test]
fn get_caller_identity_routes_to_sts_with_or_without_scope() {
    let req = form("Action=GetCallerIdentity&Version=2011-06-15");
    for scope in [Some("sts"), None] {
        let r = classify(models(), &req, scope, Some("eu-central-1")).unwrap();
        assert_eq!(r.service_id(), "sts");
        assert_eq!(r.operation, "GetCallerIdentity");
        assert_eq!(r.protocol, Protocol::Query);
        assert_eq!(r.region, "eu-central-1");
        assert_eq!(decode(models(), &r, &req).unwrap(), json!({}));
    }
    // GET with the parameters in the query string works too.
    let get = HttpRequest {
        method: "GET",
        path: "/",
        query: "Action=GetCallerIdentity&Version=2011-06-15",
        headers: &[],
        body: b"",
    };
    let r = classify(models(), &get, None, None).unwrap();
    assert_eq!((r.service_id(), r.region.as_str()), ("sts", "us-east-1"));
}

#[test]
fn scope_decides_between_query_services() {
    // iam has no GetCallerIdentity: signed for iam, it is iam's InvalidAction, quoting the
    // version the request asked for.
    let req = form("Action=GetCallerIdentity&Version=2011-06-15");
    let rej = classify(models(), &req, Some("iam"), None).unwrap_err();
    let err = rej.to_aws_error(Protocol::Query);
    assert_eq!(err.code, "InvalidAction");
    assert_eq!(err.message, "Could not find operation GetCallerIdentity for version 2011-06-15");
    // Unscoped, the Version picks the service.
    let r = classify(models(), &form("Action=ListRoles&Version=2010-05-08"), None, None).unwrap();
    assert_eq!(r.service_id(), "iam");
    let r =
        classify(models(), &form("Action=DescribeImages&Version=2016-11-15"), None, None).unwrap();
    assert_eq!((r.service_id(), r.protocol), ("ec2", Protocol::Ec2));
    // Unscoped and unversioned, the model that has the action.
    let r = classify(models(), &form("Action=ListRoles"), None, None).unwrap();
    assert_eq!(r.service_id(), "iam");
}

#[test]
fn iam_create_role_tags_decode_from_member_lists() {
    let v = decode_form(
        Some("iam"),
        "Action=CreateRole&Version=2010-05-08&RoleName=productionapp&AssumeRolePolicyDocument=%7B%7D\
         &Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1\
         &MaxSessionDuration=3600&Bogus=ignored",
    )
    .unwrap();
    assert_eq!(
        v,
        json!({"RoleName": "productionapp", "AssumeRolePolicyDocument": "{}",
               "MaxSessionDuration": 3600,
               "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]})
    );
    // An empty list travels as `Name=`.
    let v = decode_form(
        Some("sts"),
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FUpdateApp\
         &RoleSessionName=David&TransitiveTagKeys=",
    )
    .unwrap();
    assert_eq!(v["TransitiveTagKeys"], json!([]));
}

#[test]
fn query_type_mismatch_and_missing_member_are_validation_errors() {
    let rej =
        decode_form(Some("iam"), "Action=ListRoles&Version=2010-05-08&MaxItems=lots").unwrap_err();
    assert!(matches!(rej.kind, RejectionKind::InvalidType { .. }));
    let err = rej.to_aws_error(Protocol::Query);
    assert_eq!((err.code.as_str(), err.status), ("ValidationError", 400));
    assert!(err.message.contains("'lots' at 'maxItems'"), "{}", err.message);

    let rej =
        decode_form(Some("iam"), "Action=CreateRole&Version=2010-05-08&RoleName=x").unwrap_err();
    let err = rej.to_aws_error(Protocol::Query);
    assert_eq!(
        err.message,
        "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"
    );
    // Nested required members are checked too (Tag.Value).
    let rej = decode_form(
        Some("iam"),
        "Action=TagRole&Version=2010-05-08&RoleName=x&Tags.member.1.Key=k",
    )
    .unwrap_err();
    assert_eq!(rej.kind, RejectionKind::MissingRequired { member: "Tags.member.1.Value".into() });
}

#[test]
fn broken_forms_wrong_content_types_and_oversize_bodies_are_rejected() {
    let rej =
        decode_form(Some("iam"), "Action=ListRoles&Version=2010-05-08&PathPrefix=%E").unwrap_err();
    assert_eq!(rej.kind, RejectionKind::Malformed);
    let resp = encode_rejection(Protocol::Query, &rej, "rid");
    assert_eq!(resp.status, 404);
    assert!(String::from_utf8_lossy(&resp.body).contains("<Code>MalformedQueryString</Code>"));

    // Action in the query string but a JSON body: not a form.
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: "Action=ListRoles&Version=2010-05-08",
        headers: &[("content-type", "application/json")],
        body: b"{}",
    };
    let route = classify(models(), &req, Some("iam"), None).unwrap();
    let rej = decode(models(), &route, &req).unwrap_err();
    assert_eq!(rej.kind, RejectionKind::UnsupportedContentType);

    let big = format!("Action=ListRoles&Version=2010-05-08&Marker={}", "a".repeat(1024 * 1024));
    let rej = decode_form(Some("iam"), &big).unwrap_err();
    assert!(matches!(rej.kind, RejectionKind::BodyTooLarge { .. }));
    assert_eq!(rej.to_aws_error(Protocol::Query).status, 413);

    let h =
        [("X-Amz-Target", "TrentService.Encrypt"), ("Content-Type", "application/x-amz-json-1.1")];
    let big = format!("{{\"KeyId\":\"{}\"}}", "k".repeat(1024 * 1024));
    let req = json_req(&h, &big);
    let route = classify(models(), &req, Some("kms"), None).unwrap();
    let rej = decode(models(), &route, &req).unwrap_err();
    let resp = encode_route_rejection(&route, &rej, "rid");
    assert_eq!(resp.status, 413);
}

#[test]
fn kms_encrypt_blob_stays_base64_and_bad_base64_is_rejected() {
    let h =
        [("X-Amz-Target", "TrentService.Encrypt"), ("Content-Type", "application/x-amz-json-1.1")];
    let req = json_req(&h, r#"{"KeyId":"alias/a","Plaintext":"aGk=","Unknown":1}"#);
    let route = classify(models(), &req, Some("kms"), None).unwrap();
    assert_eq!(route.protocol, Protocol::Json11);
    assert_eq!(
        decode(models(), &route, &req).unwrap(),
        json!({"KeyId": "alias/a", "Plaintext": "aGk="})
    );
    let req = json_req(&h, r#"{"KeyId":"alias/a","Plaintext":"!!"}"#);
    let rej = decode(models(), &route, &req).unwrap_err();
    let err = rej.to_aws_error(route.protocol);
    assert_eq!(err.code, "SerializationException");

    // Missing required member: ValidationException.
    let req = json_req(&h, r#"{"Plaintext":"aGk="}"#);
    let err = decode(models(), &route, &req).unwrap_err().to_aws_error(route.protocol);
    assert_eq!(err.code, "ValidationException");
    assert!(err.message.contains("at 'keyId'"), "{}", err.message);

    // Wrong content type and non-object bodies.
    let bad_ct = [("X-Amz-Target", "TrentService.Encrypt"), ("Content-Type", "text/plain")];
    let req = json_req(&bad_ct, r#"{"KeyId":"a","Plaintext":"aGk="}"#);
    assert_eq!(
        decode(models(), &route, &req).unwrap_err().kind,
        RejectionKind::UnsupportedContentType
    );
    let req = json_req(&h, r#"[1]"#);
    let err = decode(models(), &route, &req).unwrap_err().to_aws_error(route.protocol);
    assert_eq!(err.message, "Start of list found where not expected");
}

#[test]
fn organizations_create_account_decodes_and_json_versions_follow_the_target() {
    let h = [
        ("X-Amz-Target", "AWSOrganizationsV20161128.CreateAccount"),
        ("Content-Type", "application/x-amz-json-1.1"),
    ];
    let req = json_req(
        &h,
        r#"{"Email":"a@example.com","AccountName":"dev","Tags":[{"Key":"k","Value":"v"}],"IamUserAccessToBilling":null}"#,
    );
    let route = classify(models(), &req, None, None).unwrap();
    assert_eq!(route.service_id(), "organizations");
    let v = decode(models(), &route, &req).unwrap();
    assert_eq!(
        v,
        json!({"Email":"a@example.com","AccountName":"dev","Tags":[{"Key":"k","Value":"v"}]})
    );
    // An integer where a string is modeled.
    let req = json_req(&h, r#"{"Email":"a@example.com","AccountName":7}"#);
    let err = decode(models(), &route, &req).unwrap_err().to_aws_error(route.protocol);
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        ("SerializationException", "NUMBER_VALUE can not be converted to a String")
    );
    let h10 = [
        ("X-Amz-Target", "AwsProton20200720.ListEnvironments"),
        ("Content-Type", "application/x-amz-json-1.0"),
    ];
    let route = classify(models(), &json_req(&h10, "{}"), None, None).unwrap();
    assert_eq!((route.service_id(), route.protocol), ("proton", Protocol::Json10));
    let resp = encode_output(models(), &route, &json!({"environments": []}), "rid");
    assert_eq!(resp.header("content-type"), Some("application/x-amz-json-1.0"));
    assert_eq!(resp.body, br#"{"environments":[]}"#);
}

#[test]
fn unknown_operations_per_protocol() {
    let h = [("X-Amz-Target", "TrentService.Nope"), ("Content-Type", "application/x-amz-json-1.1")];
    let req = json_req(&h, "{}");
    let rej = classify(models(), &req, Some("kms"), None).unwrap_err();
    let resp = encode_rejection(protocol_guess(&req), &rej, "rid");
    assert_eq!(resp.status, 400);
    assert!(String::from_utf8_lossy(&resp.body).contains("UnknownOperationException"));

    let req = form("Action=Nope&Version=2016-11-15");
    let rej = classify(models(), &req, Some("ec2"), None).unwrap_err();
    let proto = classify_protocol_hint(models(), &req, Some("ec2"));
    assert_eq!(proto, Protocol::Ec2);
    let body = String::from_utf8(encode_rejection(proto, &rej, "rid").body).unwrap();
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
    assert!(body.contains("<RequestID>rid</RequestID>"), "{body}");

    // Unknown target prefix: a json UnknownOperationException.
    let h =
        [("X-Amz-Target", "Nobody_20200101.Op"), ("Content-Type", "application/x-amz-json-1.0")];
    let req = json_req(&h, "{}");
    let rej = classify(models(), &req, None, None).unwrap_err();
    assert_eq!(rej.kind, RejectionKind::UnknownService);
    assert_eq!(protocol_guess(&req), Protocol::Json10);

    // Signed for iam but no Action.
    let req = form("RoleName=x");
    let rej = classify(models(), &req, Some("iam"), None).unwrap_err();
    assert_eq!(rej.to_aws_error(Protocol::Query).code, "MissingAction");
}

#[test]
fn ec2_decodes_filters_and_rejects_bad_values() {
    let v = decode_form(
        Some("ec2"),
        "Action=DescribeImages&Version=2016-11-15&Filter.1.Name=name&Filter.1.Value.1=a&Filter.1.Value.2=b\
         &ImageId.1=ami-1&Owner.1=self&IncludeDeprecated=true",
    )
    .unwrap();
    assert_eq!(
        v,
        json!({"Filters":[{"Name":"name","Values":["a","b"]}],"ImageIds":["ami-1"],
               "Owners":["self"],"IncludeDeprecated":true})
    );
    let rej = decode_form(
        Some("ec2"),
        "Action=DescribeImages&Version=2016-11-15&IncludeDeprecated=maybe",
    )
    .unwrap_err();
    let err = rej.to_aws_error(Protocol::Ec2);
    assert_eq!(err.code, "InvalidParameterValue");
}

#[test]
fn timestamps_decode_to_epoch_seconds_in_every_protocol() {
    let h = [
        ("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"),
        ("Content-Type", "application/x-amz-json-1.1"),
    ];
    let req = json_req(&h, r#"{"StartTime":1795424186,"EndTime":"2026-11-23T09:56:26Z"}"#);
    let route = classify(models(), &req, None, None).unwrap();
    let v = decode(models(), &route, &req).unwrap();
    assert_eq!(v, json!({"StartTime":1795424186,"EndTime":1795427786}));
    let req = json_req(&h, r#"{"StartTime":true}"#);
    assert!(decode(models(), &route, &req).is_err());

    let v = decode_form(
        Some("ec2"),
        "Action=DescribeSpotPriceHistory&Version=2016-11-15&StartTime=2026-11-23T08%3A56%3A26.500Z",
    )
    .unwrap();
    assert_eq!(v["StartTime"], json!(1_795_424_186.5));
}

#[test]
fn service_errors_take_code_and_status_from_the_model() {
    let iam = models().service("iam").unwrap();
    let e =
        AwsError::from_shape(iam, "NoSuchEntityException", "The role with name x cannot be found.");
    assert_eq!((e.code.as_str(), e.status, e.sender_fault), ("NoSuchEntity", 404, true));
    let e = AwsError::from_shape(iam, "ServiceFailureException", "boom");
    assert_eq!((e.code.as_str(), e.status, e.sender_fault), ("ServiceFailure", 500, false));
    let sts = models().service("sts").unwrap();
    let e = AwsError::from_shape(sts, "ExpiredTokenException", "expired");
    assert_eq!((e.code.as_str(), e.status), ("ExpiredTokenException", 400));
}

#[test]
fn outputs_skip_unknown_and_null_members_and_accept_rfc3339_timestamps() {
    let req = form("Action=GetCallerIdentity&Version=2011-06-15");
    let route = classify(models(), &req, Some("sts"), None).unwrap();
    let resp = encode_output(
        models(),
        &route,
        &json!({"Account": "111122223333", "Arn": null, "Secret": "never"}),
        "rid",
    );
    let body = String::from_utf8(resp.body).unwrap();
    assert!(body.contains("<Account>111122223333</Account>"));
    assert!(!body.contains("Secret") && !body.contains("<Arn>"), "{body}");
}

#[test]
fn model_constraints_are_enforced_with_aws_wording() {
    let rej = decode_form(
        Some("iam"),
        "Action=CreateRole&Version=2010-05-08&RoleName=bad%20name&AssumeRolePolicyDocument=%7B%7D",
    )
    .unwrap_err();
    let err = rej.to_aws_error(Protocol::Query);
    assert_eq!((err.code.as_str(), err.status), ("ValidationError", 400));
    assert_eq!(
        err.message,
        "1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );

    let rej = decode_form(
        Some("sts"),
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FUpdateApp\
         &RoleSessionName=David&DurationSeconds=100&Tags.member.1.Key=&Tags.member.1.Value=v",
    )
    .unwrap_err();
    let RejectionKind::ConstraintViolation { violations } = &rej.kind else {
        panic!("{rej:?}");
    };
    assert_eq!(
        violations,
        &[
            "Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900".to_owned(),
            "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1".to_owned(),
            "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+".to_owned(),
        ]
    );
    assert!(rej.message.starts_with("3 validation errors detected: "));

    let h =
        [("X-Amz-Target", "TrentService.Encrypt"), ("Content-Type", "application/x-amz-json-1.1")];
    let req = json_req(&h, r#"{"KeyId":"k","Plaintext":"aGk=","EncryptionAlgorithm":"ROT13"}"#);
    let route = classify(models(), &req, Some("kms"), None).unwrap();
    let err = decode(models(), &route, &req).unwrap_err().to_aws_error(route.protocol);
    assert_eq!(err.code, "ValidationException");
    assert!(
        err.message.contains("at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, "),
        "{}",
        err.message
    );
    // Sensitive values are not echoed: KMS Plaintext is sensitive and at most 4096 bytes.
    let big = format!(r#"{{"KeyId":"k","Plaintext":"{}"}}"#, "QUFB".repeat(1400));
    let req = json_req(&h, &big);
    let err = decode(models(), &route, &req).unwrap_err().to_aws_error(route.protocol);
    assert_eq!(
        err.message,
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
    );
}

#[test]
fn json_output_converts_unambiguous_scalars() {
    let h = [
        ("X-Amz-Target", "AWSOrganizationsV20161128.CreateAccount"),
        ("Content-Type", "application/x-amz-json-1.1"),
    ];
    let req = json_req(&h, "{}");
    let route = classify(models(), &req, None, None).unwrap();
    let resp = encode_output(
        models(),
        &route,
        &json!({"CreateAccountStatus": {"AccountId": 444_455_556_666_u64, "RequestedTimestamp": "2026-11-23T08:56:26Z", "State": ["not", "a", "string"]}}),
        "rid",
    );
    assert_eq!(
        String::from_utf8(resp.body).unwrap(),
        r#"{"CreateAccountStatus":{"RequestedTimestamp":1795424186,"AccountId":"444455556666"}}"#
    );
}
