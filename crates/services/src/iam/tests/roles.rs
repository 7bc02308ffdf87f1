//! Roles: trust policy validation (including principals that must exist), updates, deletes,
//! instance profiles and service-linked roles.

use serde_json::json;

use super::{allow, trust, url_decode, World, DEV, PROD};

#[test]
fn create_role_returns_the_trust_policy_url_encoded() {
    let w = World::new();
    let doc = trust(&format!("arn:aws:iam::{PROD}:root"));
    let out = w.ok(
        "CreateRole",
        json!({"RoleName": "UpdateApp", "AssumeRolePolicyDocument": doc, "Description": "d"}),
    );
    let role = &out["Role"];
    assert!(role["RoleId"].as_str().unwrap().starts_with("AROA"));
    assert_eq!(role["Arn"], format!("arn:aws:iam::{DEV}:role/UpdateApp"));
    assert_eq!(role["MaxSessionDuration"], 3600);
    let encoded = role["AssumeRolePolicyDocument"].as_str().unwrap();
    assert!(encoded.starts_with("%7B"), "{encoded}");
    assert_eq!(url_decode(encoded), doc);
    let got = w.ok("GetRole", json!({"RoleName": "updateapp"}));
    assert_eq!(got["Role"]["Description"], "d");
    assert_eq!(got["Role"]["RoleLastUsed"], json!({}));
    w.err(
        "CreateRole",
        json!({"RoleName": "UPDATEAPP", "AssumeRolePolicyDocument": doc}),
        "EntityAlreadyExists",
        409,
    );
}

#[test]
fn trust_policy_principals_must_exist() {
    let w = World::new();
    // A role or user that does not exist.
    let ghost = format!("arn:aws:iam::{DEV}:role/Ghost");
    let m = w.err(
        "CreateRole",
        json!({"RoleName": "r", "AssumeRolePolicyDocument": trust(&ghost)}),
        "MalformedPolicyDocument",
        400,
    );
    assert_eq!(m, format!("Invalid principal in policy: \"AWS\":\"{ghost}\""));
    let ghost_user = format!("arn:aws:iam::{DEV}:user/nobody");
    w.err(
        "CreateRole",
        json!({"RoleName": "r", "AssumeRolePolicyDocument": trust(&ghost_user)}),
        "MalformedPolicyDocument",
        400,
    );
    // An account xacct does not know.
    w.err("CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": trust("arn:aws:iam::222222222222:root")}), "MalformedPolicyDocument", 400);
    w.err(
        "CreateRole",
        json!({"RoleName": "r", "AssumeRolePolicyDocument": trust("222222222222")}),
        "MalformedPolicyDocument",
        400,
    );
    // Existing ones pass: account id, root ARN, user ARN with its path.
    w.ok("CreateUser", json!({"UserName": "david", "Path": "/dev/"}));
    w.ok("CreateRole", json!({"RoleName": "a", "AssumeRolePolicyDocument": trust(PROD)}));
    w.ok("CreateRole", json!({"RoleName": "b", "AssumeRolePolicyDocument": trust(&format!("arn:aws:iam::{DEV}:user/dev/david"))}));
    // Wrong path for the user: not the same principal.
    w.err("CreateRole", json!({"RoleName": "c", "AssumeRolePolicyDocument": trust(&format!("arn:aws:iam::{DEV}:user/david"))}), "MalformedPolicyDocument", 400);
    // The engine's own validation: a trust policy without Principal.
    let no_principal = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}).to_string();
    w.err(
        "CreateRole",
        json!({"RoleName": "d", "AssumeRolePolicyDocument": no_principal}),
        "MalformedPolicyDocument",
        400,
    );
    // UpdateAssumeRolePolicy checks the same.
    w.err(
        "UpdateAssumeRolePolicy",
        json!({"RoleName": "a", "PolicyDocument": trust(&ghost)}),
        "MalformedPolicyDocument",
        400,
    );
    w.ok(
        "UpdateAssumeRolePolicy",
        json!({"RoleName": "a", "PolicyDocument": trust(&format!("arn:aws:iam::{DEV}:role/b"))}),
    );
    let got = w.ok("GetRole", json!({"RoleName": "a"}));
    assert!(
        url_decode(got["Role"]["AssumeRolePolicyDocument"].as_str().unwrap()).contains("role/b")
    );
    // A service principal needs no lookup.
    let svc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}).to_string();
    w.ok("CreateRole", json!({"RoleName": "svc", "AssumeRolePolicyDocument": svc}));
}

