//! Inline and managed policies: validation, size quotas, versions, attachment, usage.

use serde_json::json;

use super::{allow, url_decode, World, DEV};

#[test]
fn inline_policies_round_trip_url_encoded() {
    let w = World::new();
    w.ok("CreateGroup", json!({"GroupName": "Developers"}));
    let doc = allow("sts:AssumeRole");
    w.ok(
        "PutGroupPolicy",
        json!({"GroupName": "Developers", "PolicyName": "AssumeUpdateApp", "PolicyDocument": doc}),
    );
    let got =
        w.ok("GetGroupPolicy", json!({"GroupName": "developers", "PolicyName": "AssumeUpdateApp"}));
    assert_eq!(got["GroupName"], "Developers");
    assert_eq!(url_decode(got["PolicyDocument"].as_str().unwrap()), doc);
    let names = w.ok("ListGroupPolicies", json!({"GroupName": "Developers"}));
    assert_eq!(names["PolicyNames"], json!(["AssumeUpdateApp"]));
    let m = w.err(
        "GetGroupPolicy",
        json!({"GroupName": "Developers", "PolicyName": "nope"}),
        "NoSuchEntity",
        404,
    );
    assert_eq!(m, "The group policy with name nope cannot be found.");
    w.err(
        "DeleteGroupPolicy",
        json!({"GroupName": "Developers", "PolicyName": "nope"}),
        "NoSuchEntity",
        404,
    );
    // Malformed documents carry the engine's message.
    let m = w.err(
        "PutGroupPolicy",
        json!({"GroupName": "Developers", "PolicyName": "bad", "PolicyDocument": "{not json"}),
        "MalformedPolicyDocument",
        400,
    );
    assert!(!m.is_empty());
    let with_principal = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}).to_string();
    w.err(
        "PutUserPolicy",
        json!({"UserName": "x", "PolicyName": "p", "PolicyDocument": allow("s3:*")}),
        "NoSuchEntity",
        404,
    );
    w.err(
        "PutGroupPolicy",
        json!({"GroupName": "Developers", "PolicyName": "p", "PolicyDocument": with_principal}),
        "MalformedPolicyDocument",
        400,
    );
}

/// A document of roughly `n` non-whitespace characters.
fn doc_of_size(n: usize) -> String {
    let filler = "a".repeat(n.saturating_sub(90));
    json!({"Version": "2012-10-17", "Statement": [{"Sid": filler, "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}).to_string()
}

#[test]
fn aggregate_inline_size_quotas() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "u"}));
    w.ok(
        "PutUserPolicy",
        json!({"UserName": "u", "PolicyName": "a", "PolicyDocument": doc_of_size(1200)}),
    );
    let m = w.err(
        "PutUserPolicy",
        json!({"UserName": "u", "PolicyName": "b", "PolicyDocument": doc_of_size(1200)}),
        "LimitExceeded",
        409,
    );
    assert_eq!(m, "Maximum policy size of 2048 bytes exceeded for user u");
    // Replacing a policy counts the new size only.
    w.ok(
        "PutUserPolicy",
        json!({"UserName": "u", "PolicyName": "a", "PolicyDocument": doc_of_size(2000)}),
    );
    w.ok("CreateGroup", json!({"GroupName": "g"}));
    w.ok(
        "PutGroupPolicy",
        json!({"GroupName": "g", "PolicyName": "a", "PolicyDocument": doc_of_size(3000)}),
    );
    w.err(
        "PutGroupPolicy",
        json!({"GroupName": "g", "PolicyName": "b", "PolicyDocument": doc_of_size(3000)}),
        "LimitExceeded",
        409,
    );
    w.ok("CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": super::trust(DEV)}));
    w.ok(
        "PutRolePolicy",
        json!({"RoleName": "r", "PolicyName": "a", "PolicyDocument": doc_of_size(6000)}),
    );
    w.ok(
        "PutRolePolicy",
        json!({"RoleName": "r", "PolicyName": "b", "PolicyDocument": doc_of_size(4000)}),
    );
    w.err(
        "PutRolePolicy",
        json!({"RoleName": "r", "PolicyName": "c", "PolicyDocument": doc_of_size(400)}),
        "LimitExceeded",
        409,
    );
    // Whitespace is not counted.
    let spaced =
        doc_of_size(100).replace(',', ",                                                  ");
    w.ok("PutRolePolicy", json!({"RoleName": "r", "PolicyName": "a", "PolicyDocument": spaced}));
}

