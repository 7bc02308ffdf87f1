//! Authorization decisions through `Services::call` and `authz::decide`: users, role sessions,
//! root, cross-account, and AWS's AccessDenied wording per protocol.

use serde_json::json;
use xacct_policy::PolicyKind;

use super::{decide, gather, ActionRequest, ContextValue, ResourcePolicy};
use crate::sts::tests::{World, DEV, PROD, UPDATE_APP};
use crate::Caller;

fn check(
    w: &World,
    caller: &Caller,
    req: &ActionRequest,
    resource: Option<&ResourcePolicy<'_>>,
) -> xacct_policy::Decision {
    let tx = w.services.store().read().unwrap();
    let g = gather(&w.services, &*tx, caller, "us-east-1").unwrap();
    decide(&w.services, caller, &g, req, resource).unwrap()
}

#[test]
fn users_get_their_own_and_their_groups_policies() {
    let w = World::new();
    w.user(DEV, "Ann", &["Developers"], &[("list", r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}}"#)], &[]);
    let ann = w.user_caller(DEV, "Ann");
    // Own inline policy.
    assert!(w.call(&ann, "iam", "ListUsers", json!({})).is_ok());
    // Group inline policy (Developers may assume UpdateApp).
    let assume = ActionRequest::new("sts:AssumeRole", UPDATE_APP, Some(PROD));
    let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}}"#;
    let trust = ResourcePolicy {
        document: doc,
        cache_key: "t-dev",
        label: UPDATE_APP,
        kind: PolicyKind::Trust,
        required: true,
    };
    assert!(check(&w, &ann, &assume, Some(&trust)).is_allowed());
    // Across accounts the identity allow alone is not enough.
    assert!(!check(&w, &ann, &assume, None).is_allowed());
    // Nothing grants iam:CreateUser: refused with AWS's words, nothing created.
    let e = w.call(&ann, "iam", "CreateUser", json!({"UserName": "Eve"})).unwrap_err();
    assert_eq!((e.code, e.status), ("AccessDenied", 403));
    assert_eq!(
        e.message,
        "User: arn:aws:iam::111111111111:user/Ann is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111111111111:user/Eve because no identity-based policy allows the iam:CreateUser action"
    );
    let tx = w.services.store().read().unwrap();
    assert!(crate::iam::lookup::user(&*tx, DEV, "Eve").unwrap().is_none());
}

#[test]
fn explicit_deny_wins_and_is_named() {
    let w = World::new();
    let jane = w.user_caller(DEV, "Jane");
    let assume = ActionRequest::new("sts:AssumeRole", UPDATE_APP, Some(PROD));
    let d = check(&w, &jane, &assume, None);
    assert_eq!(d.effect, xacct_policy::Effect::ExplicitDeny);
    let e = super::denial("sts", &jane, &assume, &d);
    assert!(
        e.message.ends_with("with an explicit deny in an identity-based policy"),
        "{}",
        e.message
    );
    // PowerUserAccess-like NotAction allow still gives Jane s3, not iam.
    let s3 = ActionRequest::new("s3:GetObject", "arn:aws:s3:::bucket/key", None);
    assert!(check(&w, &jane, &s3, None).is_allowed());
    assert!(w.call(&jane, "iam", "ListUsers", json!({})).is_err());
}

#[test]
fn root_is_all_powerful_in_its_own_account() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIAROOT");
    assert!(w.call(&root, "iam", "CreateUser", json!({"UserName": "Eve"})).is_ok());
    let any = ActionRequest::new("iam:DeleteRole", "arn:aws:iam::111111111111:role/X", Some(DEV));
    assert!(check(&w, &root, &any, None).is_allowed());
    // Another account's resource needs that account's resource policy.
    let cross = ActionRequest::new("sts:AssumeRole", UPDATE_APP, Some(PROD));
    let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}}"#;
    let trust = ResourcePolicy {
        document: doc,
        cache_key: "t-other",
        label: UPDATE_APP,
        kind: PolicyKind::Trust,
        required: true,
    };
    assert!(!check(&w, &root, &cross, Some(&trust)).is_allowed());
}

#[test]
fn role_sessions_act_with_the_roles_policies_in_its_account() {
    let w = World::new();
    let session = w.david_session();
    let get =
        ActionRequest::new("s3:GetObject", "arn:aws:s3:::productionapp/index.html", Some(PROD));
    assert!(check(&w, &session, &get, None).is_allowed());
    let other = ActionRequest::new("s3:GetObject", "arn:aws:s3:::otherbucket/x", Some(PROD));
    assert!(!check(&w, &session, &other, None).is_allowed());
    let e = w.call(&session, "iam", "ListUsers", json!({})).unwrap_err();
    assert_eq!(e.code, "AccessDenied");
    assert!(e.message.starts_with(
        "User: arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate is not authorized to perform: iam:ListUsers on resource: "
    ), "{}", e.message);
    // Deleting the role takes the session's permissions with it.
    {
        let mut tx = w.services.store().write().unwrap();
        crate::iam::model::ROLES
            .delete(&mut *tx, &crate::iam::model::entity_key(PROD, "UpdateApp"))
            .unwrap();
        tx.commit().unwrap();
    }
    assert!(!check(&w, &session, &get, None).is_allowed());
}

