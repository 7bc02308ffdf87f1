//! CloudFormation unit tests: template parsing (JSON, YAML short forms), structure checks,
//! dependency order, intrinsic functions and conditions, and whole stacks provisioned against
//! an in-process store.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::intrinsics::{evaluate_conditions, Exports, ParamValue, Provisioned, Pseudo, Scope};
use super::template::{parse, Template};
use crate::{Call, Caller, Config, Services};

fn template(body: &str) -> Template {
    Template::from_value(&parse(body).unwrap()).unwrap()
}

fn template_err(body: &str) -> String {
    let err = parse(body).and_then(|v| Template::from_value(&v)).unwrap_err();
    assert_eq!(err.code, "ValidationError");
    err.message
}

#[test]
fn yaml_short_forms_become_long_forms() {
    let v = parse(
        r#"
AWSTemplateFormatVersion: 2010-09-09
Resources:
  R:
    Type: AWS::IAM::User
    Properties:
      UserName: !Sub "${AWS::StackName}-user"
      Path: !Join ["/", ["", !Ref P, ""]]
      Arn: !GetAtt Other.Arn
      Id: !GetAtt [Other, RoleId]
      Pick: !Select [0, !Split [",", "a,b"]]
      Flag: !If [C, yes, no]
      Cond: !Equals [!Ref P, x]
      Num: 3600
      Quoted: "3600"
      Version: 2012-10-17
      Nothing: ~
"#,
    )
    .unwrap();
    assert_eq!(v["AWSTemplateFormatVersion"], json!("2010-09-09"));
    let p = &v["Resources"]["R"]["Properties"];
    assert_eq!(p["UserName"], json!({"Fn::Sub": "${AWS::StackName}-user"}));
    assert_eq!(p["Path"], json!({"Fn::Join": ["/", ["", {"Ref": "P"}, ""]]}));
    assert_eq!(p["Arn"], json!({"Fn::GetAtt": ["Other", "Arn"]}));
    assert_eq!(p["Id"], json!({"Fn::GetAtt": ["Other", "RoleId"]}));
    assert_eq!(p["Pick"], json!({"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}));
    assert_eq!(p["Flag"], json!({"Fn::If": ["C", "yes", "no"]}));
    assert_eq!(p["Cond"], json!({"Fn::Equals": [{"Ref": "P"}, "x"]}));
    assert_eq!(p["Num"], json!(3600));
    assert_eq!(p["Quoted"], json!("3600"));
    assert_eq!(p["Version"], json!("2012-10-17"));
    assert_eq!(p["Nothing"], Value::Null);
}

#[test]
fn malformed_text_is_a_template_format_error() {
    let e = parse("{\"Resources\": ").unwrap_err();
    assert!(e.message.starts_with("Template format error: JSON not well-formed."), "{}", e.message);
    let e = parse("Resources:\n  R: [a,\n").unwrap_err();
    assert!(e.message.starts_with("Template format error: YAML not well-formed."), "{}", e.message);
    let e = parse("A: &x 1\nB: *x\n").unwrap_err();
    assert!(e.message.contains("aliases are not allowed"), "{}", e.message);
    let e = parse("A: !Bogus x\n").unwrap_err();
    assert!(e.message.contains("Unknown tag !Bogus"), "{}", e.message);
}

#[test]
fn structure_errors_use_aws_messages() {
    assert_eq!(
        template_err("Foo: 1\nResources:\n  R:\n    Type: AWS::IAM::User\n"),
        "Template format error: Invalid template property or properties [Foo]"
    );
    assert_eq!(
        template_err("Description: x\n"),
        "Template format error: At least one Resources member must be defined."
    );
    assert_eq!(
        template_err("Resources:\n  R:\n    Properties: {}\n"),
        "Template format error: [/Resources/R] Every Resources object must contain a Type member."
    );
    assert_eq!(
        template_err("Resources:\n  R:\n    Type: AWS::IAM::User\n    Properties:\n      Path: !Ref Nope\n"),
        "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"
    );
    assert_eq!(
        template_err("Resources:\n  R:\n    Type: AWS::IAM::User\nOutputs:\n  O:\n    Value: !GetAtt Nope.Arn\n"),
        "Template error: instance of Fn::GetAtt references undefined resource Nope"
    );
    assert_eq!(
        template_err("Resources:\n  R:\n    Type: Bucket\n"),
        "Template format error: Unrecognized resource types: [Bucket]"
    );
    assert_eq!(
        template_err(
            "Parameters:\n  P:\n    Type: Strange\nResources:\n  R:\n    Type: AWS::IAM::User\n"
        ),
        "Template format error: Unrecognized parameter type: Strange"
    );
}

#[test]
fn resources_are_ordered_by_their_dependencies() {
    let t = template(
        r#"{"Resources": {
            "A": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "B"}]}},
            "B": {"Type": "AWS::IAM::Role", "Properties": {"Description": {"Fn::Sub": "${C.Arn}"}}},
            "C": {"Type": "AWS::IAM::User"},
            "D": {"Type": "AWS::IAM::Group", "DependsOn": "A"}
        }}"#,
    );
    let order: Vec<&str> = t.resources.iter().map(|r| r.logical_id.as_str()).collect();
    assert_eq!(order, ["C", "B", "A", "D"]);
    assert_eq!(t.resource("B").unwrap().depends_on, ["C"]);
}

