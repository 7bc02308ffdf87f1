//! Users and groups: creation rules, uniqueness, paths, tags, membership, paging, deletes.

use serde_json::json;

use super::{allow, World, DEV};

#[test]
fn create_get_list_user_with_path_and_tags() {
    let w = World::new();
    let out = w.ok(
        "CreateUser",
        json!({"UserName": "David", "Path": "/dev/", "Tags": [{"Key": "team", "Value": "app"}]}),
    );
    let user = &out["User"];
    assert_eq!(user["UserName"], "David");
    assert_eq!(user["Path"], "/dev/");
    assert_eq!(user["Arn"], format!("arn:aws:iam::{DEV}:user/dev/David"));
    let id = user["UserId"].as_str().unwrap();
    assert!(id.starts_with("AIDA") && id.len() == 20, "{id}");
    assert!(user["CreateDate"].as_f64().unwrap() > 1.6e9);
    assert_eq!(user["Tags"], json!([{"Key": "team", "Value": "app"}]));
    // Names are case-insensitive for lookup and uniqueness.
    let got = w.ok("GetUser", json!({"UserName": "david"}));
    assert_eq!(got["User"]["UserId"], id);
    let msg = w.err("CreateUser", json!({"UserName": "DAVID"}), "EntityAlreadyExists", 409);
    assert_eq!(msg, "User with name DAVID already exists.");
    w.ok("CreateUser", json!({"UserName": "Jane", "Path": "/test/"}));
    let all = w.ok("ListUsers", json!({}));
    assert_eq!(all["Users"].as_array().unwrap().len(), 2);
    assert_eq!(all["IsTruncated"], false);
    assert!(all["Users"][0].get("Tags").is_none(), "ListUsers shows no tags");
    let dev = w.ok("ListUsers", json!({"PathPrefix": "/dev"}));
    assert_eq!(dev["Users"].as_array().unwrap().len(), 1);
    assert_eq!(dev["Users"][0]["UserName"], "David");
}

#[test]
fn name_and_path_validation() {
    let w = World::new();
    let m = w.err("CreateUser", json!({"UserName": "bad name"}), "ValidationError", 400);
    assert!(m.contains("at 'userName'") && m.contains("[\\w+=,.@-]+"), "{m}");
    w.err("CreateUser", json!({"UserName": "a".repeat(65)}), "ValidationError", 400);
    w.ok("CreateUser", json!({"UserName": "a".repeat(64)}));
    w.err("CreateUser", json!({"UserName": "x", "Path": "/nope"}), "ValidationError", 400);
    w.err(
        "CreateUser",
        json!({"UserName": "x", "Path": format!("/{}/", "p".repeat(511))}),
        "ValidationError",
        400,
    );
    w.ok("CreateGroup", json!({"GroupName": "g".repeat(128)}));
    w.err("CreateGroup", json!({"GroupName": "g".repeat(129)}), "ValidationError", 400);
    w.err(
        "CreateRole",
        json!({"RoleName": "r".repeat(65), "AssumeRolePolicyDocument": super::trust(DEV)}),
        "ValidationError",
        400,
    );
}

#[test]
fn missing_entities_are_no_such_entity_404() {
    let w = World::new();
    let m = w.err("GetUser", json!({"UserName": "ghost"}), "NoSuchEntity", 404);
    assert_eq!(m, "The user with name ghost cannot be found.");
    let m = w.err("GetGroup", json!({"GroupName": "ghost"}), "NoSuchEntity", 404);
    assert_eq!(m, "The group with name ghost cannot be found.");
    let m = w.err("GetRole", json!({"RoleName": "ghost"}), "NoSuchEntity", 404);
    assert_eq!(m, "The role with name ghost cannot be found.");
    w.err("DeleteUser", json!({"UserName": "ghost"}), "NoSuchEntity", 404);
}