#[test]
fn the_context_carries_principal_keys_and_tags() {
    let w = World::new();
    w.user(DEV, "Tagged", &[], &[(
        "by-tag",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:PrincipalTag/team}/${aws:username}/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111","aws:RequestedRegion":"us-east-1"}}}}"#,
    )], &[("team", "blue")]);
    let tagged = w.user_caller(DEV, "Tagged");
    let mine = ActionRequest::new("s3:GetObject", "arn:aws:s3:::blue/Tagged/a.txt", None);
    assert!(check(&w, &tagged, &mine, None).is_allowed());
    let theirs = ActionRequest::new("s3:GetObject", "arn:aws:s3:::red/Tagged/a.txt", None);
    assert!(!check(&w, &tagged, &theirs, None).is_allowed());

    // Role sessions: role tags and session tags as aws:PrincipalTag, MFA and token time present.
    let session = w.david_session();
    let tx = w.services.store().read().unwrap();
    let g = gather(&w.services, &*tx, &session, "eu-west-1").unwrap();
    assert_eq!(g.context.get("aws:PrincipalTag/team").unwrap(), ["prod-ops"]);
    assert_eq!(g.context.get("aws:MultiFactorAuthPresent").unwrap(), ["false"]);
    assert!(g.context.get("aws:TokenIssueTime").unwrap()[0].ends_with('Z'));
    assert_eq!(g.context.get("aws:userid").unwrap()[0], session.user_id);
    assert_eq!(g.context.get("aws:RequestedRegion").unwrap(), ["eu-west-1"]);
    assert!(g.context.get("aws:username").is_none());
    let org_id = &g.context.get("aws:PrincipalOrgID").unwrap()[0];
    assert!(org_id.starts_with("o-"));
    let path = &g.context.get("aws:PrincipalOrgPaths").unwrap()[0];
    assert!(path.starts_with(&format!("{org_id}/r-")) && path.ends_with('/'), "{path}");
    // Long-term credentials carry no MFA key at all.
    let david = w.user_caller(DEV, "David");
    let g = gather(&w.services, &*tx, &david, "us-east-1").unwrap();
    assert!(g.context.get("aws:MultiFactorAuthPresent").is_none());
    assert_eq!(g.context.get("aws:username").unwrap(), ["David"]);
}

#[test]
fn request_keys_reach_conditions() {
    let w = World::new();
    w.user(DEV, "Ann", &[], &[(
        "tagged-only",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/env":"dev"}}}}"#,
    )], &[]);
    let ann = w.user_caller(DEV, "Ann");
    let bare = ActionRequest::new("iam:CreateRole", "arn:aws:iam::111111111111:role/R", Some(DEV));
    assert!(!check(&w, &ann, &bare, None).is_allowed());
    let tagged = bare.clone().with("aws:RequestTag/env", ContextValue::One("dev".into()));
    assert!(check(&w, &ann, &tagged, None).is_allowed());
}

#[test]
fn organizations_denials_use_its_exception() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let e = w.call(&david, "organizations", "DescribeOrganization", json!({})).unwrap_err();
    assert_eq!((e.code, e.status), ("AccessDeniedException", 400));
    assert_eq!(
        e.message,
        "User: arn:aws:iam::111111111111:user/David is not authorized to perform: organizations:DescribeOrganization on resource: * because no identity-based policy allows the organizations:DescribeOrganization action"
    );
    // The member account's root passes authorization (and the service answers).
    let root = Caller::root(DEV, "AKIAROOT");
    assert!(w.call(&root, "organizations", "DescribeOrganization", json!({})).is_ok());
}

#[test]
fn compiled_policies_are_cached() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let assume = ActionRequest::new("sts:AssumeRole", UPDATE_APP, Some(PROD));
    check(&w, &david, &assume, None);
    let n = w.services.authz_state().cached_policies();
    assert!(n >= 1);
    for _ in 0..5 {
        check(&w, &david, &assume, None);
    }
    assert_eq!(w.services.authz_state().cached_policies(), n);
}