#[test]
fn a_cycle_is_refused() {
    let msg = template_err(
        r#"{"Resources": {
            "A": {"Type": "AWS::IAM::User", "Properties": {"Path": {"Ref": "B"}}},
            "B": {"Type": "AWS::IAM::User", "DependsOn": ["A"]},
            "C": {"Type": "AWS::IAM::User"}
        }}"#,
    );
    assert_eq!(msg, "Template format error: Circular dependency between resources: [A, B]");
}

fn scope_fixture() -> (BTreeMap<String, ParamValue>, Pseudo, BTreeMap<String, Provisioned>) {
    let mut params = BTreeMap::new();
    params.insert("Env".to_owned(), ParamValue::Text("prod".into()));
    params.insert("Subnets".to_owned(), ParamValue::List(vec!["a".into(), "b".into()]));
    let pseudo = Pseudo {
        account: "111111111111".into(),
        region: "eu-west-1".into(),
        stack_name: "web".into(),
        stack_id: "arn:aws:cloudformation:eu-west-1:111111111111:stack/web/x".into(),
        notification_arns: Vec::new(),
    };
    let mut resources = BTreeMap::new();
    resources.insert(
        "Role".to_owned(),
        Provisioned {
            physical_id: "web-Role-ABC".into(),
            attributes: [(
                "Arn".to_owned(),
                "arn:aws:iam::111111111111:role/web-Role-ABC".to_owned(),
            )]
            .into_iter()
            .collect(),
        },
    );
    (params, pseudo, resources)
}

#[test]
fn intrinsics_evaluate_like_cloudformation() {
    let (params, pseudo, resources) = scope_fixture();
    let mappings = json!({"Size": {"prod": {"Count": "3"}}}).as_object().unwrap().clone();
    let conditions: BTreeMap<String, bool> = [("IsProd".to_owned(), true)].into_iter().collect();
    let mut exports = Exports::default();
    exports.by_name.insert("net-vpc".into(), ("vpc-123".into(), "network".into()));
    let scope = Scope {
        params: &params,
        pseudo: &pseudo,
        resources: &resources,
        conditions: &conditions,
        mappings: &mappings,
        exports: &exports,
    };
    let eval = |v: Value| scope.eval(&v).unwrap();
    assert_eq!(eval(json!({"Ref": "Role"})), Some(json!("web-Role-ABC")));
    assert_eq!(eval(json!({"Ref": "AWS::Region"})), Some(json!("eu-west-1")));
    assert_eq!(eval(json!({"Ref": "Subnets"})), Some(json!(["a", "b"])));
    assert_eq!(
        eval(json!({"Fn::GetAtt": ["Role", "Arn"]})),
        Some(json!("arn:aws:iam::111111111111:role/web-Role-ABC"))
    );
    assert_eq!(
        eval(json!({"Fn::Sub": "${AWS::StackName}-${Env}-${Role.Arn}-${!Literal}"})),
        Some(json!("web-prod-arn:aws:iam::111111111111:role/web-Role-ABC-${Literal}"))
    );
    assert_eq!(
        eval(json!({"Fn::Sub": ["${A}/${Env}", {"A": {"Ref": "AWS::AccountId"}}]})),
        Some(json!("111111111111/prod"))
    );
    assert_eq!(eval(json!({"Fn::Join": [",", {"Ref": "Subnets"}]})), Some(json!("a,b")));
    assert_eq!(eval(json!({"Fn::Select": ["1", {"Fn::Split": ["-", "x-y-z"]}]})), Some(json!("y")));
    assert_eq!(eval(json!({"Fn::FindInMap": ["Size", {"Ref": "Env"}, "Count"]})), Some(json!("3")));
    assert_eq!(eval(json!({"Fn::If": ["IsProd", "big", "small"]})), Some(json!("big")));
    assert_eq!(eval(json!({"Fn::Base64": "hi"})), Some(json!("aGk=")));
    assert_eq!(eval(json!({"Ref": "AWS::NoValue"})), None);
    assert_eq!(
        eval(
            json!({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, 2]}]})
        ),
        Some(json!({"B": [1]}))
    );
    let err = scope.eval(&json!({"Fn::GetAtt": ["Role", "Nope"]})).unwrap_err();
    assert_eq!(
        err.message,
        "Template error: resource Role does not support attribute type Nope in Fn::GetAtt"
    );
    assert_eq!(eval(json!({"Fn::ImportValue": {"Fn::Sub": "net-vpc"}})), Some(json!("vpc-123")));
    assert!(exports.imported.borrow().contains("net-vpc"));
    let err = scope.eval(&json!({"Fn::ImportValue": "x"})).unwrap_err();
    assert_eq!(err.message, "Template error: No export named x found.");
    let err = scope.eval(&json!({"Fn::Cidr": ["10.0.0.0/16", 2, 8]})).unwrap_err();
    assert!(err.message.contains("not supported by xacct"));
}