#[test]
fn update_role_max_session_duration_bounds() {
    let w = World::new();
    w.ok("CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": trust(DEV)}));
    w.ok("UpdateRole", json!({"RoleName": "r", "MaxSessionDuration": 43200, "Description": "x"}));
    let got = w.ok("GetRole", json!({"RoleName": "r"}));
    assert_eq!(got["Role"]["MaxSessionDuration"], 43200);
    w.err(
        "UpdateRole",
        json!({"RoleName": "r", "MaxSessionDuration": 3599}),
        "ValidationError",
        400,
    );
    w.err(
        "UpdateRole",
        json!({"RoleName": "r", "MaxSessionDuration": 43201}),
        "ValidationError",
        400,
    );
    w.err(
        "CreateRole",
        json!({"RoleName": "s", "AssumeRolePolicyDocument": trust(DEV), "MaxSessionDuration": 100}),
        "ValidationError",
        400,
    );
    let out = w.ok("UpdateRoleDescription", json!({"RoleName": "r", "Description": "new"}));
    assert_eq!(out["Role"]["Description"], "new");
}

#[test]
fn delete_role_conflicts_and_instance_profiles() {
    let w = World::new();
    w.ok("CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": trust(DEV)}));
    w.ok(
        "PutRolePolicy",
        json!({"RoleName": "r", "PolicyName": "p", "PolicyDocument": allow("s3:*")}),
    );
    w.err("DeleteRole", json!({"RoleName": "r"}), "DeleteConflict", 409);
    w.ok("DeleteRolePolicy", json!({"RoleName": "r", "PolicyName": "p"}));
    w.ok(
        "AttachRolePolicy",
        json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    w.err("DeleteRole", json!({"RoleName": "r"}), "DeleteConflict", 409);
    w.ok(
        "DetachRolePolicy",
        json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    let p = w.ok("CreateInstanceProfile", json!({"InstanceProfileName": "ip", "Path": "/x/"}));
    assert!(p["InstanceProfile"]["InstanceProfileId"].as_str().unwrap().starts_with("AIPA"));
    assert_eq!(p["InstanceProfile"]["Arn"], format!("arn:aws:iam::{DEV}:instance-profile/x/ip"));
    w.err(
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "IP"}),
        "EntityAlreadyExists",
        409,
    );
    w.ok("AddRoleToInstanceProfile", json!({"InstanceProfileName": "ip", "RoleName": "r"}));
    w.ok("CreateRole", json!({"RoleName": "r2", "AssumeRolePolicyDocument": trust(DEV)}));
    w.err(
        "AddRoleToInstanceProfile",
        json!({"InstanceProfileName": "ip", "RoleName": "r2"}),
        "LimitExceeded",
        409,
    );
    let got = w.ok("GetInstanceProfile", json!({"InstanceProfileName": "ip"}));
    assert_eq!(got["InstanceProfile"]["Roles"][0]["RoleName"], "r");
    let for_role = w.ok("ListInstanceProfilesForRole", json!({"RoleName": "r"}));
    assert_eq!(for_role["InstanceProfiles"][0]["InstanceProfileName"], "ip");
    let m = w.err("DeleteRole", json!({"RoleName": "r"}), "DeleteConflict", 409);
    assert_eq!(m, "Cannot delete entity, must remove roles from instance profile first.");
    w.err("DeleteInstanceProfile", json!({"InstanceProfileName": "ip"}), "DeleteConflict", 409);
    w.ok("RemoveRoleFromInstanceProfile", json!({"InstanceProfileName": "ip", "RoleName": "r"}));
    w.ok("DeleteInstanceProfile", json!({"InstanceProfileName": "ip"}));
    w.ok("DeleteRole", json!({"RoleName": "r"}));
    w.err("GetInstanceProfile", json!({"InstanceProfileName": "ip"}), "NoSuchEntity", 404);
}

