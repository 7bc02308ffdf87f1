//! The seam `authz`/`sts` read: the policies of a user (with its groups) and of a role.

use serde_json::json;

use super::{allow, trust, World, DEV, PROD};
use crate::iam::lookup;

#[test]
fn user_policies_include_groups_managed_and_boundary() {
    let w = World::new();
    w.ok(
        "CreateUser",
        json!({"UserName": "David", "Tags": [{"Key": "team", "Value": "dev"}],
        "PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess"}),
    );
    w.ok(
        "PutUserPolicy",
        json!({"UserName": "David", "PolicyName": "own", "PolicyDocument": allow("s3:*")}),
    );
    w.ok("CreateGroup", json!({"GroupName": "Developers"}));
    w.ok("AddUserToGroup", json!({"GroupName": "Developers", "UserName": "David"}));
    w.ok("PutGroupPolicy", json!({"GroupName": "Developers", "PolicyName": "assume", "PolicyDocument": allow("sts:AssumeRole")}));
    w.ok(
        "AttachGroupPolicy",
        json!({"GroupName": "Developers", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    );
    let tx = w.services.store().read().unwrap();
    let pp = lookup::user_policies(&*tx, DEV, "david").unwrap().unwrap();
    let labels: Vec<_> = pp.identity.iter().map(|d| d.label.as_str()).collect();
    assert_eq!(labels, ["own", "assume", "arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    assert_eq!(
        pp.permissions_boundary.as_ref().unwrap().label,
        "arn:aws:iam::aws:policy/PowerUserAccess"
    );
    assert_eq!(pp.tags, vec![("team".to_owned(), "dev".to_owned())]);
    assert!(lookup::user_policies(&*tx, DEV, "nobody").unwrap().is_none());
    assert!(lookup::user_policies(&*tx, PROD, "david").unwrap().is_none());
    let first_key = pp.identity[0].cache_key.clone();
    drop(tx);
    // A changed document gets a new cache key.
    w.ok(
        "PutUserPolicy",
        json!({"UserName": "David", "PolicyName": "own", "PolicyDocument": allow("s3:Get*")}),
    );
    let tx = w.services.store().read().unwrap();
    let again = lookup::user_policies(&*tx, DEV, "david").unwrap().unwrap();
    assert_ne!(again.identity[0].cache_key, first_key);
}

#[test]
fn role_policies_and_managed_documents() {
    let w = World::new();
    let arn = w
        .ok("CreatePolicy", json!({"PolicyName": "UpdateApp", "PolicyDocument": allow("s3:*")}))
        ["Policy"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok("CreateRole", json!({"RoleName": "UpdateApp", "AssumeRolePolicyDocument": trust(PROD)}));
    w.ok("AttachRolePolicy", json!({"RoleName": "UpdateApp", "PolicyArn": arn}));
    w.ok(
        "PutRolePolicy",
        json!({"RoleName": "UpdateApp", "PolicyName": "inline", "PolicyDocument": allow("ec2:*")}),
    );
    let tx = w.services.store().read().unwrap();
    let pp = lookup::role_policies(&*tx, DEV, "updateapp").unwrap().unwrap();
    assert_eq!(pp.identity.len(), 2);
    assert_eq!(pp.identity[1].label, arn);
    let v1_key = pp.identity[1].cache_key.clone();
    assert!(lookup::role(&*tx, DEV, "UPDATEAPP").unwrap().is_some());
    let doc = lookup::managed_policy_document(&*tx, DEV, &arn).unwrap().unwrap();
    assert_eq!(doc.document, allow("s3:*"));
    assert!(
        lookup::managed_policy_document(&*tx, PROD, &arn).unwrap().is_none(),
        "another account's policy is invisible"
    );
    assert!(lookup::managed_policy_document(
        &*tx,
        PROD,
        "arn:aws:iam::aws:policy/AdministratorAccess"
    )
    .unwrap()
    .is_some());
    drop(tx);
    w.ok(
        "CreatePolicyVersion",
        json!({"PolicyArn": arn, "PolicyDocument": allow("s3:Get*"), "SetAsDefault": true}),
    );
    let tx = w.services.store().read().unwrap();
    let pp = lookup::role_policies(&*tx, DEV, "UpdateApp").unwrap().unwrap();
    assert_ne!(pp.identity[1].cache_key, v1_key);
    assert_eq!(pp.identity[1].document, allow("s3:Get*"));
}