#[test]
fn groups_and_membership() {
    let w = World::new();
    let g = w.ok("CreateGroup", json!({"GroupName": "Developers"}));
    assert!(g["Group"]["GroupId"].as_str().unwrap().starts_with("AGPA"));
    assert_eq!(g["Group"]["Arn"], format!("arn:aws:iam::{DEV}:group/Developers"));
    w.err("CreateGroup", json!({"GroupName": "developers"}), "EntityAlreadyExists", 409);
    w.ok("CreateUser", json!({"UserName": "David"}));
    w.ok("AddUserToGroup", json!({"GroupName": "Developers", "UserName": "David"}));
    w.ok("AddUserToGroup", json!({"GroupName": "developers", "UserName": "david"}));
    let got = w.ok("GetGroup", json!({"GroupName": "Developers"}));
    assert_eq!(got["Users"].as_array().unwrap().len(), 1);
    assert_eq!(got["Users"][0]["UserName"], "David");
    let groups = w.ok("ListGroupsForUser", json!({"UserName": "David"}));
    assert_eq!(groups["Groups"][0]["GroupName"], "Developers");
    // A group with members cannot go; neither can a user in a group.
    w.err("DeleteGroup", json!({"GroupName": "Developers"}), "DeleteConflict", 409);
    w.err("DeleteUser", json!({"UserName": "David"}), "DeleteConflict", 409);
    w.ok("RemoveUserFromGroup", json!({"GroupName": "Developers", "UserName": "David"}));
    w.err(
        "RemoveUserFromGroup",
        json!({"GroupName": "Developers", "UserName": "David"}),
        "NoSuchEntity",
        404,
    );
    w.ok(
        "PutGroupPolicy",
        json!({"GroupName": "Developers", "PolicyName": "p", "PolicyDocument": allow("s3:*")}),
    );
    let m = w.err("DeleteGroup", json!({"GroupName": "Developers"}), "DeleteConflict", 409);
    assert_eq!(m, "Cannot delete entity, must delete policies first.");
    w.ok("DeleteGroupPolicy", json!({"GroupName": "Developers", "PolicyName": "p"}));
    w.ok("DeleteGroup", json!({"GroupName": "Developers"}));
    w.ok("DeleteUser", json!({"UserName": "David"}));
    assert_eq!(w.ok("ListUsers", json!({}))["Users"], json!([]));
}

#[test]
fn groups_per_user_quota() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "u"}));
    for i in 0..10 {
        w.ok("CreateGroup", json!({"GroupName": format!("g{i}")}));
        w.ok("AddUserToGroup", json!({"GroupName": format!("g{i}"), "UserName": "u"}));
    }
    w.ok("CreateGroup", json!({"GroupName": "g10"}));
    w.err("AddUserToGroup", json!({"GroupName": "g10", "UserName": "u"}), "LimitExceeded", 409);
}

#[test]
fn rename_user_and_group_keeps_relations() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "david"}));
    w.ok("CreateGroup", json!({"GroupName": "Dev"}));
    w.ok("AddUserToGroup", json!({"GroupName": "Dev", "UserName": "david"}));
    let key = w.ok("CreateAccessKey", json!({"UserName": "david"}));
    let key_id = key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    w.ok("UpdateUser", json!({"UserName": "david", "NewUserName": "dave", "NewPath": "/eng/"}));
    w.err("GetUser", json!({"UserName": "david"}), "NoSuchEntity", 404);
    let u = w.ok("GetUser", json!({"UserName": "dave"}));
    assert_eq!(u["User"]["Arn"], format!("arn:aws:iam::{DEV}:user/eng/dave"));
    let resolved = w.services.resolve_access_key(&key_id).unwrap().unwrap();
    assert_eq!(resolved.caller.arn, format!("arn:aws:iam::{DEV}:user/eng/dave"));
    w.ok("UpdateGroup", json!({"GroupName": "Dev", "NewGroupName": "Developers"}));
    let groups = w.ok("ListGroupsForUser", json!({"UserName": "dave"}));
    assert_eq!(groups["Groups"][0]["GroupName"], "Developers");
    w.ok("CreateUser", json!({"UserName": "jane"}));
    w.err(
        "UpdateUser",
        json!({"UserName": "dave", "NewUserName": "JANE"}),
        "EntityAlreadyExists",
        409,
    );
}

#[test]
fn paging_with_marker_and_max_items() {
    let w = World::new();
    for i in 0..7 {
        w.ok("CreateUser", json!({"UserName": format!("user{i}")}));
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({"MaxItems": 3});
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let page = w.ok("ListUsers", input);
        let users = page["Users"].as_array().unwrap();
        assert!(users.len() <= 3);
        seen.extend(users.iter().map(|u| u["UserName"].as_str().unwrap().to_owned()));
        if page["IsTruncated"] == true {
            marker = Some(page["Marker"].as_str().unwrap().to_owned());
        } else {
            assert!(page.get("Marker").is_none());
            break;
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("user{i}")).collect::<Vec<_>>());
    w.err("ListUsers", json!({"MaxItems": 0}), "ValidationError", 400);
    w.err("ListUsers", json!({"MaxItems": 1001}), "ValidationError", 400);
    w.err("ListUsers", json!({"Marker": "zz"}), "InvalidInput", 400);
}

