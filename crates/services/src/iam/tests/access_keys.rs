//! Access keys: at most two, status changes reach SigV4's key cache, the caller's own keys.

use serde_json::json;

use super::{World, DEV};
use crate::PrincipalKind;

#[test]
fn create_use_deactivate_delete() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "david", "Path": "/dev/"}));
    let k = w.ok("CreateAccessKey", json!({"UserName": "david"}));
    let key = &k["AccessKey"];
    let id = key["AccessKeyId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("AKIA") && id.len() == 20);
    assert_eq!(key["SecretAccessKey"].as_str().unwrap().len(), 40);
    assert_eq!(key["Status"], "Active");
    assert_eq!(key["UserName"], "david");
    // SigV4 sees the key at once, as David.
    let resolved = w.services.resolve_access_key(&id).unwrap().unwrap();
    assert!(resolved.active);
    assert_eq!(resolved.caller.kind, PrincipalKind::IamUser);
    assert_eq!(resolved.caller.arn, format!("arn:aws:iam::{DEV}:user/dev/david"));
    assert_eq!(resolved.secret_access_key, key["SecretAccessKey"].as_str().unwrap());
    // Inactive: the cached entry is dropped.
    w.ok("UpdateAccessKey", json!({"UserName": "david", "AccessKeyId": id, "Status": "Inactive"}));
    assert!(!w.services.resolve_access_key(&id).unwrap().unwrap().active);
    w.err(
        "UpdateAccessKey",
        json!({"UserName": "david", "AccessKeyId": id, "Status": "Paused"}),
        "ValidationError",
        400,
    );
    let listed = w.ok("ListAccessKeys", json!({"UserName": "david"}));
    assert_eq!(listed["AccessKeyMetadata"][0]["Status"], "Inactive");
    assert!(listed["AccessKeyMetadata"][0].get("SecretAccessKey").is_none());
    let last = w.ok("GetAccessKeyLastUsed", json!({"AccessKeyId": id}));
    assert_eq!(last["UserName"], "david");
    assert_eq!(last["AccessKeyLastUsed"]["ServiceName"], "N/A");
    w.ok("DeleteAccessKey", json!({"UserName": "david", "AccessKeyId": id}));
    assert!(w.services.resolve_access_key(&id).unwrap().is_none());
    let m = w.err(
        "DeleteAccessKey",
        json!({"UserName": "david", "AccessKeyId": id}),
        "NoSuchEntity",
        404,
    );
    assert_eq!(m, format!("The Access Key with id {id} cannot be found."));
}

#[test]
fn two_keys_per_user() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "u"}));
    w.ok("CreateAccessKey", json!({"UserName": "u"}));
    w.ok("CreateAccessKey", json!({"UserName": "u"}));
    let m = w.err("CreateAccessKey", json!({"UserName": "u"}), "LimitExceeded", 409);
    assert_eq!(m, "Cannot exceed quota for AccessKeysPerUser: 2");
    w.err("CreateAccessKey", json!({"UserName": "ghost"}), "NoSuchEntity", 404);
}

#[test]
fn keys_of_another_user_are_not_found() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "a"}));
    w.ok("CreateUser", json!({"UserName": "b"}));
    let id = w.ok("CreateAccessKey", json!({"UserName": "a"}))["AccessKey"]["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    w.err("DeleteAccessKey", json!({"UserName": "b", "AccessKeyId": id}), "NoSuchEntity", 404);
    w.err(
        "UpdateAccessKey",
        json!({"UserName": "b", "AccessKeyId": id, "Status": "Inactive"}),
        "NoSuchEntity",
        404,
    );
}

#[test]
fn without_user_name_the_caller_acts_on_its_own_keys() {
    let w = World::new();
    w.ok("CreateUser", json!({"UserName": "david"}));
    let id = w.ok("CreateAccessKey", json!({"UserName": "david"}))["AccessKey"]["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let david = w.services.resolve_access_key(&id).unwrap().unwrap().caller.clone();
    // Without a policy David may not manage even his own keys.
    let denied = w.call_as(&david, "CreateAccessKey", json!({})).unwrap_err();
    assert_eq!((denied.code, denied.status), ("AccessDenied", 403));
    let own_keys = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["iam:CreateAccessKey", "iam:ListAccessKeys"], "Resource": "arn:aws:iam::*:user/${aws:username}"}]});
    w.ok("PutUserPolicy", json!({"UserName": "david", "PolicyName": "own-keys", "PolicyDocument": own_keys.to_string()}));
    let second = w.call_as(&david, "CreateAccessKey", json!({})).unwrap();
    assert_eq!(second["AccessKey"]["UserName"], "david");
    let listed = w.call_as(&david, "ListAccessKeys", json!({})).unwrap();
    assert_eq!(listed["AccessKeyMetadata"].as_array().unwrap().len(), 2);
    // Root without UserName: its own (root) keys.
    let root_key = w.ok("CreateAccessKey", json!({}));
    assert!(root_key["AccessKey"].get("UserName").is_none());
    let root_keys = w.ok("ListAccessKeys", json!({}));
    assert_eq!(root_keys["AccessKeyMetadata"].as_array().unwrap().len(), 1);
    let rid = root_key["AccessKey"]["AccessKeyId"].as_str().unwrap();
    assert_eq!(
        w.services.resolve_access_key(rid).unwrap().unwrap().caller.kind,
        PrincipalKind::Root
    );
}