#[test]
fn managed_policy_lifecycle_and_versions() {
    let w = World::new();
    let out = w.ok("CreatePolicy", json!({"PolicyName": "UpdateAppPolicy", "Path": "/app/", "PolicyDocument": allow("s3:*"), "Description": "desc"}));
    let p = &out["Policy"];
    let arn = format!("arn:aws:iam::{DEV}:policy/app/UpdateAppPolicy");
    assert_eq!(p["Arn"], arn);
    assert!(p["PolicyId"].as_str().unwrap().starts_with("ANPA"));
    assert_eq!(p["DefaultVersionId"], "v1");
    assert_eq!(p["AttachmentCount"], 0);
    assert_eq!(p["IsAttachable"], true);
    let m = w.err(
        "CreatePolicy",
        json!({"PolicyName": "updateapppolicy", "PolicyDocument": allow("s3:*")}),
        "EntityAlreadyExists",
        409,
    );
    assert_eq!(
        m,
        "A policy called updateapppolicy already exists. Duplicate names are not allowed."
    );
    // CreatePolicy needs Version 2012-10-17.
    let old =
        json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}).to_string();
    w.err(
        "CreatePolicy",
        json!({"PolicyName": "Old", "PolicyDocument": old}),
        "MalformedPolicyDocument",
        400,
    );
    for i in 2..=5 {
        let v = w.ok("CreatePolicyVersion", json!({"PolicyArn": arn, "PolicyDocument": allow(&format!("s3:Get{i}")), "SetAsDefault": i == 3}));
        assert_eq!(v["PolicyVersion"]["VersionId"], format!("v{i}"));
        assert!(v["PolicyVersion"].get("Document").is_none());
    }
    let m = w.err(
        "CreatePolicyVersion",
        json!({"PolicyArn": arn, "PolicyDocument": allow("s3:x")}),
        "LimitExceeded",
        409,
    );
    assert!(m.contains("up to 5 versions"), "{m}");
    let got = w.ok("GetPolicy", json!({"PolicyArn": arn}));
    assert_eq!(got["Policy"]["DefaultVersionId"], "v3");
    assert_eq!(got["Policy"]["Description"], "desc");
    let v3 = w.ok("GetPolicyVersion", json!({"PolicyArn": arn, "VersionId": "v3"}));
    assert_eq!(v3["PolicyVersion"]["IsDefaultVersion"], true);
    assert_eq!(url_decode(v3["PolicyVersion"]["Document"].as_str().unwrap()), allow("s3:Get3"));
    w.err("GetPolicyVersion", json!({"PolicyArn": arn, "VersionId": "v9"}), "NoSuchEntity", 404);
    let listed = w.ok("ListPolicyVersions", json!({"PolicyArn": arn}));
    let ids: Vec<_> = listed["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VersionId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["v5", "v4", "v3", "v2", "v1"]);
    let m = w.err(
        "DeletePolicyVersion",
        json!({"PolicyArn": arn, "VersionId": "v3"}),
        "DeleteConflict",
        409,
    );
    assert_eq!(m, "Cannot delete the default version of a policy.");
    w.ok("DeletePolicyVersion", json!({"PolicyArn": arn, "VersionId": "v1"}));
    // A new version gets a fresh id; ids are never reused.
    let v = w.ok("CreatePolicyVersion", json!({"PolicyArn": arn, "PolicyDocument": allow("s3:y")}));
    assert_eq!(v["PolicyVersion"]["VersionId"], "v6");
    w.ok("SetDefaultPolicyVersion", json!({"PolicyArn": arn, "VersionId": "v6"}));
    w.err(
        "SetDefaultPolicyVersion",
        json!({"PolicyArn": arn, "VersionId": "v1"}),
        "NoSuchEntity",
        404,
    );
    // Deleting needs the other versions gone first.
    w.err("DeletePolicy", json!({"PolicyArn": arn}), "DeleteConflict", 409);
    for v in ["v2", "v3", "v4", "v5"] {
        w.ok("DeletePolicyVersion", json!({"PolicyArn": arn, "VersionId": v}));
    }
    w.ok("DeletePolicy", json!({"PolicyArn": arn}));
    w.err("GetPolicy", json!({"PolicyArn": arn}), "NoSuchEntity", 404);
}