#[test]
fn conditions_see_parameters_and_each_other() {
    let (params, pseudo, _) = scope_fixture();
    let conditions = json!({
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Or": [{"Condition": "NotProd"}, {"Fn::Equals": ["a", "a"]}]}]}
    });
    let done = evaluate_conditions(
        conditions.as_object().unwrap(),
        &params,
        &pseudo,
        &serde_json::Map::new(),
    )
    .unwrap();
    assert!(done["IsProd"]);
    assert!(!done["NotProd"]);
    assert!(done["Both"]);
    let cyclic = json!({"A": {"Condition": "B"}, "B": {"Condition": "A"}});
    let err =
        evaluate_conditions(cyclic.as_object().unwrap(), &params, &pseudo, &serde_json::Map::new())
            .unwrap_err();
    assert!(err.message.contains("Circular dependency between conditions"), "{}", err.message);
}

#[test]
fn generated_names_fit_the_type_limit() {
    let n = super::provider::generated_name("MyStack", "RootInstanceProfile", 128).unwrap();
    assert!(n.starts_with("MyStack-RootInstanceProfile-"), "{n}");
    assert_eq!(n.len(), "MyStack-RootInstanceProfile-".len() + 12);
    let long = "S".repeat(100);
    let n = super::provider::generated_name(&long, &"L".repeat(100), 64).unwrap();
    assert_eq!(n.len(), 64);
}

// ---------------------------------------------------------------- whole stacks

fn services() -> (tempfile::TempDir, Services) {
    let dir = tempfile::tempdir().unwrap();
    let store = xacct_store::open_sqlite(dir.path()).unwrap();
    let services = Services::new(store, Arc::new(crate::Clock::new()), Config::default());
    services.bootstrap(None).unwrap();
    (dir, services)
}

fn call(
    services: &Services,
    caller: &Caller,
    service: &str,
    operation: &str,
    input: Value,
) -> Result<Value, crate::ServiceError> {
    let c = Call {
        service,
        operation,
        region: "us-east-1",
        caller,
        input: &input,
        request_id: "req-1",
        source_ip: "",
        user_agent: "",
        streams: None,
    };
    services.call(&c)
}