#[test]
fn iam_resources_resolve_to_their_stored_path_and_tags() {
    let w = World::new();
    {
        let mut tx = w.services.store().write().unwrap();
        let key = crate::iam::model::entity_key(DEV, "Bob");
        let mut bob = crate::iam::model::USERS.get(&*tx, &key).unwrap().unwrap();
        bob.path = "/engineering/".into();
        bob.arn = "arn:aws:iam::111111111111:user/engineering/Bob".into();
        bob.tags = vec![crate::iam::model::Tag { key: "team".into(), value: "blue".into() }];
        crate::iam::model::USERS.put(&mut *tx, &key, &bob).unwrap();
        tx.commit().unwrap();
    }
    w.user(DEV, "Ann", &[], &[(
        "engineering-blue",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::111111111111:user/engineering/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}}"#,
    )], &[]);
    let ann = w.user_caller(DEV, "Ann");
    let tx = w.services.store().read().unwrap();
    let named = ActionRequest::new("iam:GetUser", "arn:aws:iam::111111111111:user/Bob", Some(DEV));
    let resolved = super::with_stored_iam_resource(&*tx, &named).unwrap();
    assert_eq!(resolved.resource, "arn:aws:iam::111111111111:user/engineering/Bob");
    drop(tx);
    assert!(check(&w, &ann, &resolved, None).is_allowed());
    assert!(w.call(&ann, "iam", "GetUser", json!({"UserName": "Bob"})).is_ok());
    // David is at `/` and untagged: not covered.
    assert!(w.call(&ann, "iam", "GetUser", json!({"UserName": "David"})).is_err());
}

fn org_call(w: &World, op: &str, input: serde_json::Value) -> serde_json::Value {
    let mgmt = Caller::root(&w.services.config().management_account_id, "AKIAMGMT");
    w.call(&mgmt, "organizations", op, input).unwrap()
}

#[test]
fn scps_limit_member_principals_and_rcps_limit_resources() {
    let w = World::new();
    let root_id =
        org_call(&w, "ListRoots", json!({}))["Roots"][0]["Id"].as_str().unwrap().to_owned();
    // SCPs are enabled with the organization (CreateOrganization's reference).
    let roots = org_call(&w, "ListRoots", json!({}));
    assert_eq!(roots["Roots"][0]["PolicyTypes"][0]["Type"], "SERVICE_CONTROL_POLICY");
    let scp = org_call(
        &w,
        "CreatePolicy",
        json!({
            "Name": "NoAssume", "Description": "d", "Type": "SERVICE_CONTROL_POLICY",
            "Content": r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}}"#,
        }),
    );
    let scp_id = scp["Policy"]["PolicySummary"]["Id"].as_str().unwrap().to_owned();
    org_call(&w, "AttachPolicy", json!({"PolicyId": scp_id, "TargetId": DEV}));
    let david = w.user_caller(DEV, "David");
    let e = w
        .sts(
            &david,
            "AssumeRole",
            json!({"RoleArn": UPDATE_APP, "RoleSessionName": "David-ProdUpdate"}),
        )
        .unwrap_err();
    assert!(
        e.message.ends_with("with an explicit deny in a service control policy"),
        "{}",
        e.message
    );
    org_call(&w, "DetachPolicy", json!({"PolicyId": scp_id, "TargetId": DEV}));
    let session = w.david_session();

    // An RCP on Production: only principals of the organization's Production account may
    // assume its roles.
    org_call(
        &w,
        "EnablePolicyType",
        json!({"RootId": root_id, "PolicyType": "RESOURCE_CONTROL_POLICY"}),
    );
    let rcp = org_call(
        &w,
        "CreatePolicy",
        json!({
            "Name": "OnlyProduction", "Description": "d", "Type": "RESOURCE_CONTROL_POLICY",
            "Content": r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"999999999999"}}}}"#,
        }),
    );
    let rcp_id = rcp["Policy"]["PolicySummary"]["Id"].as_str().unwrap().to_owned();
    org_call(&w, "AttachPolicy", json!({"PolicyId": rcp_id, "TargetId": PROD}));
    let e = w
        .sts(
            &david,
            "AssumeRole",
            json!({"RoleArn": UPDATE_APP, "RoleSessionName": "David-ProdUpdate"}),
        )
        .unwrap_err();
    assert!(
        e.message.ends_with("with an explicit deny in a resource control policy"),
        "{}",
        e.message
    );
    // RCPs do not cover IAM: the existing session's IAM calls are decided without them.
    let list = ActionRequest::new("iam:ListRoles", "*", Some(PROD));
    let tx = w.services.store().read().unwrap();
    let mut g = gather(&w.services, &*tx, &session, "us-east-1").unwrap();
    g.add_resource_accounts(&w.services, &*tx, std::slice::from_ref(&list)).unwrap();
    let d = decide(&w.services, &session, &g, &list, None).unwrap();
    assert_eq!(d.denied_by, Some(xacct_policy::PolicyType::Identity));
}