#[test]
fn attach_detach_counts_and_entities() {
    let w = World::new();
    let arn = w.ok("CreatePolicy", json!({"PolicyName": "P", "PolicyDocument": allow("s3:*")}))
        ["Policy"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok("CreateUser", json!({"UserName": "u"}));
    w.ok("CreateGroup", json!({"GroupName": "g"}));
    w.ok("CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": super::trust(DEV)}));
    w.ok("AttachUserPolicy", json!({"UserName": "u", "PolicyArn": arn}));
    w.ok("AttachGroupPolicy", json!({"GroupName": "g", "PolicyArn": arn}));
    w.ok("AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": arn}));
    w.ok("AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": arn}));
    w.ok("PutRolePermissionsBoundary", json!({"RoleName": "r", "PermissionsBoundary": arn}));
    let got = w.ok("GetPolicy", json!({"PolicyArn": arn}));
    assert_eq!(got["Policy"]["AttachmentCount"], 3);
    assert_eq!(got["Policy"]["PermissionsBoundaryUsageCount"], 1);
    let ents = w.ok("ListEntitiesForPolicy", json!({"PolicyArn": arn}));
    assert_eq!(ents["PolicyUsers"][0]["UserName"], "u");
    assert_eq!(ents["PolicyGroups"][0]["GroupName"], "g");
    assert_eq!(ents["PolicyRoles"][0]["RoleName"], "r");
    let only_roles =
        w.ok("ListEntitiesForPolicy", json!({"PolicyArn": arn, "EntityFilter": "Role"}));
    assert_eq!(only_roles["PolicyUsers"], json!([]));
    assert_eq!(only_roles["PolicyRoles"].as_array().unwrap().len(), 1);
    let attached = w.ok("ListAttachedRolePolicies", json!({"RoleName": "r"}));
    assert_eq!(attached["AttachedPolicies"], json!([{"PolicyName": "P", "PolicyArn": arn}]));
    let m = w.err("DeletePolicy", json!({"PolicyArn": arn}), "DeleteConflict", 409);
    assert_eq!(m, "Cannot delete a policy attached to entities.");
    let local_attached = w.ok("ListPolicies", json!({"Scope": "Local", "OnlyAttached": true}));
    assert_eq!(local_attached["Policies"].as_array().unwrap().len(), 1);
    w.ok("DetachUserPolicy", json!({"UserName": "u", "PolicyArn": arn}));
    let m =
        w.err("DetachUserPolicy", json!({"UserName": "u", "PolicyArn": arn}), "NoSuchEntity", 404);
    assert_eq!(m, format!("Policy {arn} was not found."));
    // Unknown customer and AWS ARNs.
    let ghost = format!("arn:aws:iam::{DEV}:policy/Ghost");
    let m = w.err(
        "AttachUserPolicy",
        json!({"UserName": "u", "PolicyArn": ghost}),
        "NoSuchEntity",
        404,
    );
    assert_eq!(m, format!("Policy {ghost} does not exist or is not attachable."));
    w.err(
        "AttachUserPolicy",
        json!({"UserName": "u", "PolicyArn": "arn:aws:iam::aws:policy/NotShippedPolicy"}),
        "NoSuchEntity",
        404,
    );
}

#[test]
fn attached_policies_quota_is_ten() {
    let w = World::new();
    w.ok("CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": super::trust(DEV)}));
    for i in 0..10 {
        let arn = w.ok(
            "CreatePolicy",
            json!({"PolicyName": format!("p{i}"), "PolicyDocument": allow("s3:*")}),
        )["Policy"]["Arn"]
            .as_str()
            .unwrap()
            .to_owned();
        w.ok("AttachRolePolicy", json!({"RoleName": "r", "PolicyArn": arn}));
    }
    let m = w.err(
        "AttachRolePolicy",
        json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        "LimitExceeded",
        409,
    );
    assert_eq!(m, "Cannot exceed quota for PoliciesPerRole: 10");
    let page = w.ok("ListAttachedRolePolicies", json!({"RoleName": "r", "MaxItems": 4}));
    assert_eq!(page["AttachedPolicies"].as_array().unwrap().len(), 4);
    assert_eq!(page["IsTruncated"], true);
}