/// Creates stack `name` from `body`, checks it reached CREATE_COMPLETE and returns its outputs
/// by key.
fn create_stack_outputs(
    s: &Services,
    caller: &Caller,
    name: &str,
    body: &str,
) -> BTreeMap<String, String> {
    call(
        s,
        caller,
        "cloudformation",
        "CreateStack",
        json!({"StackName": name, "TemplateBody": body}),
    )
    .unwrap();
    let d =
        call(s, caller, "cloudformation", "DescribeStacks", json!({"StackName": name})).unwrap();
    let stack = &d["Stacks"][0];
    assert_eq!(stack["StackStatus"], "CREATE_COMPLETE");
    stack["Outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["OutputKey"].as_str().unwrap().to_owned(),
                o["OutputValue"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const ROLE_AND_PROFILE: &str = r#"
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: logs:PutLogEvents
                Resource: "*"
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
Outputs:
  RoleArn:
    Value: !GetAtt Role.Arn
  Named:
    Value: !Sub "${AWS::StackName}-${Env}"
"#;

#[test]
fn a_stack_creates_describes_and_deletes_its_iam_resources() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    let input = json!({"StackName": "web", "TemplateBody": ROLE_AND_PROFILE});
    let err = call(&s, &root, "cloudformation", "CreateStack", input.clone()).unwrap_err();
    assert_eq!(err.code, "InsufficientCapabilitiesException");
    assert_eq!(err.message, "Requires capabilities : [CAPABILITY_IAM]");

    let mut input = input;
    input["Capabilities"] = json!(["CAPABILITY_IAM"]);
    let out = call(&s, &root, "cloudformation", "CreateStack", input.clone()).unwrap();
    let stack_id = out["StackId"].as_str().unwrap().to_owned();
    assert!(stack_id.starts_with("arn:aws:cloudformation:us-east-1:000000000000:stack/web/"));
    let again = call(&s, &root, "cloudformation", "CreateStack", input).unwrap_err();
    assert_eq!(again.code, "AlreadyExistsException");
    assert_eq!(again.message, "Stack [web] already exists");

    let d =
        call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "web"})).unwrap();
    let stack = &d["Stacks"][0];
    assert_eq!(stack["StackStatus"], "CREATE_COMPLETE");
    let outputs: BTreeMap<String, String> = stack["Outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["OutputKey"].as_str().unwrap().to_owned(),
                o["OutputValue"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(outputs["Named"], "web-dev");
    let resources =
        call(&s, &root, "cloudformation", "ListStackResources", json!({"StackName": "web"}))
            .unwrap();
    let list = resources["StackResourceSummaries"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let role_name = list.iter().find(|r| r["LogicalResourceId"] == "Role").unwrap()
        ["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(role_name.starts_with("web-Role-"), "{role_name}");
    let role = call(&s, &root, "iam", "GetRole", json!({"RoleName": role_name})).unwrap();
    assert_eq!(role["Role"]["Arn"].as_str().unwrap(), outputs["RoleArn"]);
    let profiles =
        call(&s, &root, "iam", "ListInstanceProfilesForRole", json!({"RoleName": role_name}))
            .unwrap();
    assert_eq!(profiles["InstanceProfiles"].as_array().unwrap().len(), 1);

    call(&s, &root, "cloudformation", "DeleteStack", json!({"StackName": "web"})).unwrap();
    let gone = call(&s, &root, "iam", "GetRole", json!({"RoleName": role_name})).unwrap_err();
    assert_eq!(gone.code, "NoSuchEntity");
    let missing = call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "web"}))
        .unwrap_err();
    assert_eq!(missing.message, "Stack with id web does not exist");
    let by_id = call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": stack_id}))
        .unwrap();
    assert_eq!(by_id["Stacks"][0]["StackStatus"], "DELETE_COMPLETE");
    let listed = call(
        &s,
        &root,
        "cloudformation",
        "ListStacks",
        json!({"StackStatusFilter": ["DELETE_COMPLETE"]}),
    )
    .unwrap();
    assert_eq!(listed["StackSummaries"].as_array().unwrap().len(), 1);
}

#[test]
fn a_failing_resource_rolls_back_what_was_created() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    let body = r#"{"Resources": {
        "Existing": {"Type": "AWS::IAM::User", "Properties": {"UserName": "taken"}},
        "Bucket": {"Type": "AWS::SQS::Queue", "DependsOn": "Existing"}
    }}"#;
    let out = call(
        &s,
        &root,
        "cloudformation",
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": body, "Capabilities": ["CAPABILITY_NAMED_IAM"]}),
    )
    .unwrap();
    assert!(out["StackId"].is_string());
    let d = call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "s"})).unwrap();
    assert_eq!(d["Stacks"][0]["StackStatus"], "ROLLBACK_COMPLETE");
    let user = call(&s, &root, "iam", "GetUser", json!({"UserName": "taken"})).unwrap_err();
    assert_eq!(user.code, "NoSuchEntity");
    let events =
        call(&s, &root, "cloudformation", "DescribeStackEvents", json!({"StackName": "s"}))
            .unwrap();
    let failed = events["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["ResourceStatus"] == "CREATE_FAILED")
        .unwrap();
    assert_eq!(failed["LogicalResourceId"], "Bucket");
    assert_eq!(
        failed["ResourceStatusReason"],
        "Resource type AWS::SQS::Queue is not emulated by xacct"
    );
}