#[test]
fn user_tags_and_limits() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "u"}));
    w.ok(
        "TagUser",
        json!({"UserName": "u", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}),
    );
    w.ok("TagUser", json!({"UserName": "u", "Tags": [{"Key": "A", "Value": "3"}]}));
    let tags = w.ok("ListUserTags", json!({"UserName": "u"}));
    assert_eq!(tags["Tags"], json!([{"Key": "A", "Value": "3"}, {"Key": "b", "Value": "2"}]));
    w.ok("UntagUser", json!({"UserName": "u", "TagKeys": ["b"]}));
    assert_eq!(w.ok("ListUserTags", json!({"UserName": "u"}))["Tags"].as_array().unwrap().len(), 1);
    let many: Vec<_> = (0..50).map(|i| json!({"Key": format!("k{i}"), "Value": ""})).collect();
    w.err("TagUser", json!({"UserName": "u", "Tags": many}), "LimitExceeded", 409);
    let too_many: Vec<_> = (0..51).map(|i| json!({"Key": format!("k{i}"), "Value": ""})).collect();
    w.err("CreateUser", json!({"UserName": "v", "Tags": too_many}), "ValidationError", 400);
}

#[test]
fn delete_user_conflicts() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "u"}));
    w.ok(
        "PutUserPolicy",
        json!({"UserName": "u", "PolicyName": "p", "PolicyDocument": allow("s3:*")}),
    );
    assert_eq!(
        w.err("DeleteUser", json!({"UserName": "u"}), "DeleteConflict", 409),
        "Cannot delete entity, must delete policies first."
    );
    w.ok("DeleteUserPolicy", json!({"UserName": "u", "PolicyName": "p"}));
    w.ok(
        "AttachUserPolicy",
        json!({"UserName": "u", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    );
    assert_eq!(
        w.err("DeleteUser", json!({"UserName": "u"}), "DeleteConflict", 409),
        "Cannot delete entity, must detach all policies first."
    );
    w.ok(
        "DetachUserPolicy",
        json!({"UserName": "u", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    );
    w.ok("CreateLoginProfile", json!({"UserName": "u", "Password": "Secret-123!"}));
    w.err("DeleteUser", json!({"UserName": "u"}), "DeleteConflict", 409);
    w.ok("DeleteLoginProfile", json!({"UserName": "u"}));
    let k = w.ok("CreateAccessKey", json!({"UserName": "u"}));
    assert_eq!(
        w.err("DeleteUser", json!({"UserName": "u"}), "DeleteConflict", 409),
        "Cannot delete entity, must delete access keys first."
    );
    w.ok("DeleteAccessKey", json!({"UserName": "u", "AccessKeyId": k["AccessKey"]["AccessKeyId"]}));
    w.ok("DeleteUser", json!({"UserName": "u"}));
}

#[test]
fn permissions_boundary_on_users() {
    let w = World::new();
    let arn = "arn:aws:iam::aws:policy/PowerUserAccess";
    let out = w.ok("CreateUser", json!({"UserName": "u", "PermissionsBoundary": arn}));
    assert_eq!(
        out["User"]["PermissionsBoundary"],
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn})
    );
    w.ok("DeleteUserPermissionsBoundary", json!({"UserName": "u"}));
    assert!(w.ok("GetUser", json!({"UserName": "u"}))["User"].get("PermissionsBoundary").is_none());
    w.err(
        "PutUserPermissionsBoundary",
        json!({"UserName": "u", "PermissionsBoundary": format!("arn:aws:iam::{DEV}:policy/none")}),
        "NoSuchEntity",
        404,
    );
    w.ok("PutUserPermissionsBoundary", json!({"UserName": "u", "PermissionsBoundary": arn}));
    w.err(
        "CreateUser",
        json!({"UserName": "v", "PermissionsBoundary": "arn:aws:iam::aws:policy/NotShipped"}),
        "NoSuchEntity",
        404,
    );
}