#[test]
fn aws_managed_policies_are_read_only_and_listed() {
    let w = World::new();
    let arn = "arn:aws:iam::aws:policy/AdministratorAccess";
    let got = w.ok("GetPolicy", json!({"PolicyArn": arn}));
    assert_eq!(got["Policy"]["PolicyName"], "AdministratorAccess");
    assert_eq!(got["Policy"]["Path"], "/");
    assert!(got["Policy"]["PolicyId"].as_str().unwrap().starts_with("ANPA"));
    let default = got["Policy"]["DefaultVersionId"].as_str().unwrap().to_owned();
    let v = w.ok("GetPolicyVersion", json!({"PolicyArn": arn, "VersionId": default}));
    assert!(url_decode(v["PolicyVersion"]["Document"].as_str().unwrap()).contains("\"*\""));
    w.err(
        "CreatePolicyVersion",
        json!({"PolicyArn": arn, "PolicyDocument": allow("s3:*")}),
        "AccessDenied",
        403,
    );
    w.err("DeletePolicy", json!({"PolicyArn": arn}), "AccessDenied", 403);
    let aws = w.ok("ListPolicies", json!({"Scope": "AWS", "MaxItems": 1000}));
    let names: Vec<_> = aws["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap())
        .collect();
    for expected in ["AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    assert!(w.ok("ListPolicies", json!({"Scope": "Local"}))["Policies"]
        .as_array()
        .unwrap()
        .is_empty());
    let sr = w.ok("ListPolicies", json!({"Scope": "AWS", "PathPrefix": "/service-role/"}));
    assert!(sr["Policies"].as_array().unwrap().iter().all(|p| p["Path"] == "/service-role/"));
}

#[test]
fn policy_tags() {
    let w = World::new();
    let arn = w.ok("CreatePolicy", json!({"PolicyName": "P", "PolicyDocument": allow("s3:*"), "Tags": [{"Key": "a", "Value": "b"}]}))["Policy"]["Arn"].as_str().unwrap().to_owned();
    w.ok("TagPolicy", json!({"PolicyArn": arn, "Tags": [{"Key": "c", "Value": "d"}]}));
    w.ok("UntagPolicy", json!({"PolicyArn": arn, "TagKeys": ["a"]}));
    assert_eq!(
        w.ok("ListPolicyTags", json!({"PolicyArn": arn}))["Tags"],
        json!([{"Key": "c", "Value": "d"}])
    );
}

#[test]
fn account_authorization_details_and_summary() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "david"}));
    w.ok("CreateGroup", json!({"GroupName": "Developers"}));
    w.ok("AddUserToGroup", json!({"GroupName": "Developers", "UserName": "david"}));
    w.ok("PutGroupPolicy", json!({"GroupName": "Developers", "PolicyName": "p", "PolicyDocument": allow("sts:AssumeRole")}));
    w.ok("CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": super::trust(DEV)}));
    w.ok(
        "AttachRolePolicy",
        json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    );
    w.ok("CreatePolicy", json!({"PolicyName": "Mine", "PolicyDocument": allow("s3:*")}));
    let all = w.ok("GetAccountAuthorizationDetails", json!({}));
    assert_eq!(all["UserDetailList"][0]["GroupList"], json!(["Developers"]));
    assert_eq!(all["GroupDetailList"][0]["GroupPolicyList"][0]["PolicyName"], "p");
    assert_eq!(
        all["RoleDetailList"][0]["AttachedManagedPolicies"][0]["PolicyName"],
        "ReadOnlyAccess"
    );
    let policies: Vec<_> = all["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap())
        .collect();
    assert!(policies.contains(&"Mine") && policies.contains(&"ReadOnlyAccess"), "{policies:?}");
    let roles_only = w.ok("GetAccountAuthorizationDetails", json!({"Filter": ["Role"]}));
    assert_eq!(roles_only["UserDetailList"], json!([]));
    assert_eq!(roles_only["RoleDetailList"].as_array().unwrap().len(), 1);
    let paged = w.ok("GetAccountAuthorizationDetails", json!({"MaxItems": 2}));
    assert_eq!(paged["IsTruncated"], true);
    let rest = w.ok("GetAccountAuthorizationDetails", json!({"Marker": paged["Marker"]}));
    assert_eq!(rest["IsTruncated"], false);
    let summary = w.ok("GetAccountSummary", json!({}));
    assert_eq!(summary["SummaryMap"]["Users"], 1);
    assert_eq!(summary["SummaryMap"]["Roles"], 1);
    assert_eq!(summary["SummaryMap"]["Policies"], 1);
    assert_eq!(summary["SummaryMap"]["AccessKeysPerUserQuota"], 2);
}