#[test]
fn buckets_and_keys_are_created_updated_and_deleted_through_s3_and_kms() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    let body = r#"{"Resources": {
        "Logs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "team-logs", "Tags": [{"Key": "team", "Value": "blue"}]}},
        "Scratch": {"Type": "AWS::S3::Bucket"},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": "logs key"}}
    }, "Outputs": {
        "LogsArn": {"Value": {"Fn::GetAtt": ["Logs", "Arn"]}},
        "KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}},
        "KeyId": {"Value": {"Ref": "Key"}}
    }}"#;
    let outputs = create_stack_outputs(&s, &root, "data", body);
    let out = |k: &str| outputs[k].clone();
    assert_eq!(out("LogsArn"), "arn:aws:s3:::team-logs");
    let key_id = out("KeyId");
    assert_eq!(out("KeyArn"), format!("arn:aws:kms:us-east-1:000000000000:key/{key_id}"));
    call(&s, &root, "s3", "HeadBucket", json!({"Bucket": "team-logs"})).unwrap();
    let tags = call(&s, &root, "s3", "GetBucketTagging", json!({"Bucket": "team-logs"})).unwrap();
    assert_eq!(tags["TagSet"][0]["Key"], "team");
    let key = call(&s, &root, "kms", "DescribeKey", json!({"KeyId": key_id})).unwrap();
    assert_eq!(key["KeyMetadata"]["Description"], "logs key");
    let resources =
        call(&s, &root, "cloudformation", "DescribeStackResources", json!({"StackName": "data"}))
            .unwrap();
    let scratch = resources["StackResources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["LogicalResourceId"] == "Scratch")
        .unwrap()["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(scratch.starts_with("data-scratch-"), "{scratch}");
    assert_eq!(scratch, scratch.to_lowercase());

    call(&s, &root, "cloudformation", "DeleteStack", json!({"StackName": "data"})).unwrap();
    for bucket in ["team-logs", scratch.as_str()] {
        let gone = call(&s, &root, "s3", "HeadBucket", json!({"Bucket": bucket})).unwrap_err();
        assert_eq!(gone.status, 404);
    }
    let key = call(&s, &root, "kms", "DescribeKey", json!({"KeyId": key_id})).unwrap();
    assert_eq!(key["KeyMetadata"]["KeyState"], "PendingDeletion");
}

#[test]
fn bucket_encryption_and_endpoint_attributes() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    let enc = |alg: &str| {
        json!({"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": alg}, "BucketKeyEnabled": true}
        ]})
    };
    let template = |encryption: Option<Value>| {
        let mut props = json!({"BucketName": "site-bucket"});
        if let Some(e) = encryption {
            props["BucketEncryption"] = e;
        }
        json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": props}},
        "Outputs": {
            "Web": {"Value": {"Fn::GetAtt": ["B", "WebsiteURL"]}},
            "Dual": {"Value": {"Fn::GetAtt": ["B", "DualStackDomainName"]}}
        }})
        .to_string()
    };
    let outputs = create_stack_outputs(&s, &root, "site", &template(Some(enc("AES256"))));
    let out = |k: &str| outputs[k].clone();
    // us-east-1 is one of the regions whose website endpoint has a dash.
    assert_eq!(out("Web"), "http://site-bucket.s3-website-us-east-1.amazonaws.com");
    assert_eq!(out("Dual"), "site-bucket.s3.dualstack.us-east-1.amazonaws.com");
    let got =
        call(&s, &root, "s3", "GetBucketEncryption", json!({"Bucket": "site-bucket"})).unwrap();
    let rule = &got["ServerSideEncryptionConfiguration"]["Rules"][0];
    assert_eq!(rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256");
    assert_eq!(rule["BucketKeyEnabled"], true);
    // Removing the property resets the bucket to S3's default encryption.
    call(
        &s,
        &root,
        "cloudformation",
        "UpdateStack",
        json!({"StackName": "site", "TemplateBody": template(None)}),
    )
    .unwrap();
    let got =
        call(&s, &root, "s3", "GetBucketEncryption", json!({"Bucket": "site-bucket"})).unwrap();
    let rule = &got["ServerSideEncryptionConfiguration"]["Rules"][0];
    assert_eq!(rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256");
    assert_ne!(rule["BucketKeyEnabled"], true);
}

#[test]
fn website_endpoints_follow_the_regions_form() {
    assert_eq!(
        super::provider::website_endpoint("eu-central-1"),
        "s3-website.eu-central-1.amazonaws.com"
    );
    assert_eq!(
        super::provider::website_endpoint("us-west-2"),
        "s3-website-us-west-2.amazonaws.com"
    );
}

#[test]
fn an_update_changes_in_place_replaces_and_removes() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    let v1 = "Resources:\n  A:\n    Type: AWS::IAM::User\n  B:\n    Type: AWS::IAM::User\n";
    call(
        &s,
        &root,
        "cloudformation",
        "CreateStack",
        json!({"StackName": "u", "TemplateBody": v1, "Capabilities": ["CAPABILITY_IAM"]}),
    )
    .unwrap();
    let names = |s: &Services| -> BTreeMap<String, String> {
        call(s, &root, "cloudformation", "ListStackResources", json!({"StackName": "u"})).unwrap()
            ["StackResourceSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["LogicalResourceId"].as_str().unwrap().to_owned(),
                    r["PhysicalResourceId"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let before = names(&s);
    let v2 = "Resources:\n  A:\n    Type: AWS::IAM::User\n    Properties:\n      Path: /team/\n      UserName: renamed\n";
    let err = call(
        &s,
        &root,
        "cloudformation",
        "UpdateStack",
        json!({"StackName": "u", "TemplateBody": v2, "Capabilities": ["CAPABILITY_IAM"]}),
    )
    .unwrap_err();
    assert_eq!(err.message, "Requires capabilities : [CAPABILITY_NAMED_IAM]");
    call(
        &s,
        &root,
        "cloudformation",
        "UpdateStack",
        json!({"StackName": "u", "TemplateBody": v2, "Capabilities": ["CAPABILITY_NAMED_IAM"]}),
    )
    .unwrap();
    let after = names(&s);
    assert_eq!(after.len(), 1);
    assert_eq!(after["A"], "renamed");
    for old in before.values() {
        assert_eq!(
            call(&s, &root, "iam", "GetUser", json!({"UserName": old})).unwrap_err().code,
            "NoSuchEntity"
        );
    }
    let user = call(&s, &root, "iam", "GetUser", json!({"UserName": "renamed"})).unwrap();
    assert_eq!(user["User"]["Path"], "/team/");
    let same = call(
        &s,
        &root,
        "cloudformation",
        "UpdateStack",
        json!({"StackName": "u", "TemplateBody": v2, "Capabilities": ["CAPABILITY_NAMED_IAM"]}),
    )
    .unwrap_err();
    assert_eq!(same.message, "No updates are to be performed.");
}

#[test]
fn parameters_are_checked_like_cloudformation() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    let body = "Parameters:\n  N:\n    Type: Number\n    MaxValue: 5\n  E:\n    Type: String\n    AllowedValues: [a, b]\nResources:\n  G:\n    Type: AWS::IAM::Group\n";
    let run = |params: Value| {
        call(
            &s,
            &root,
            "cloudformation",
            "CreateStack",
            json!({"StackName": "p", "TemplateBody": body, "Parameters": params, "Capabilities": ["CAPABILITY_IAM"]}),
        )
    };
    assert_eq!(run(json!([])).unwrap_err().message, "Parameters: [E, N] must have values");
    assert_eq!(
        run(json!([{"ParameterKey": "Z", "ParameterValue": "1"}])).unwrap_err().message,
        "Parameters: [Z] do not exist in the template"
    );
    assert_eq!(
        run(json!([{"ParameterKey": "N", "ParameterValue": "x"}, {"ParameterKey": "E", "ParameterValue": "a"}])).unwrap_err().message,
        "Parameter 'N' must be a number."
    );
    assert_eq!(
        run(json!([{"ParameterKey": "N", "ParameterValue": "9"}, {"ParameterKey": "E", "ParameterValue": "a"}])).unwrap_err().message,
        "Parameter 'N' must be a number not greater than 5"
    );
    assert_eq!(
        run(json!([{"ParameterKey": "N", "ParameterValue": "1"}, {"ParameterKey": "E", "ParameterValue": "c"}])).unwrap_err().message,
        "Parameter 'E' must be one of AllowedValues"
    );
    run(json!([{"ParameterKey": "N", "ParameterValue": "1"}, {"ParameterKey": "E", "ParameterValue": "a"}])).unwrap();
}

#[test]
fn nested_calls_are_authorized_as_the_caller() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    // A user allowed CloudFormation but only iam:CreateUser: the group fails with AccessDenied.
    call(&s, &root, "iam", "CreateUser", json!({"UserName": "dev"})).unwrap();
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["cloudformation:*", "iam:CreateUser", "iam:DeleteUser", "iam:ListGroupsForUser", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies"], "Resource": "*"}
    ]});
    call(
        &s,
        &root,
        "iam",
        "PutUserPolicy",
        json!({"UserName": "dev", "PolicyName": "p", "PolicyDocument": policy.to_string()}),
    )
    .unwrap();
    let key = call(&s, &root, "iam", "CreateAccessKey", json!({"UserName": "dev"})).unwrap();
    let key_id = key["AccessKey"]["AccessKeyId"].as_str().unwrap();
    let dev = s.resolve_access_key(key_id).unwrap().unwrap().caller.clone();
    let body = "Resources:\n  U:\n    Type: AWS::IAM::User\n  G:\n    Type: AWS::IAM::Group\n    DependsOn: U\n";
    call(
        &s,
        &dev,
        "cloudformation",
        "CreateStack",
        json!({"StackName": "a", "TemplateBody": body, "Capabilities": ["CAPABILITY_IAM"]}),
    )
    .unwrap();
    let d = call(&s, &dev, "cloudformation", "DescribeStackResources", json!({"StackName": "a"}))
        .unwrap();
    let g = d["StackResources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["LogicalResourceId"] == "G")
        .unwrap();
    assert_eq!(g["ResourceStatus"], "DELETE_COMPLETE");
    let events =
        call(&s, &dev, "cloudformation", "DescribeStackEvents", json!({"StackName": "a"})).unwrap();
    let reason = events["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["ResourceStatus"] == "CREATE_FAILED")
        .unwrap()["ResourceStatusReason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("is not authorized to perform: iam:CreateGroup"), "{reason}");
    assert!(reason.contains("(Service: Iam, Status Code: 403"), "{reason}");
    assert!(reason.ends_with("(HandlerErrorCode: AccessDenied)"), "{reason}");
    let stack =
        call(&s, &dev, "cloudformation", "DescribeStacks", json!({"StackName": "a"})).unwrap();
    assert_eq!(stack["Stacks"][0]["StackStatus"], "ROLLBACK_COMPLETE");
    // The user created before the failure was rolled back: only `dev` is left.
    let users = call(&s, &root, "iam", "ListUsers", json!({})).unwrap();
    assert_eq!(users["Users"].as_array().unwrap().len(), 1);
}

#[test]
fn a_service_role_needs_pass_role_and_a_trust_policy_for_cloudformation() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    let trust_ec2 = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    call(
        &s,
        &root,
        "iam",
        "CreateRole",
        json!({"RoleName": "wrong", "AssumeRolePolicyDocument": trust_ec2.to_string()}),
    )
    .unwrap();
    let body = "Resources:\n  U:\n    Type: AWS::IAM::User\n";
    let err = call(&s, &root, "cloudformation", "CreateStack", json!({"StackName": "r", "TemplateBody": body, "Capabilities": ["CAPABILITY_IAM"], "RoleARN": "arn:aws:iam::000000000000:role/wrong"})).unwrap_err();
    assert_eq!(
        err.message,
        "Role arn:aws:iam::000000000000:role/wrong is invalid or cannot be assumed"
    );

    let trust_cfn = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    call(
        &s,
        &root,
        "iam",
        "CreateRole",
        json!({"RoleName": "deployer", "AssumeRolePolicyDocument": trust_cfn.to_string()}),
    )
    .unwrap();
    // The role may create users only: the stack's user is created by the role's session.
    let perms = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:CreateUser", "iam:DeleteUser", "iam:List*"], "Resource": "*"}]});
    call(
        &s,
        &root,
        "iam",
        "PutRolePolicy",
        json!({"RoleName": "deployer", "PolicyName": "p", "PolicyDocument": perms.to_string()}),
    )
    .unwrap();
    let role_arn = "arn:aws:iam::000000000000:role/deployer";
    call(&s, &root, "cloudformation", "CreateStack", json!({"StackName": "r", "TemplateBody": body, "Capabilities": ["CAPABILITY_IAM"], "RoleARN": role_arn})).unwrap();
    let d = call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "r"})).unwrap();
    assert_eq!(d["Stacks"][0]["StackStatus"], "CREATE_COMPLETE");
    assert_eq!(d["Stacks"][0]["RoleARN"], role_arn);
    let group_body = "Resources:\n  G:\n    Type: AWS::IAM::Group\n";
    call(
        &s,
        &root,
        "cloudformation",
        "UpdateStack",
        json!({"StackName": "r", "TemplateBody": group_body, "Capabilities": ["CAPABILITY_IAM"]}),
    )
    .unwrap();
    let d = call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "r"})).unwrap();
    assert_eq!(d["Stacks"][0]["StackStatus"], "UPDATE_ROLLBACK_COMPLETE");
}