#[test]
fn service_linked_roles() {
    let w = World::new();
    let out = w.ok("CreateServiceLinkedRole", json!({"AWSServiceName": "ecs.amazonaws.com"}));
    let role = &out["Role"];
    assert_eq!(role["RoleName"], "AWSServiceRoleForECS");
    assert_eq!(role["Path"], "/aws-service-role/ecs.amazonaws.com/");
    assert_eq!(
        role["Arn"],
        format!("arn:aws:iam::{DEV}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS")
    );
    assert!(url_decode(role["AssumeRolePolicyDocument"].as_str().unwrap())
        .contains("ecs.amazonaws.com"));
    w.err(
        "CreateServiceLinkedRole",
        json!({"AWSServiceName": "ecs.amazonaws.com"}),
        "InvalidInput",
        400,
    );
    w.err("DeleteRole", json!({"RoleName": "AWSServiceRoleForECS"}), "UnmodifiableEntity", 400);
    w.err(
        "UpdateAssumeRolePolicy",
        json!({"RoleName": "AWSServiceRoleForECS", "PolicyDocument": trust(DEV)}),
        "UnmodifiableEntity",
        400,
    );
    w.err("PutRolePolicy", json!({"RoleName": "AWSServiceRoleForECS", "PolicyName": "p", "PolicyDocument": allow("s3:*")}), "UnmodifiableEntity", 400);
    let del = w.ok("DeleteServiceLinkedRole", json!({"RoleName": "AWSServiceRoleForECS"}));
    let task = del["DeletionTaskId"].as_str().unwrap();
    assert!(
        task.starts_with("task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/"),
        "{task}"
    );
    let status = w.ok("GetServiceLinkedRoleDeletionStatus", json!({"DeletionTaskId": task}));
    assert_eq!(status["Status"], "SUCCEEDED");
    w.err("GetRole", json!({"RoleName": "AWSServiceRoleForECS"}), "NoSuchEntity", 404);
    w.err(
        "GetServiceLinkedRoleDeletionStatus",
        json!({"DeletionTaskId": "task/nope"}),
        "NoSuchEntity",
        404,
    );
    w.err(
        "CreateServiceLinkedRole",
        json!({"AWSServiceName": "nothing.example.com"}),
        "InvalidInput",
        400,
    );
}

#[test]
fn role_tags_and_boundaries() {
    let w = World::new();
    w.ok("CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": trust(DEV), "Tags": [{"Key": "env", "Value": "prod"}],
        "PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess"}));
    let got = w.ok("GetRole", json!({"RoleName": "r"}));
    assert_eq!(got["Role"]["Tags"], json!([{"Key": "env", "Value": "prod"}]));
    assert_eq!(
        got["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
        "arn:aws:iam::aws:policy/PowerUserAccess"
    );
    w.ok("TagRole", json!({"RoleName": "r", "Tags": [{"Key": "x", "Value": "y"}]}));
    w.ok("UntagRole", json!({"RoleName": "r", "TagKeys": ["env"]}));
    assert_eq!(
        w.ok("ListRoleTags", json!({"RoleName": "r"}))["Tags"],
        json!([{"Key": "x", "Value": "y"}])
    );
    w.ok("DeleteRolePermissionsBoundary", json!({"RoleName": "r"}));
    w.err("DeleteRolePermissionsBoundary", json!({"RoleName": "r"}), "NoSuchEntity", 404);
    w.ok(
        "PutRolePermissionsBoundary",
        json!({"RoleName": "r", "PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    );
    let listed = w.ok("ListRoles", json!({"PathPrefix": "/"}));
    assert_eq!(listed["Roles"].as_array().unwrap().len(), 1);
}
