//! The policy simulator against the tutorial's principals.

use serde_json::json;

use super::{allow, World, DEV};

#[test]
fn simulate_principal_policy_for_a_user_with_group_policies() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "Jane"}));
    w.ok("CreateGroup", json!({"GroupName": "Testers"}));
    w.ok("AddUserToGroup", json!({"GroupName": "Testers", "UserName": "Jane"}));
    w.ok(
        "AttachGroupPolicy",
        json!({"GroupName": "Testers", "PolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}),
    );
    let deny = json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyAssume", "Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}]}).to_string();
    w.ok(
        "PutGroupPolicy",
        json!({"GroupName": "Testers", "PolicyName": "DenyAssume", "PolicyDocument": deny}),
    );
    let out = w.ok(
        "SimulatePrincipalPolicy",
        json!({
            "PolicySourceArn": format!("arn:aws:iam::{DEV}:user/Jane"),
            "ActionNames": ["sts:AssumeRole", "s3:ListBucket", "iam:CreateUser"],
        }),
    );
    let results = out["EvaluationResults"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["EvalActionName"], "sts:AssumeRole");
    assert_eq!(results[0]["EvalResourceName"], "*");
    assert_eq!(results[0]["EvalDecision"], "explicitDeny");
    assert_eq!(results[0]["MatchedStatements"][0]["SourcePolicyId"], "DenyAssume");
    assert_eq!(results[0]["MatchedStatements"][0]["SourcePolicyType"], "group");
    assert_eq!(results[1]["EvalDecision"], "allowed");
    assert_eq!(results[1]["MatchedStatements"][0]["SourcePolicyId"], "PowerUserAccess");
    assert_eq!(results[1]["MatchedStatements"][0]["SourcePolicyType"], "aws-managed");
    assert!(results[1]["MatchedStatements"][0].get("StartPosition").is_some());
    assert_eq!(results[2]["EvalDecision"], "implicitDeny");
    w.err("SimulatePrincipalPolicy", json!({"PolicySourceArn": format!("arn:aws:iam::{DEV}:user/Nobody"), "ActionNames": ["s3:*"]}), "NoSuchEntity", 404);
}

#[test]
fn simulate_custom_policy_with_context_and_paging() {
    let w = World::new();
    let cond = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}).to_string();
    let base = json!({"PolicyInputList": [cond, allow("ec2:*")], "ActionNames": ["s3:GetObject", "ec2:RunInstances"],
        "ResourceArns": ["arn:aws:s3:::b/k", "*"]});
    let out = w.ok("SimulateCustomPolicy", base.clone());
    let results = out["EvaluationResults"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["EvalDecision"], "implicitDeny", "condition not met without context");
    assert_eq!(results[2]["EvalDecision"], "allowed");
    assert_eq!(results[2]["MatchedStatements"][0]["SourcePolicyId"], "PolicyInputList.2");
    let mut with_ctx = base.clone();
    with_ctx["ContextEntries"] = json!([{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["eu-west-1"], "ContextKeyType": "string"}]);
    let out = w.ok("SimulateCustomPolicy", with_ctx);
    assert_eq!(out["EvaluationResults"][0]["EvalDecision"], "allowed");
    let mut paged = base;
    paged["MaxItems"] = json!(3);
    let out = w.ok("SimulateCustomPolicy", paged);
    assert_eq!(out["EvaluationResults"].as_array().unwrap().len(), 3);
    assert_eq!(out["IsTruncated"], true);
    w.err(
        "SimulateCustomPolicy",
        json!({"PolicyInputList": ["{bad"], "ActionNames": ["s3:*"]}),
        "MalformedPolicyDocument",
        400,
    );
}