#[test]
fn an_export_is_imported_and_keeps_its_exporter_alive() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    let network = "Resources:\n  G:\n    Type: AWS::IAM::Group\nOutputs:\n  GroupArn:\n    Value: !GetAtt G.Arn\n    Export:\n      Name: shared-group-arn\n";
    call(&s, &root, "cloudformation", "CreateStack", json!({"StackName": "network", "TemplateBody": network, "Capabilities": ["CAPABILITY_IAM"]})).unwrap();
    let twin = call(
        &s,
        &root,
        "cloudformation",
        "CreateStack",
        json!({"StackName": "twin", "TemplateBody": network, "Capabilities": ["CAPABILITY_IAM"]}),
    )
    .unwrap();
    assert!(twin["StackId"].is_string());
    let d =
        call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "twin"})).unwrap();
    assert_eq!(d["Stacks"][0]["StackStatus"], "ROLLBACK_COMPLETE");
    let events =
        call(&s, &root, "cloudformation", "DescribeStackEvents", json!({"StackName": "twin"}))
            .unwrap();
    let rollback = events["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
        .unwrap();
    assert_eq!(
        rollback["ResourceStatusReason"],
        "Export with name shared-group-arn is already exported by stack network. Rollback requested by user."
    );

    let app = "Resources:\n  U:\n    Type: AWS::IAM::User\n    Properties:\n      Path: /app/\n      Tags:\n        - Key: group\n          Value: !ImportValue shared-group-arn\n";
    call(
        &s,
        &root,
        "cloudformation",
        "CreateStack",
        json!({"StackName": "app", "TemplateBody": app, "Capabilities": ["CAPABILITY_IAM"]}),
    )
    .unwrap();
    let d =
        call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "app"})).unwrap();
    assert_eq!(d["Stacks"][0]["StackStatus"], "CREATE_COMPLETE");

    call(&s, &root, "cloudformation", "DeleteStack", json!({"StackName": "network"})).unwrap();
    let d = call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "network"}))
        .unwrap();
    assert_eq!(d["Stacks"][0]["StackStatus"], "DELETE_FAILED");
    assert_eq!(
        d["Stacks"][0]["StackStatusReason"],
        "Export shared-group-arn cannot be deleted as it is in use by app"
    );
    call(&s, &root, "cloudformation", "DeleteStack", json!({"StackName": "app"})).unwrap();
    call(&s, &root, "cloudformation", "DeleteStack", json!({"StackName": "network"})).unwrap();
    let gone = call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "network"}))
        .unwrap_err();
    assert_eq!(gone.message, "Stack with id network does not exist");
}

