//! STS through `Services::call`, on the 004 tutorial's world: Development (111111111111) with
//! David (group Developers) and Jane (group Testers), Production (999999999999) with UpdateApp.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::session::SessionError;
use crate::authz::ActionRequest;
use crate::iam::model::{
    entity_key, GroupRecord, RoleRecord, Tag, UserRecord, VirtualMfaRecord, GROUPS, ROLES, USERS,
    VIRTUAL_MFA,
};
use crate::organizations::{self, NewAccount};
use crate::{Caller, Clock, Config, PrincipalKind, ServiceError, Services};

pub(crate) const DEV: &str = "111111111111";
pub(crate) const PROD: &str = "999999999999";
pub(crate) const UPDATE_APP: &str = "arn:aws:iam::999999999999:role/UpdateApp";

pub(crate) struct World {
    pub services: Services,
    _dir: tempfile::TempDir,
}

fn trust(principal: &str, extra: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"{extra}}}]}}"#
    )
}

impl World {
    pub(crate) fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = xacct_store::open_sqlite(dir.path()).unwrap();
        let services = Services::new(store, Arc::new(Clock::new()), Config::default());
        services.bootstrap(None).unwrap();
        let mgmt = Caller::root(&services.config().management_account_id, "AKIAMGMT");
        for (id, name) in [(DEV, "Development"), (PROD, "Production")] {
            let req = NewAccount {
                name,
                email: "x@example.com",
                role_name: "OrganizationAccountAccessRole",
                id: Some(id),
                with_root_key: false,
            };
            organizations::create_member_account(&services, &mgmt, &req, true).unwrap();
        }
        let w = World { services, _dir: dir };
        w.role(PROD, "UpdateApp", &trust("arn:aws:iam::111111111111:root", ""), &[(
            "ReadWriteAppBucket",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::productionapp","arn:aws:s3:::productionapp/*"]}]}"#,
        )], 3600);
        w.group(DEV, "Developers", &[(
            "allow-assume-S3-role-in-production",
            &format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{UPDATE_APP}"}}}}"#),
        )]);
        w.group(DEV, "Testers", &[
            ("power-user", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}"#),
            ("deny-assume-S3-role-in-production", &format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"{UPDATE_APP}"}}}}"#)),
        ]);
        w.user(DEV, "David", &["Developers"], &[], &[]);
        w.user(DEV, "Jane", &["Testers"], &[], &[]);
        w.user(DEV, "Bob", &[], &[], &[]);
        w
    }

    pub(crate) fn role(
        &self,
        account: &str,
        name: &str,
        trust: &str,
        inline: &[(&str, &str)],
        max: u32,
    ) {
        let mut tx = self.services.store().write().unwrap();
        let rec = RoleRecord {
            account_id: account.into(),
            role_name: name.into(),
            role_id: crate::ids::unique_id("AROA").unwrap(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{account}:role/{name}"),
            assume_role_policy_document: trust.into(),
            description: String::new(),
            max_session_duration: max,
            attached_policies: vec![],
            create_date: 0.0,
            tags: vec![Tag { key: "team".into(), value: "prod-ops".into() }],
            permissions_boundary: None,
            inline_policies: inline
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        ROLES.put(&mut *tx, &entity_key(account, name), &rec).unwrap();
        tx.commit().unwrap();
    }

    pub(crate) fn group(&self, account: &str, name: &str, inline: &[(&str, &str)]) {
        let mut tx = self.services.store().write().unwrap();
        let rec = GroupRecord {
            account_id: account.into(),
            group_name: name.into(),
            group_id: crate::ids::unique_id("AGPA").unwrap(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{account}:group/{name}"),
            create_date: 0.0,
            inline_policies: inline
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            attached_policies: vec![],
        };
        GROUPS.put(&mut *tx, &entity_key(account, name), &rec).unwrap();
        tx.commit().unwrap();
    }

    pub(crate) fn user(
        &self,
        account: &str,
        name: &str,
        groups: &[&str],
        inline: &[(&str, &str)],
        tags: &[(&str, &str)],
    ) {
        let mut tx = self.services.store().write().unwrap();
        let rec = UserRecord {
            account_id: account.into(),
            user_name: name.into(),
            user_id: format!("AIDA{:0>16}", name.to_ascii_uppercase()),
            path: "/".into(),
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            create_date: 0.0,
            tags: tags.iter().map(|(k, v)| Tag { key: (*k).into(), value: (*v).into() }).collect(),
            permissions_boundary: None,
            inline_policies: inline
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            attached_policies: vec![],
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            access_keys: vec![],
            login_profile: None,
        };
        USERS.put(&mut *tx, &entity_key(account, name), &rec).unwrap();
        tx.commit().unwrap();
    }

    pub(crate) fn mfa(&self, account: &str, user: &str, seed: &[u8]) -> String {
        let serial = format!("arn:aws:iam::{account}:mfa/{user}");
        let mut tx = self.services.store().write().unwrap();
        let rec = VirtualMfaRecord {
            account_id: account.into(),
            name: user.into(),
            path: "/".into(),
            serial_number: serial.clone(),
            seed_hex: seed.iter().map(|b| format!("{b:02x}")).collect(),
            create_date: 0.0,
            user_name: Some(user.into()),
            enable_date: Some(0.0),
            tags: vec![],
        };
        VIRTUAL_MFA.put(&mut *tx, &entity_key(account, user), &rec).unwrap();
        tx.commit().unwrap();
        serial
    }

    pub(crate) fn user_caller(&self, account: &str, name: &str) -> Caller {
        Caller {
            kind: PrincipalKind::IamUser,
            account: account.into(),
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            user_id: format!("AIDA{:0>16}", name.to_ascii_uppercase()),
            access_key_id: "AKIAUSERKEY000000000".into(),
            name: name.into(),
            session: None,
        }
    }

    pub(crate) fn call(
        &self,
        caller: &Caller,
        service: &str,
        op: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        let call = crate::test_support::call(service, op, "us-east-1", caller, &input);
        self.services.call(&call)
    }

    pub(crate) fn sts(
        &self,
        caller: &Caller,
        op: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        self.call(caller, "sts", op, input)
    }

    /// The caller the credentials of an STS answer authenticate.
    pub(crate) fn session_caller(&self, answer: &Value) -> Caller {
        let c = &answer["Credentials"];
        let akid = c["AccessKeyId"].as_str().unwrap();
        let (secret, caller) = self
            .services
            .resolve_session(
                akid,
                c["SessionToken"].as_str().unwrap(),
                self.services.clock().now_unix(),
            )
            .unwrap();
        assert_eq!(secret, c["SecretAccessKey"].as_str().unwrap());
        caller
    }

    pub(crate) fn david_session(&self) -> Caller {
        let david = self.user_caller(DEV, "David");
        let out = self
            .sts(
                &david,
                "AssumeRole",
                json!({"RoleArn": UPDATE_APP, "RoleSessionName": "David-ProdUpdate"}),
            )
            .unwrap();
        self.session_caller(&out)
    }
}

fn code(r: Result<Value, ServiceError>) -> (String, u16, String) {
    let e = r.unwrap_err();
    (e.code.to_owned(), e.status, e.message)
}

#[test]
fn david_assumes_update_app_and_sees_the_assumed_role_identity() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let out = w
        .sts(
            &david,
            "AssumeRole",
            json!({"RoleArn": UPDATE_APP, "RoleSessionName": "David-ProdUpdate"}),
        )
        .unwrap();
    let creds = &out["Credentials"];
    let akid = creds["AccessKeyId"].as_str().unwrap();
    assert!(akid.starts_with("ASIA") && akid.len() == 20, "{akid}");
    assert_eq!(creds["SecretAccessKey"].as_str().unwrap().len(), 40);
    let now = w.services.clock().now_unix() as f64;
    let exp = creds["Expiration"].as_f64().unwrap();
    assert!((exp - now - 3600.0).abs() < 5.0, "{exp} vs {now}");
    let user = &out["AssumedRoleUser"];
    assert_eq!(user["Arn"], "arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate");
    let id = user["AssumedRoleId"].as_str().unwrap();
    assert!(id.starts_with("AROA") && id.ends_with(":David-ProdUpdate"), "{id}");
    assert!(out.get("PackedPolicySize").is_none());

    let session = w.session_caller(&out);
    assert_eq!(session.kind, PrincipalKind::AssumedRole);
    let me = w.sts(&session, "GetCallerIdentity", json!({})).unwrap();
    assert_eq!(me["Arn"], "arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate");
    assert_eq!(me["Account"], PROD);
    assert_eq!(me["UserId"], id);
    // GetAccessKeyInfo names the role's account for the temporary key.
    let info =
        w.sts(&w.user_caller(DEV, "David"), "GetAccessKeyInfo", json!({"AccessKeyId": akid}));
    // David has no sts:GetAccessKeyInfo permission.
    assert_eq!(code(info).0, "AccessDenied");
    let root = Caller::root(DEV, "AKIAROOT");
    let info = w.sts(&root, "GetAccessKeyInfo", json!({"AccessKeyId": akid})).unwrap();
    assert_eq!(info["Account"], PROD);
}

#[test]
fn jane_is_denied_by_the_testers_explicit_deny() {
    let w = World::new();
    let jane = w.user_caller(DEV, "Jane");
    let (c, status, msg) = code(w.sts(
        &jane,
        "AssumeRole",
        json!({"RoleArn": UPDATE_APP, "RoleSessionName": "Jane-ProdUpdate"}),
    ));
    assert_eq!((c.as_str(), status), ("AccessDenied", 403));
    assert_eq!(
        msg,
        "User: arn:aws:iam::111111111111:user/Jane is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::999999999999:role/UpdateApp with an explicit deny in an identity-based policy"
    );
}

#[test]
fn a_user_without_an_identity_policy_cannot_assume_across_accounts() {
    let w = World::new();
    let bob = w.user_caller(DEV, "Bob");
    let (c, _, msg) =
        code(w.sts(&bob, "AssumeRole", json!({"RoleArn": UPDATE_APP, "RoleSessionName": "bob"})));
    assert_eq!(c, "AccessDenied");
    assert!(
        msg.ends_with("because no identity-based policy allows the sts:AssumeRole action"),
        "{msg}"
    );
}

#[test]
fn root_cannot_assume_and_missing_roles_are_not_disclosed() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIAROOT");
    let (c, status, msg) =
        code(w.sts(&root, "AssumeRole", json!({"RoleArn": UPDATE_APP, "RoleSessionName": "root"})));
    assert_eq!(
        (c.as_str(), status, msg.as_str()),
        ("AccessDenied", 403, "Roles may not be assumed by root accounts.")
    );
    let david = w.user_caller(DEV, "David");
    let (c, _, msg) = code(w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::999999999999:role/Nope", "RoleSessionName": "x1"}),
    ));
    assert_eq!(c, "AccessDenied");
    assert_eq!(msg, "User: arn:aws:iam::111111111111:user/David is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::999999999999:role/Nope");
}

#[test]
fn expired_and_forged_tokens() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let out = w
        .sts(
            &david,
            "AssumeRole",
            json!({"RoleArn": UPDATE_APP, "RoleSessionName": "short", "DurationSeconds": 900}),
        )
        .unwrap();
    let akid = out["Credentials"]["AccessKeyId"].as_str().unwrap();
    let token = out["Credentials"]["SessionToken"].as_str().unwrap();
    let now = w.services.clock().now_unix();
    assert!(w.services.resolve_session(akid, token, now + 899).is_ok());
    assert_eq!(
        w.services.resolve_session(akid, token, now + 901).unwrap_err(),
        SessionError::Expired
    );
    assert_eq!(
        w.services.resolve_session("ASIAAAAAAAAAAAAAAAAA", token, now).unwrap_err(),
        SessionError::Invalid
    );
    assert_eq!(
        w.services.resolve_session(akid, "bm90IGEgdG9rZW4", now).unwrap_err(),
        SessionError::Invalid
    );
    assert_eq!(
        w.services.resolve_session("AKIAAAAAAAAAAAAAAAAA", token, now).unwrap_err(),
        SessionError::Invalid
    );
}

#[test]
fn session_key_survives_a_new_services_over_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = xacct_store::open_sqlite(dir.path()).unwrap();
    let a = Services::new(Arc::clone(&store), Arc::new(Clock::new()), Config::default());
    a.bootstrap(None).unwrap();
    let keys_a = super::session_keys(&a).unwrap();
    let b = Services::new(store, Arc::new(Clock::new()), Config::default());
    let keys_b = super::session_keys(&b).unwrap();
    assert_eq!(
        keys_a.derived_secret("ASIAAAAAAAAAAAAAAAAA"),
        keys_b.derived_secret("ASIAAAAAAAAAAAAAAAAA")
    );
    // A reset makes a new key: sessions issued before it no longer open.
    a.reset(None).unwrap();
    let keys_c = super::session_keys(&a).unwrap();
    assert_ne!(
        keys_a.derived_secret("ASIAAAAAAAAAAAAAAAAA"),
        keys_c.derived_secret("ASIAAAAAAAAAAAAAAAAA")
    );
}

#[test]
fn durations_max_session_and_chaining() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let (c, status, msg) = code(w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": UPDATE_APP, "RoleSessionName": "long", "DurationSeconds": 7200}),
    ));
    assert_eq!((c.as_str(), status), ("ValidationError", 400));
    assert_eq!(
        msg,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    let (c, _, msg) = code(w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": UPDATE_APP, "RoleSessionName": "short", "DurationSeconds": 899}),
    ));
    assert_eq!(c, "ValidationError");
    assert!(msg.contains("greater than or equal to 900"), "{msg}");

    // A second role in Production that UpdateApp sessions may chain into (12 h maximum).
    w.role(PROD, "Auditor", &trust("arn:aws:iam::999999999999:role/UpdateApp", ""), &[], 43200);
    w.role(PROD, "UpdateApp", &trust("arn:aws:iam::111111111111:root", ""), &[(
        "chain",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::999999999999:role/Auditor"}}"#,
    )], 3600);
    let session = w.david_session();
    let (c, _, msg) = code(w.sts(&session, "AssumeRole", json!({"RoleArn": "arn:aws:iam::999999999999:role/Auditor", "RoleSessionName": "audit", "DurationSeconds": 3601})));
    assert_eq!(c, "ValidationError");
    assert_eq!(msg, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
    let out = w
        .sts(&session, "AssumeRole", json!({"RoleArn": "arn:aws:iam::999999999999:role/Auditor", "RoleSessionName": "audit", "DurationSeconds": 3600}))
        .unwrap();
    let chained = w.session_caller(&out);
    assert_eq!(chained.arn, "arn:aws:sts::999999999999:assumed-role/Auditor/audit");
    assert_eq!(chained.session.as_ref().unwrap().chain_depth, 1);
}

#[test]
fn external_id_and_session_name_conditions_reach_the_trust_policy() {
    let w = World::new();
    w.role(PROD, "Vendor", &trust("arn:aws:iam::111111111111:root", r#","Condition":{"StringEquals":{"sts:ExternalId":"Unique-1234"},"StringLike":{"sts:RoleSessionName":"David-*"}}"#), &[], 3600);
    w.user(DEV, "David", &["Developers"], &[("any-role", r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#)], &[]);
    let david = w.user_caller(DEV, "David");
    let arn = "arn:aws:iam::999999999999:role/Vendor";
    let (c, _, msg) =
        code(w.sts(&david, "AssumeRole", json!({"RoleArn": arn, "RoleSessionName": "David-1"})));
    assert_eq!(c, "AccessDenied");
    assert!(
        msg.ends_with("because no resource-based policy allows the sts:AssumeRole action"),
        "{msg}"
    );
    assert!(w
        .sts(
            &david,
            "AssumeRole",
            json!({"RoleArn": arn, "RoleSessionName": "David-1", "ExternalId": "Wrong-1234"})
        )
        .is_err());
    assert!(w
        .sts(
            &david,
            "AssumeRole",
            json!({"RoleArn": arn, "RoleSessionName": "Other", "ExternalId": "Unique-1234"})
        )
        .is_err());
    w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": arn, "RoleSessionName": "David-1", "ExternalId": "Unique-1234"}),
    )
    .unwrap();
}

#[test]
fn mfa_is_checked_and_reaches_the_trust_policy() {
    let w = World::new();
    w.role(
        PROD,
        "MfaOnly",
        &trust(
            "arn:aws:iam::111111111111:root",
            r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
        ),
        &[],
        3600,
    );
    w.user(DEV, "David", &["Developers"], &[("any-role", r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#)], &[]);
    let seed = b"12345678901234567890";
    let serial = w.mfa(DEV, "David", seed);
    let david = w.user_caller(DEV, "David");
    let arn = "arn:aws:iam::999999999999:role/MfaOnly";
    assert_eq!(
        code(w.sts(&david, "AssumeRole", json!({"RoleArn": arn, "RoleSessionName": "m1"}))).0,
        "AccessDenied"
    );
    let (_, _, msg) = code(w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": arn, "RoleSessionName": "m1", "SerialNumber": serial}),
    ));
    assert_eq!(msg, "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.");
    let now = w.services.clock().now_unix();
    let good = crate::iam::ops::mfa::totp_code(seed, now.div_euclid(30)).unwrap();
    let bad = if good == "000000" { "111111" } else { "000000" };
    let (c, status, msg) = code(w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": arn, "RoleSessionName": "m1", "SerialNumber": serial, "TokenCode": bad}),
    ));
    assert_eq!((c.as_str(), status), ("AccessDenied", 403));
    assert_eq!(msg, "MultiFactorAuthentication failed with invalid MFA one time pass code.");
    let out = w.sts(&david, "AssumeRole", json!({"RoleArn": arn, "RoleSessionName": "m1", "SerialNumber": serial, "TokenCode": good})).unwrap();
    assert!(w.session_caller(&out).session.unwrap().mfa_authenticated);
    // Someone else's device does not authenticate Jane.
    let jane = w.user_caller(DEV, "Jane");
    let (_, _, msg) =
        code(w.sts(&jane, "GetSessionToken", json!({"SerialNumber": serial, "TokenCode": good})));
    assert!(
        msg.starts_with("MultiFactorAuthentication failed, unable to validate MFA code."),
        "{msg}"
    );
}

#[test]
fn session_policies_are_validated_and_limit_the_session() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let (c, status, _) = code(w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": UPDATE_APP, "RoleSessionName": "pp", "Policy": "{not json"}),
    ));
    assert_eq!((c.as_str(), status), ("MalformedPolicyDocument", 400));
    let (c, _, msg) = code(w.sts(&david, "AssumeRole", json!({"RoleArn": UPDATE_APP, "RoleSessionName": "pp", "PolicyArns": [{"arn": "arn:aws:iam::999999999999:policy/Nope"}]})));
    assert_eq!(c, "MalformedPolicyDocument");
    assert!(msg.contains("does not exist"), "{msg}");
    let read_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::productionapp/*"}]}"#;
    let out = w
        .sts(
            &david,
            "AssumeRole",
            json!({"RoleArn": UPDATE_APP, "RoleSessionName": "pp", "Policy": read_only}),
        )
        .unwrap();
    let pps = out["PackedPolicySize"].as_u64().unwrap();
    assert!((1..=100).contains(&pps), "{pps}");
    let session = w.session_caller(&out);
    assert_eq!(session.session.as_ref().unwrap().session_policies, vec![read_only.to_owned()]);
    let tx = w.services.store().read().unwrap();
    let g = crate::authz::gather(&w.services, &*tx, &session, "us-east-1").unwrap();
    let get = crate::authz::ActionRequest::new(
        "s3:GetObject",
        "arn:aws:s3:::productionapp/a",
        Some(PROD),
    );
    assert!(crate::authz::decide(&w.services, &session, &g, &get, None).unwrap().is_allowed());
    let put = crate::authz::ActionRequest::new(
        "s3:PutObject",
        "arn:aws:s3:::productionapp/a",
        Some(PROD),
    );
    let d = crate::authz::decide(&w.services, &session, &g, &put, None).unwrap();
    assert_eq!(d.reason, "no session policy allows the s3:PutObject action");
    drop(tx);

    // A managed session policy travels by ARN and is resolved on use.
    let put_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#;
    let root = Caller::root(PROD, "AKIAPRODROOT");
    let created = w
        .call(
            &root,
            "iam",
            "CreatePolicy",
            json!({"PolicyName": "PutOnly", "PolicyDocument": put_only}),
        )
        .unwrap();
    let arn = created["Policy"]["Arn"].as_str().unwrap().to_owned();
    let out = w
        .sts(
            &david,
            "AssumeRole",
            json!({"RoleArn": UPDATE_APP, "RoleSessionName": "pp", "PolicyArns": [{"arn": arn}]}),
        )
        .unwrap();
    let session = w.session_caller(&out);
    assert!(
        out["SessionToken"].is_null()
            && out["Credentials"]["SessionToken"].as_str().unwrap().len() < 2048
    );
    let check = |req: &crate::authz::ActionRequest| {
        let tx = w.services.store().read().unwrap();
        let g = crate::authz::gather(&w.services, &*tx, &session, "us-east-1").unwrap();
        crate::authz::decide(&w.services, &session, &g, req, None).unwrap()
    };
    assert!(check(&put).is_allowed());
    assert!(!check(&get).is_allowed());
    // Once the policy is gone the session's managed session policy grants nothing.
    w.call(&root, "iam", "DeletePolicy", json!({"PolicyArn": arn})).unwrap();
    assert_eq!(check(&put).reason, "no session policy allows the s3:PutObject action");
}

#[test]
fn session_tags_need_tag_session_and_the_packed_limit() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let tags = json!([{"Key": "Project", "Value": "prod"}, {"Key": "CostCenter", "Value": "42"}]);
    let (c, _, msg) = code(w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": UPDATE_APP, "RoleSessionName": "tt", "Tags": tags}),
    ));
    assert_eq!(c, "AccessDenied");
    assert!(msg.contains("sts:TagSession"), "{msg}");
    let allow_tags = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
    w.role(PROD, "UpdateApp", allow_tags, &[], 3600);
    w.group(DEV, "Developers", &[("a", r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}}"#)]);
    let out = w
        .sts(&david, "AssumeRole", json!({"RoleArn": UPDATE_APP, "RoleSessionName": "tt", "Tags": tags, "TransitiveTagKeys": ["Project"]}))
        .unwrap();
    assert!(out["PackedPolicySize"].as_u64().unwrap() >= 1);
    let s = w.session_caller(&out);
    let ctx = s.session.as_ref().unwrap();
    assert_eq!(ctx.tags.len(), 2);
    assert_eq!(ctx.transitive_tag_keys, vec!["Project".to_owned()]);
    let dup = json!([{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]);
    assert_eq!(
        code(w.sts(
            &david,
            "AssumeRole",
            json!({"RoleArn": UPDATE_APP, "RoleSessionName": "tt", "Tags": dup})
        ))
        .0,
        "ValidationError"
    );
    // 50 high-entropy tags exceed the packed allotment.
    let big: Vec<Value> = (0..50)
        .map(|i| json!({"Key": format!("k{i}-{}", crate::ids::secret_access_key().unwrap().replace(['+', '/'], "x")), "Value": format!("{}{}{}", crate::ids::secret_access_key().unwrap(), crate::ids::secret_access_key().unwrap(), crate::ids::secret_access_key().unwrap()).replace(['+', '/'], "y")}))
        .collect();
    let (c, status, msg) = code(w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": UPDATE_APP, "RoleSessionName": "tt", "Tags": big}),
    ));
    assert_eq!((c.as_str(), status), ("PackedPolicyTooLarge", 400));
    assert!(msg.starts_with("Packed size of session tags consumes "), "{msg}");
}

#[test]
fn get_session_token_for_users_and_root() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let out = w.sts(&david, "GetSessionToken", json!({})).unwrap();
    let now = w.services.clock().now_unix() as f64;
    assert!((out["Credentials"]["Expiration"].as_f64().unwrap() - now - 43200.0).abs() < 5.0);
    let s = w.session_caller(&out);
    assert_eq!(s.kind, PrincipalKind::IamUser);
    assert_eq!(s.arn, "arn:aws:iam::111111111111:user/David");
    assert_eq!(
        w.sts(&s, "GetCallerIdentity", json!({})).unwrap()["Arn"],
        "arn:aws:iam::111111111111:user/David"
    );
    // David's group lets him assume UpdateApp with these credentials too (not chaining).
    let out2 = w
        .sts(&s, "AssumeRole", json!({"RoleArn": UPDATE_APP, "RoleSessionName": "via-gst"}))
        .unwrap();
    assert_eq!(w.session_caller(&out2).session.as_ref().unwrap().chain_depth, 0);
    let (c, status, msg) = code(w.sts(&s, "GetSessionToken", json!({})));
    assert_eq!(
        (c.as_str(), status, msg.as_str()),
        ("AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
    );
    let (c, ..) = code(w.call(&s, "iam", "ListUsers", json!({})));
    assert_eq!(c, "InvalidClientTokenId");

    let root = Caller::root(DEV, "AKIAROOT");
    let out = w.sts(&root, "GetSessionToken", json!({"DurationSeconds": 7200})).unwrap();
    assert!((out["Credentials"]["Expiration"].as_f64().unwrap() - now - 3600.0).abs() < 5.0);
    assert_eq!(w.session_caller(&out).arn, "arn:aws:iam::111111111111:root");
    let (c, ..) = code(w.sts(&root, "GetSessionToken", json!({"DurationSeconds": 129_601})));
    assert_eq!(c, "ValidationError");
    let session = w.david_session();
    assert_eq!(code(w.sts(&session, "GetSessionToken", json!({}))).0, "AccessDenied");
}

#[test]
fn get_session_token_with_mfa_marks_the_session() {
    let w = World::new();
    let seed = b"abcdefghijabcdefghij";
    let serial = w.mfa(DEV, "David", seed);
    let david = w.user_caller(DEV, "David");
    let now = w.services.clock().now_unix();
    let good = crate::iam::ops::mfa::totp_code(seed, now.div_euclid(30)).unwrap();
    let out = w
        .sts(&david, "GetSessionToken", json!({"SerialNumber": serial, "TokenCode": good}))
        .unwrap();
    let s = w.session_caller(&out);
    assert!(s.session.as_ref().unwrap().mfa_authenticated);
    // With MFA, IAM calls are authorized like David's own (he has no IAM permission).
    let e = w.call(&s, "iam", "ListUsers", json!({})).unwrap_err();
    assert_eq!(e.code, "AccessDenied");
    let tx = w.services.store().read().unwrap();
    let g = crate::authz::gather(&w.services, &*tx, &s, "us-east-1").unwrap();
    assert_eq!(g.context.get("aws:MultiFactorAuthPresent").unwrap(), ["true"]);
    assert!(g.context.get("aws:MultiFactorAuthAge").is_some());
}

#[test]
fn get_access_key_info_for_long_term_keys() {
    let w = World::new();
    let root = Caller::root(DEV, "AKIAROOT");
    let mgmt_key = {
        let tx = w.services.store().read().unwrap();
        crate::accounts::ACCESS_KEYS.scan(&*tx, "", None, 10).unwrap().into_iter().next().unwrap().1
    };
    let out =
        w.sts(&root, "GetAccessKeyInfo", json!({"AccessKeyId": mgmt_key.access_key_id})).unwrap();
    assert_eq!(out["Account"], mgmt_key.account_id.as_str());
}

#[test]
fn same_account_trust_naming_the_user_needs_no_identity_policy() {
    let w = World::new();
    w.role(DEV, "Direct", &trust("arn:aws:iam::111111111111:user/Bob", ""), &[], 3600);
    w.role(DEV, "AccountWide", &trust("arn:aws:iam::111111111111:root", ""), &[], 3600);
    let bob = w.user_caller(DEV, "Bob");
    let out = w
        .sts(
            &bob,
            "AssumeRole",
            json!({"RoleArn": "arn:aws:iam::111111111111:role/Direct", "RoleSessionName": "bob"}),
        )
        .unwrap();
    assert_eq!(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::111111111111:assumed-role/Direct/bob");
    // Trusting only the account delegates to IAM: Bob has no policy, so no.
    let (c, _, msg) = code(w.sts(
        &bob,
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::111111111111:role/AccountWide", "RoleSessionName": "bob"}),
    ));
    assert_eq!(c, "AccessDenied");
    assert!(
        msg.ends_with("because no identity-based policy allows the sts:AssumeRole action"),
        "{msg}"
    );
}

#[test]
fn chained_sessions_carry_transitive_tags_and_source_identity() {
    let w = World::new();
    let tagging = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::999999999999:root"]},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}"#;
    w.role(PROD, "First", tagging, &[(
        "chain",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}}"#,
    )], 3600);
    w.role(PROD, "Second", tagging, &[], 3600);
    w.group(DEV, "Developers", &[("a", r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}}"#)]);
    let david = w.user_caller(DEV, "David");
    let first = w
        .sts(
            &david,
            "AssumeRole",
            json!({
                "RoleArn": "arn:aws:iam::999999999999:role/First", "RoleSessionName": "one",
                "Tags": [{"Key": "Project", "Value": "unicorn"}, {"Key": "Temp", "Value": "x"}],
                "TransitiveTagKeys": ["Project"], "SourceIdentity": "david"
            }),
        )
        .unwrap();
    let s1 = w.session_caller(&first);
    let second = w
        .sts(
            &s1,
            "AssumeRole",
            json!({"RoleArn": "arn:aws:iam::999999999999:role/Second", "RoleSessionName": "two"}),
        )
        .unwrap();
    assert_eq!(second["SourceIdentity"], "david");
    let s2 = w.session_caller(&second);
    let ctx = s2.session.as_ref().unwrap();
    assert_eq!(ctx.tags, vec![("Project".to_owned(), "unicorn".to_owned())]);
    assert_eq!(ctx.transitive_tag_keys, vec!["Project".to_owned()]);
    assert_eq!(ctx.source_identity.as_deref(), Some("david"));
    // The source identity cannot be changed once set.
    let e = w
        .sts(&s1, "AssumeRole", json!({"RoleArn": "arn:aws:iam::999999999999:role/Second", "RoleSessionName": "two", "SourceIdentity": "mallory"}))
        .unwrap_err();
    assert_eq!(e.code, "AccessDenied");
}

#[test]
fn an_inline_session_policy_over_2048_characters_is_refused() {
    let w = World::new();
    let david = w.user_caller(DEV, "David");
    let statements: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{i}/*"}}"#))
        .collect();
    let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
    assert!(doc.len() > 2048);
    let (c, status, msg) = code(w.sts(
        &david,
        "AssumeRole",
        json!({"RoleArn": UPDATE_APP, "RoleSessionName": "big", "Policy": doc}),
    ));
    assert_eq!((c.as_str(), status), ("ValidationError", 400));
    assert!(msg.ends_with("Member must have length less than or equal to 2048"), "{msg}");
}

// ---------------------------------------------------------------- GetFederationToken

#[test]
fn federation_token_limits_the_user_to_the_session_policy() {
    let w = World::new();
    let jane = w.user_caller(DEV, "Jane");
    let out = w
        .sts(
            &jane,
            "GetFederationToken",
            json!({"Name": "Bob-Proxy", "DurationSeconds": 900,
                   "Policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#}),
        )
        .unwrap();
    assert_eq!(out["FederatedUser"]["Arn"], format!("arn:aws:sts::{DEV}:federated-user/Bob-Proxy"));
    assert_eq!(out["FederatedUser"]["FederatedUserId"], format!("{DEV}:Bob-Proxy"));
    assert!(out["PackedPolicySize"].as_u64().is_some());
    let fed = w.session_caller(&out);
    assert_eq!(fed.kind, PrincipalKind::FederatedUser);
    let who = w.sts(&fed, "GetCallerIdentity", json!({})).unwrap();
    assert_eq!(who["Arn"], format!("arn:aws:sts::{DEV}:federated-user/Bob-Proxy"));
    assert_eq!(who["UserId"], format!("{DEV}:Bob-Proxy"));

    let tx = w.services.store().read().unwrap();
    let g = crate::authz::gather(&w.services, &*tx, &fed, "us-east-1").unwrap();
    let decide = |action: &'static str| {
        let req = ActionRequest::new(action, "arn:aws:s3:::productionapp/k", Some(DEV));
        crate::authz::decide(&w.services, &fed, &g, &req, None).unwrap().is_allowed()
    };
    // Allowed by both Jane's policies and the session policy.
    assert!(decide("s3:GetObject"));
    // Jane may, the session policy does not grant it.
    assert!(!decide("s3:PutObject"));
    drop(tx);
    // Federated users call no IAM and no STS but GetCallerIdentity.
    let (c, s, _) = code(w.call(&fed, "iam", "ListUsers", json!({})));
    assert_eq!((c.as_str(), s), ("AccessDenied", 403));
    let (c, _, _) = code(w.sts(&fed, "GetSessionToken", json!({})));
    assert_eq!(c, "AccessDenied");
}

#[test]
fn federation_token_without_a_policy_grants_nothing() {
    let w = World::new();
    let jane = w.user_caller(DEV, "Jane");
    let out = w.sts(&jane, "GetFederationToken", json!({"Name": "nobody"})).unwrap();
    let exp = out["Credentials"]["Expiration"].as_f64().unwrap();
    let now = w.services.clock().now_unix() as f64;
    assert!((exp - now - 43_200.0).abs() < 5.0, "default is 12 hours");
    assert!(out.get("PackedPolicySize").is_none());
    let fed = w.session_caller(&out);
    let tx = w.services.store().read().unwrap();
    let g = crate::authz::gather(&w.services, &*tx, &fed, "us-east-1").unwrap();
    let req = ActionRequest::new("s3:GetObject", "arn:aws:s3:::productionapp/k", Some(DEV));
    assert!(!crate::authz::decide(&w.services, &fed, &g, &req, None).unwrap().is_allowed());
}

#[test]
fn federation_token_checks_name_duration_caller_and_permission() {
    let w = World::new();
    let jane = w.user_caller(DEV, "Jane");
    let (c, s, m) = code(w.sts(&jane, "GetFederationToken", json!({"Name": "x"})));
    assert_eq!((c.as_str(), s), ("ValidationError", 400));
    assert!(m.contains("Member must have length between 2 and 32"), "{m}");
    let (c, _, m) = code(w.sts(&jane, "GetFederationToken", json!({"Name": "bad name"})));
    assert_eq!(c, "ValidationError");
    assert!(m.contains("regular expression pattern"), "{m}");
    let (c, _, m) = code(w.sts(
        &jane,
        "GetFederationToken",
        json!({"Name": "ok-name", "DurationSeconds": 129_601}),
    ));
    assert_eq!(c, "ValidationError");
    assert!(m.contains("less than or equal to 129600"), "{m}");
    // Session credentials cannot federate.
    let david = w.david_session();
    let (c, _, _) = code(w.sts(&david, "GetFederationToken", json!({"Name": "again"})));
    assert_eq!(c, "AccessDenied");
    // Bob has no policy allowing sts:GetFederationToken.
    let bob = w.user_caller(DEV, "Bob");
    let (c, s, m) = code(w.sts(&bob, "GetFederationToken", json!({"Name": "proxy"})));
    assert_eq!((c.as_str(), s), ("AccessDenied", 403));
    assert!(m.contains("sts:GetFederationToken"), "{m}");
    // The root user's federated sessions are capped at one hour.
    let root = Caller::root(DEV, "AKIAROOT");
    let out = w
        .sts(&root, "GetFederationToken", json!({"Name": "root-fed", "DurationSeconds": 7200}))
        .unwrap();
    let exp = out["Credentials"]["Expiration"].as_f64().unwrap();
    let now = w.services.clock().now_unix() as f64;
    assert!((exp - now - 3600.0).abs() < 5.0);
}