#[test]
fn a_change_set_previews_and_then_applies_an_update() {
    let (_dir, s) = services();
    let root = Caller::root("000000000000", "AKIA");
    let v1 = "Resources:\n  A:\n    Type: AWS::IAM::User\n  B:\n    Type: AWS::IAM::Group\n";
    let created = call(&s, &root, "cloudformation", "CreateChangeSet", json!({"StackName": "cs", "ChangeSetName": "one", "ChangeSetType": "CREATE", "TemplateBody": v1, "Capabilities": ["CAPABILITY_IAM"]})).unwrap();
    let d =
        call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "cs"})).unwrap();
    assert_eq!(d["Stacks"][0]["StackStatus"], "REVIEW_IN_PROGRESS");
    let desc = call(
        &s,
        &root,
        "cloudformation",
        "DescribeChangeSet",
        json!({"ChangeSetName": created["Id"]}),
    )
    .unwrap();
    assert_eq!(desc["Status"], "CREATE_COMPLETE");
    let actions: Vec<&str> = desc["Changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ResourceChange"]["Action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["Add", "Add"]);
    call(
        &s,
        &root,
        "cloudformation",
        "ExecuteChangeSet",
        json!({"StackName": "cs", "ChangeSetName": "one"}),
    )
    .unwrap();
    let d =
        call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "cs"})).unwrap();
    assert_eq!(d["Stacks"][0]["StackStatus"], "CREATE_COMPLETE");
    let gone = call(
        &s,
        &root,
        "cloudformation",
        "DescribeChangeSet",
        json!({"StackName": "cs", "ChangeSetName": "one"}),
    )
    .unwrap_err();
    assert_eq!((gone.code, gone.status), ("ChangeSetNotFound", 404));

    let v2 = "Resources:\n  A:\n    Type: AWS::IAM::User\n    Properties:\n      Path: /x/\n  C:\n    Type: AWS::IAM::Group\n";
    call(&s, &root, "cloudformation", "CreateChangeSet", json!({"StackName": "cs", "ChangeSetName": "two", "TemplateBody": v2, "Capabilities": ["CAPABILITY_IAM"]})).unwrap();
    let desc = call(
        &s,
        &root,
        "cloudformation",
        "DescribeChangeSet",
        json!({"StackName": "cs", "ChangeSetName": "two"}),
    )
    .unwrap();
    let changes: Vec<(String, String, Option<String>)> = desc["Changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let rc = &c["ResourceChange"];
            (
                rc["Action"].as_str().unwrap().to_owned(),
                rc["LogicalResourceId"].as_str().unwrap().to_owned(),
                rc["Replacement"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert!(changes.contains(&("Modify".into(), "A".into(), Some("False".into()))), "{changes:?}");
    assert!(changes.contains(&("Add".into(), "C".into(), None)), "{changes:?}");
    assert!(changes.contains(&("Remove".into(), "B".into(), None)), "{changes:?}");
    call(
        &s,
        &root,
        "cloudformation",
        "ExecuteChangeSet",
        json!({"StackName": "cs", "ChangeSetName": "two"}),
    )
    .unwrap();
    let d =
        call(&s, &root, "cloudformation", "DescribeStacks", json!({"StackName": "cs"})).unwrap();
    assert_eq!(d["Stacks"][0]["StackStatus"], "UPDATE_COMPLETE");

    call(&s, &root, "cloudformation", "CreateChangeSet", json!({"StackName": "cs", "ChangeSetName": "three", "TemplateBody": v2, "Capabilities": ["CAPABILITY_IAM"]})).unwrap();
    let desc = call(
        &s,
        &root,
        "cloudformation",
        "DescribeChangeSet",
        json!({"StackName": "cs", "ChangeSetName": "three"}),
    )
    .unwrap();
    assert_eq!(desc["Status"], "FAILED");
    assert_eq!(desc["ExecutionStatus"], "UNAVAILABLE");
    let err = call(
        &s,
        &root,
        "cloudformation",
        "ExecuteChangeSet",
        json!({"StackName": "cs", "ChangeSetName": "three"}),
    )
    .unwrap_err();
    assert_eq!(err.code, "InvalidChangeSetStatus");
}
