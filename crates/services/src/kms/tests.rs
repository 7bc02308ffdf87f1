//! KMS through `Services::call`, on the STS tests' world: Development (111111111111) with
//! David, Jane and Bob; Production (999999999999) with the role UpdateApp.

use serde_json::{json, Value};

use crate::sts::tests::{World, DEV, PROD};
use crate::{Caller, ServiceError};

const PLAIN: &str = "aGVsbG8gd29ybGQ="; // "hello world"

fn kms(w: &World, caller: &Caller, op: &str, input: Value) -> Result<Value, ServiceError> {
    w.call(caller, "kms", op, input)
}

fn code(r: Result<Value, ServiceError>) -> (String, u16, String) {
    let e = r.unwrap_err();
    (e.code.to_owned(), e.status, e.message)
}

fn root(account: &str) -> Caller {
    Caller::root(account, "AKIAROOT")
}

fn create_key(w: &World, account: &str, policy: Option<&str>) -> (String, String) {
    let mut input = json!({"Description": "test"});
    if let Some(p) = policy {
        input["Policy"] = json!(p);
    }
    let out = kms(w, &root(account), "CreateKey", input).unwrap();
    let m = &out["KeyMetadata"];
    (m["KeyId"].as_str().unwrap().to_owned(), m["Arn"].as_str().unwrap().to_owned())
}

fn allow(actions: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":"{resource}"}}]}}"#
    )
}

#[test]
fn default_key_policy_delegates_to_iam() {
    let w = World::new();
    let (key_id, arn) = create_key(&w, DEV, None);
    let policy =
        kms(&w, &root(DEV), "GetKeyPolicy", json!({"KeyId": key_id, "PolicyName": "default"}))
            .unwrap();
    let doc: Value = serde_json::from_str(policy["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(doc["Statement"][0]["Sid"], "Enable IAM User Permissions");
    assert_eq!(doc["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::111111111111:root");

    // Bob has no identity policy: the root-delegating key policy alone is not enough.
    let bob = w.user_caller(DEV, "Bob");
    let (c, status, msg) =
        code(kms(&w, &bob, "Encrypt", json!({"KeyId": key_id, "Plaintext": PLAIN})));
    assert_eq!((c.as_str(), status), ("AccessDeniedException", 400));
    assert_eq!(
        msg,
        format!("User: arn:aws:iam::111111111111:user/Bob is not authorized to perform: kms:Encrypt on resource: {arn} because no identity-based policy allows the kms:Encrypt action")
    );
    // With an identity policy it works.
    w.user(DEV, "Bob", &[], &[("kms", &allow(r#""kms:Encrypt""#, "*"))], &[]);
    let out = kms(&w, &bob, "Encrypt", json!({"KeyId": key_id, "Plaintext": PLAIN})).unwrap();
    assert_eq!(out["KeyId"], json!(arn));
    // Decrypt is still not allowed.
    let (c, _, _) =
        code(kms(&w, &bob, "Decrypt", json!({"CiphertextBlob": out["CiphertextBlob"]})));
    assert_eq!(c, "AccessDeniedException");
}

#[test]
fn key_policy_without_the_account_ignores_iam_policies() {
    let w = World::new();
    // The key policy names only the account root user itself... as a principal ARN of a user.
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/Bob"},"Action":"kms:*","Resource":"*"},
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:PutKeyPolicy","Resource":"*"}]}"#;
    let (key_id, arn) = create_key(&w, DEV, Some(policy));
    // Bob is named directly: no identity policy needed.
    let bob = w.user_caller(DEV, "Bob");
    kms(&w, &bob, "Encrypt", json!({"KeyId": key_id, "Plaintext": PLAIN})).unwrap();
    // Jane's PowerUser-like identity policy allows kms:*, but the key policy does not name her
    // and only delegates kms:PutKeyPolicy to IAM.
    let jane = w.user_caller(DEV, "Jane");
    let (c, _, msg) = code(kms(&w, &jane, "Encrypt", json!({"KeyId": key_id, "Plaintext": PLAIN})));
    assert_eq!(c, "AccessDeniedException");
    assert!(
        msg.ends_with(&format!(
            "on resource: {arn} because no resource-based policy allows the kms:Encrypt action"
        )),
        "{msg}"
    );
}

#[test]
fn encryption_round_trip_and_ciphertext_binding() {
    let w = World::new();
    let r = root(DEV);
    let (key_a, arn_a) = create_key(&w, DEV, None);
    let (key_b, _) = create_key(&w, DEV, None);
    let ctx = json!({"purpose": "test", "app": "x"});
    let enc = kms(
        &w,
        &r,
        "Encrypt",
        json!({"KeyId": key_a, "Plaintext": PLAIN, "EncryptionContext": ctx}),
    )
    .unwrap();
    let blob = enc["CiphertextBlob"].clone();
    assert_ne!(blob, json!(PLAIN));
    // Decrypt without KeyId finds the key from the blob.
    let dec =
        kms(&w, &r, "Decrypt", json!({"CiphertextBlob": blob, "EncryptionContext": ctx})).unwrap();
    assert_eq!(dec["Plaintext"], json!(PLAIN));
    assert_eq!(dec["KeyId"], json!(arn_a));
    // Wrong or missing context.
    for bad in [json!({"purpose": "other", "app": "x"}), json!({})] {
        let (c, _, _) =
            code(kms(&w, &r, "Decrypt", json!({"CiphertextBlob": blob, "EncryptionContext": bad})));
        assert_eq!(c, "InvalidCiphertextException");
    }
    // Naming another key.
    let (c, _, _) = code(kms(
        &w,
        &r,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": ctx, "KeyId": key_b}),
    ));
    assert_eq!(c, "IncorrectKeyException");
    // Garbage.
    let (c, _, _) = code(kms(
        &w,
        &r,
        "Decrypt",
        json!({"CiphertextBlob": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
    ));
    assert_eq!(c, "InvalidCiphertextException");
    // ReEncrypt moves it to key B under a new context.
    let re = kms(
        &w,
        &r,
        "ReEncrypt",
        json!({"CiphertextBlob": blob, "SourceEncryptionContext": ctx, "DestinationKeyId": key_b}),
    )
    .unwrap();
    assert_eq!(re["SourceKeyId"], json!(arn_a));
    let dec =
        kms(&w, &r, "Decrypt", json!({"CiphertextBlob": re["CiphertextBlob"], "KeyId": key_b}))
            .unwrap();
    assert_eq!(dec["Plaintext"], json!(PLAIN));
    // Data keys.
    let dk = kms(&w, &r, "GenerateDataKey", json!({"KeyId": key_a, "KeySpec": "AES_256"})).unwrap();
    let plain = dk["Plaintext"].as_str().unwrap();
    let dec = kms(&w, &r, "Decrypt", json!({"CiphertextBlob": dk["CiphertextBlob"]})).unwrap();
    assert_eq!(dec["Plaintext"].as_str().unwrap(), plain);
    let dk = kms(
        &w,
        &r,
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": key_a, "NumberOfBytes": 16}),
    )
    .unwrap();
    assert!(dk.get("Plaintext").is_none());
    let (c, _, _) = code(kms(&w, &r, "GenerateDataKey", json!({"KeyId": key_a})));
    assert_eq!(c, "ValidationException");
    // Rotation keeps old ciphertexts readable.
    kms(&w, &r, "RotateKeyOnDemand", json!({"KeyId": key_a})).unwrap();
    let dec =
        kms(&w, &r, "Decrypt", json!({"CiphertextBlob": blob, "EncryptionContext": ctx})).unwrap();
    assert_eq!(dec["Plaintext"], json!(PLAIN));
}

#[test]
fn key_states_block_use() {
    let w = World::new();
    let r = root(DEV);
    let (key, arn) = create_key(&w, DEV, None);
    kms(&w, &r, "DisableKey", json!({"KeyId": key})).unwrap();
    let (c, _, msg) = code(kms(&w, &r, "Encrypt", json!({"KeyId": key, "Plaintext": PLAIN})));
    assert_eq!((c.as_str(), msg), ("DisabledException", format!("{arn} is disabled.")));
    kms(&w, &r, "EnableKey", json!({"KeyId": key})).unwrap();
    for days in [6, 31] {
        let (c, _, _) = code(kms(
            &w,
            &r,
            "ScheduleKeyDeletion",
            json!({"KeyId": key, "PendingWindowInDays": days}),
        ));
        assert_eq!(c, "ValidationException");
    }
    let out = kms(&w, &r, "ScheduleKeyDeletion", json!({"KeyId": key, "PendingWindowInDays": 7}))
        .unwrap();
    assert_eq!(out["KeyState"], "PendingDeletion");
    let meta = kms(&w, &r, "DescribeKey", json!({"KeyId": key})).unwrap();
    assert_eq!(meta["KeyMetadata"]["KeyState"], "PendingDeletion");
    assert!(meta["KeyMetadata"]["DeletionDate"].is_number());
    let (c, _, msg) = code(kms(&w, &r, "Encrypt", json!({"KeyId": key, "Plaintext": PLAIN})));
    assert_eq!(
        (c.as_str(), msg),
        ("KMSInvalidStateException", format!("{arn} is pending deletion."))
    );
    kms(&w, &r, "CancelKeyDeletion", json!({"KeyId": key})).unwrap();
    let meta = kms(&w, &r, "DescribeKey", json!({"KeyId": key})).unwrap();
    assert_eq!(meta["KeyMetadata"]["KeyState"], "Disabled");
    // Past the deletion date the key is gone.
    kms(&w, &r, "ScheduleKeyDeletion", json!({"KeyId": key, "PendingWindowInDays": 7})).unwrap();
    w.services.clock().advance_ms(8 * 86_400_000);
    let (c, _, msg) = code(kms(&w, &r, "DescribeKey", json!({"KeyId": key})));
    assert_eq!((c.as_str(), msg), ("NotFoundException", format!("Key '{arn}' does not exist")));
    let list = kms(&w, &r, "ListKeys", json!({})).unwrap();
    assert_eq!(list["Keys"], json!([]));
}

fn cross_account_key(w: &World) -> (String, String) {
    // Production's key names Development's account: IAM in Development decides who.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
        {{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PROD}:root"}},"Action":"kms:*","Resource":"*"}},
        {{"Sid":"Allow Development","Effect":"Allow","Principal":{{"AWS":"{DEV}"}},"Action":["kms:Encrypt","kms:Decrypt","kms:DescribeKey"],"Resource":"*"}}]}}"#
    );
    create_key(w, PROD, Some(&policy))
}

#[test]
fn cross_account_needs_key_policy_and_identity_policy_and_the_arn() {
    let w = World::new();
    let (key_id, arn) = cross_account_key(&w);
    let bob = w.user_caller(DEV, "Bob");
    // By key id alone the key is looked up in Development.
    w.user(DEV, "Bob", &[], &[("kms", &allow(r#"["kms:Encrypt","kms:Decrypt"]"#, &arn))], &[]);
    let (c, _, msg) = code(kms(&w, &bob, "Encrypt", json!({"KeyId": key_id, "Plaintext": PLAIN})));
    assert_eq!(c, "NotFoundException");
    assert!(msg.contains(&format!(":{DEV}:key/{key_id}")), "{msg}");
    let enc = kms(&w, &bob, "Encrypt", json!({"KeyId": arn, "Plaintext": PLAIN})).unwrap();
    let dec = kms(&w, &bob, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]})).unwrap();
    assert_eq!(dec["Plaintext"], json!(PLAIN));
    // Not in the key policy.
    let (c, _, _) =
        code(kms(&w, &bob, "GenerateDataKey", json!({"KeyId": arn, "KeySpec": "AES_256"})));
    assert_eq!(c, "AccessDeniedException");
    // Administrative operations never work across accounts.
    let (c, _, _) = code(kms(&w, &bob, "DisableKey", json!({"KeyId": arn})));
    assert_eq!(c, "AccessDeniedException");
    // Without the identity policy: denied.
    w.user(DEV, "Bob", &[], &[], &[]);
    let (c, _, msg) = code(kms(&w, &bob, "Encrypt", json!({"KeyId": arn, "Plaintext": PLAIN})));
    assert_eq!(c, "AccessDeniedException");
    assert!(
        msg.contains("because no identity-based policy allows the kms:Encrypt action"),
        "{msg}"
    );
    // Another account's key policy that does not name Development: denied even with IAM.
    let (_, other_arn) = create_key(&w, PROD, None);
    w.user(DEV, "Bob", &[], &[("kms", &allow(r#""kms:*""#, "*"))], &[]);
    let (c, _, msg) =
        code(kms(&w, &bob, "Encrypt", json!({"KeyId": other_arn, "Plaintext": PLAIN})));
    assert_eq!(c, "AccessDeniedException");
    assert!(msg.contains("because no resource-based policy allows"), "{msg}");
}

#[test]
fn grants_allow_their_operations_within_constraints() {
    let w = World::new();
    let (key_id, arn) = create_key(&w, DEV, None);
    let bob = w.user_caller(DEV, "Bob");
    let grant = kms(
        &w,
        &root(DEV),
        "CreateGrant",
        json!({
            "KeyId": key_id,
            "GranteePrincipal": bob.arn,
            "Operations": ["Encrypt", "Decrypt"],
            "Constraints": {"EncryptionContextSubset": {"app": "billing"}},
            "Name": "bob-billing",
        }),
    )
    .unwrap();
    let grant_id = grant["GrantId"].as_str().unwrap().to_owned();
    let ctx = json!({"app": "billing", "env": "prod"});
    let enc = kms(
        &w,
        &bob,
        "Encrypt",
        json!({"KeyId": arn, "Plaintext": PLAIN, "EncryptionContext": ctx}),
    )
    .unwrap();
    kms(
        &w,
        &bob,
        "Decrypt",
        json!({"CiphertextBlob": enc["CiphertextBlob"], "EncryptionContext": ctx}),
    )
    .unwrap();
    // Outside the constraint, and an operation the grant does not have.
    let (c, _, _) = code(kms(&w, &bob, "Encrypt", json!({"KeyId": arn, "Plaintext": PLAIN})));
    assert_eq!(c, "AccessDeniedException");
    let (c, _, _) = code(kms(
        &w,
        &bob,
        "GenerateDataKey",
        json!({"KeyId": arn, "KeySpec": "AES_256", "EncryptionContext": ctx}),
    ));
    assert_eq!(c, "AccessDeniedException");
    // Grants cannot allow ListGrants.
    let (c, _, _) = code(kms(&w, &bob, "ListGrants", json!({"KeyId": key_id})));
    assert_eq!(c, "AccessDeniedException");
    let list = kms(&w, &root(DEV), "ListGrants", json!({"KeyId": key_id})).unwrap();
    assert_eq!(list["Grants"][0]["GrantId"], json!(grant_id));
    assert_eq!(list["Grants"][0]["KeyId"], json!(arn));
    assert_eq!(list["Grants"][0]["IssuingAccount"], json!(format!("arn:aws:iam::{DEV}:root")));
    // An explicit deny in Bob's identity policy beats the grant.
    w.user(DEV, "Bob", &[], &[("deny", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}]}"#)], &[]);
    let (c, _, _) = code(kms(
        &w,
        &bob,
        "Encrypt",
        json!({"KeyId": arn, "Plaintext": PLAIN, "EncryptionContext": ctx}),
    ));
    assert_eq!(c, "AccessDeniedException");
    w.user(DEV, "Bob", &[], &[], &[]);
    // Revoked: gone.
    kms(&w, &root(DEV), "RevokeGrant", json!({"KeyId": key_id, "GrantId": grant_id})).unwrap();
    let (c, _, _) = code(kms(
        &w,
        &bob,
        "Encrypt",
        json!({"KeyId": arn, "Plaintext": PLAIN, "EncryptionContext": ctx}),
    ));
    assert_eq!(c, "AccessDeniedException");
    let (c, _, msg) =
        code(kms(&w, &root(DEV), "RevokeGrant", json!({"KeyId": key_id, "GrantId": grant_id})));
    assert_eq!((c.as_str(), msg), ("NotFoundException", format!("Grant ID {grant_id} not found")));
}

#[test]
fn retire_grant_by_token_by_the_retiring_principal() {
    let w = World::new();
    let (key_id, _) = create_key(&w, DEV, None);
    let bob = w.user_caller(DEV, "Bob");
    let jane = w.user_caller(DEV, "Jane");
    let grant = kms(
        &w,
        &root(DEV),
        "CreateGrant",
        json!({"KeyId": key_id, "GranteePrincipal": jane.arn, "RetiringPrincipal": bob.arn, "Operations": ["Encrypt"]}),
    )
    .unwrap();
    let listed =
        kms(&w, &root(DEV), "ListRetirableGrants", json!({"RetiringPrincipal": bob.arn})).unwrap();
    assert_eq!(listed["Grants"].as_array().unwrap().len(), 1);
    kms(&w, &bob, "RetireGrant", json!({"GrantToken": grant["GrantToken"]})).unwrap();
    let (c, _, _) = code(kms(&w, &bob, "RetireGrant", json!({"GrantToken": grant["GrantToken"]})));
    assert_eq!(c, "InvalidGrantTokenException");
    assert_eq!(
        kms(&w, &root(DEV), "ListGrants", json!({"KeyId": key_id})).unwrap()["Grants"],
        json!([])
    );
}

#[test]
fn aliases_follow_aws_rules() {
    let w = World::new();
    let r = root(DEV);
    let (key_id, arn) = create_key(&w, DEV, None);
    kms(&w, &r, "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": key_id})).unwrap();
    let enc = kms(&w, &r, "Encrypt", json!({"KeyId": "alias/app", "Plaintext": PLAIN})).unwrap();
    assert_eq!(enc["KeyId"], json!(arn));
    let (c, _, msg) =
        code(kms(&w, &r, "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": key_id})));
    assert_eq!(c, "AlreadyExistsException");
    assert_eq!(
        msg,
        format!("An alias with the name arn:aws:kms:us-east-1:{DEV}:alias/app already exists")
    );
    let (c, _, _) = code(kms(
        &w,
        &r,
        "CreateAlias",
        json!({"AliasName": "alias/aws/ebs", "TargetKeyId": key_id}),
    ));
    assert_eq!(c, "NotAuthorizedException");
    let (c, _, msg) =
        code(kms(&w, &r, "CreateAlias", json!({"AliasName": "wrong/app", "TargetKeyId": key_id})));
    assert_eq!((c.as_str(), msg.as_str()), ("ValidationException", "Invalid identifier"));
    let (c, _, _) = code(kms(
        &w,
        &r,
        "CreateAlias",
        json!({"AliasName": "alias/b", "TargetKeyId": "alias/app"}),
    ));
    assert_eq!(c, "ValidationException");
    // An alias is not accepted where AWS wants a key id.
    let (c, _, msg) = code(kms(&w, &r, "EnableKeyRotation", json!({"KeyId": "alias/app"})));
    assert_eq!((c.as_str(), msg.as_str()), ("NotFoundException", "Invalid keyId alias/app"));
    let aliases = kms(&w, &r, "ListAliases", json!({"KeyId": key_id})).unwrap();
    assert_eq!(
        aliases["Aliases"][0]["AliasArn"],
        json!(format!("arn:aws:kms:us-east-1:{DEV}:alias/app"))
    );
    // Aliases are per account: Production does not see it.
    let (c, _, _) =
        code(kms(&w, &root(PROD), "Encrypt", json!({"KeyId": "alias/app", "Plaintext": PLAIN})));
    assert_eq!(c, "NotFoundException");
    kms(&w, &r, "DeleteAlias", json!({"AliasName": "alias/app"})).unwrap();
    let (c, _, msg) = code(kms(&w, &r, "DeleteAlias", json!({"AliasName": "alias/app"})));
    assert_eq!(c, "NotFoundException");
    assert_eq!(msg, format!("Alias arn:aws:kms:us-east-1:{DEV}:alias/app is not found."));
}

#[test]
fn key_policies_are_validated_and_lockout_checked() {
    let w = World::new();
    let (c, _, _) = code(kms(&w, &root(DEV), "CreateKey", json!({"Policy": "my policy"})));
    assert_eq!(c, "MalformedPolicyDocumentException");
    let ghost = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/Ghost"},"Action":"kms:*","Resource":"*"}]}"#;
    let (c, _, msg) = code(kms(&w, &root(DEV), "CreateKey", json!({"Policy": ghost})));
    assert_eq!(c, "MalformedPolicyDocumentException");
    assert_eq!(msg, "Policy contains a statement with one or more invalid principals.");
    // A policy that would lock the caller out.
    let lockout = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/Bob"},"Action":"kms:Encrypt","Resource":"*"}]}"#;
    let (c, _, msg) = code(kms(&w, &root(DEV), "CreateKey", json!({"Policy": lockout})));
    assert_eq!(c, "MalformedPolicyDocumentException");
    assert!(msg.contains("will not allow you to update the key policy"), "{msg}");
    let out = kms(
        &w,
        &root(DEV),
        "CreateKey",
        json!({"Policy": lockout, "BypassPolicyLockoutSafetyCheck": true}),
    )
    .unwrap();
    let key = out["KeyMetadata"]["KeyId"].as_str().unwrap();
    // Now even the account root cannot read it.
    let (c, _, _) = code(kms(&w, &root(DEV), "DescribeKey", json!({"KeyId": key})));
    assert_eq!(c, "AccessDeniedException");
}

#[test]
fn resource_tags_and_encryption_context_conditions() {
    let w = World::new();
    let (key_id, arn) = create_key(&w, DEV, None);
    kms(
        &w,
        &root(DEV),
        "TagResource",
        json!({"KeyId": key_id, "Tags": [{"TagKey": "team", "TagValue": "billing"}]}),
    )
    .unwrap();
    let bob = w.user_caller(DEV, "Bob");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*",
        "Condition":{"StringEquals":{"aws:ResourceTag/team":"billing","kms:EncryptionContext:app":"invoices","kms:CallerAccount":"111111111111"}}}]}"#;
    w.user(DEV, "Bob", &[], &[("tagged", policy)], &[]);
    kms(
        &w,
        &bob,
        "Encrypt",
        json!({"KeyId": arn, "Plaintext": PLAIN, "EncryptionContext": {"app": "invoices"}}),
    )
    .unwrap();
    let (c, _, _) = code(kms(
        &w,
        &bob,
        "Encrypt",
        json!({"KeyId": arn, "Plaintext": PLAIN, "EncryptionContext": {"app": "other"}}),
    ));
    assert_eq!(c, "AccessDeniedException");
    kms(&w, &root(DEV), "UntagResource", json!({"KeyId": key_id, "TagKeys": ["team"]})).unwrap();
    let (c, _, _) = code(kms(
        &w,
        &bob,
        "Encrypt",
        json!({"KeyId": arn, "Plaintext": PLAIN, "EncryptionContext": {"app": "invoices"}}),
    ));
    assert_eq!(c, "AccessDeniedException");
}

#[test]
fn mock_mode_authorizes_nothing() {
    let w = World::new();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/Bob"},"Action":"kms:*","Resource":"*"}]}"#;
    let out = kms(
        &w,
        &root(DEV),
        "CreateKey",
        json!({"Policy": policy, "BypassPolicyLockoutSafetyCheck": true}),
    )
    .unwrap();
    let key = out["KeyMetadata"]["KeyId"].as_str().unwrap();
    assert_eq!(
        code(kms(&w, &root(DEV), "Encrypt", json!({"KeyId": key, "Plaintext": PLAIN}))).0,
        "AccessDeniedException"
    );
    w.services.authz_state().set_mock_mode(true);
    kms(&w, &root(DEV), "Encrypt", json!({"KeyId": key, "Plaintext": PLAIN})).unwrap();
}

#[test]
fn hmac_keys() {
    let w = World::new();
    let r = root(DEV);
    let out =
        kms(&w, &r, "CreateKey", json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}))
            .unwrap();
    let key = out["KeyMetadata"]["KeyId"].as_str().unwrap();
    assert_eq!(out["KeyMetadata"]["MacAlgorithms"], json!(["HMAC_SHA_256"]));
    let mac = kms(
        &w,
        &r,
        "GenerateMac",
        json!({"KeyId": key, "MacAlgorithm": "HMAC_SHA_256", "Message": PLAIN}),
    )
    .unwrap();
    let ok = kms(
        &w,
        &r,
        "VerifyMac",
        json!({"KeyId": key, "MacAlgorithm": "HMAC_SHA_256", "Message": PLAIN, "Mac": mac["Mac"]}),
    )
    .unwrap();
    assert_eq!(ok["MacValid"], json!(true));
    let (c, _, _) = code(kms(
        &w,
        &r,
        "VerifyMac",
        json!({"KeyId": key, "MacAlgorithm": "HMAC_SHA_256", "Message": "b3RoZXI=", "Mac": mac["Mac"]}),
    ));
    assert_eq!(c, "KMSInvalidMacException");
    let (c, _, _) = code(kms(&w, &r, "Encrypt", json!({"KeyId": key, "Plaintext": PLAIN})));
    assert_eq!(c, "InvalidKeyUsageException");
}

#[test]
fn asymmetric_signing_and_rsa_encryption() {
    let w = World::new();
    let r = root(DEV);
    let out =
        kms(&w, &r, "CreateKey", json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}))
            .unwrap();
    let m = &out["KeyMetadata"];
    assert_eq!(m["SigningAlgorithms"], json!(["ECDSA_SHA_256"]));
    let key = m["KeyId"].as_str().unwrap();
    let sig = kms(
        &w,
        &r,
        "Sign",
        json!({"KeyId": key, "Message": PLAIN, "SigningAlgorithm": "ECDSA_SHA_256"}),
    )
    .unwrap();
    let ok = kms(&w, &r, "Verify", json!({"KeyId": key, "Message": PLAIN, "Signature": sig["Signature"], "SigningAlgorithm": "ECDSA_SHA_256"}))
        .unwrap();
    assert_eq!(ok["SignatureValid"], json!(true));
    let (c, _, _) = code(kms(
        &w,
        &r,
        "Verify",
        json!({"KeyId": key, "Message": "b3RoZXI=", "Signature": sig["Signature"], "SigningAlgorithm": "ECDSA_SHA_256"}),
    ));
    assert_eq!(c, "KMSInvalidSignatureException");
    let (c, _, msg) = code(kms(
        &w,
        &r,
        "Sign",
        json!({"KeyId": key, "Message": PLAIN, "SigningAlgorithm": "RSASSA_PSS_SHA_256"}),
    ));
    assert_eq!(c, "ValidationException");
    assert!(msg.ends_with("Member must satisfy enum value set: ['ECDSA_SHA_256']"), "{msg}");
    let public = kms(&w, &r, "GetPublicKey", json!({"KeyId": key})).unwrap();
    assert!(public["PublicKey"].as_str().unwrap().len() > 80);
    let (c, _, _) = code(kms(&w, &r, "Encrypt", json!({"KeyId": key, "Plaintext": PLAIN})));
    assert_eq!(c, "InvalidKeyUsageException");

    let out =
        kms(&w, &r, "CreateKey", json!({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}))
            .unwrap();
    assert_eq!(
        out["KeyMetadata"]["EncryptionAlgorithms"],
        json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
    );
    let rsa = out["KeyMetadata"]["KeyId"].as_str().unwrap();
    let (c, _, _) = code(kms(&w, &r, "Encrypt", json!({"KeyId": rsa, "Plaintext": PLAIN})));
    assert_eq!(c, "InvalidKeyUsageException");
    let enc = kms(
        &w,
        &r,
        "Encrypt",
        json!({"KeyId": rsa, "Plaintext": PLAIN, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
    )
    .unwrap();
    // RSA ciphertexts carry no key id: Decrypt must name the key.
    let (c, _, _) = code(kms(
        &w,
        &r,
        "Decrypt",
        json!({"CiphertextBlob": enc["CiphertextBlob"], "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
    ));
    assert_eq!(c, "InvalidCiphertextException");
    let dec = kms(&w, &r, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"], "KeyId": rsa, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}))
        .unwrap();
    assert_eq!(dec["Plaintext"], json!(PLAIN));
    let (c, _, _) =
        code(kms(&w, &r, "GenerateDataKey", json!({"KeyId": rsa, "KeySpec": "AES_256"})));
    assert_eq!(c, "InvalidKeyUsageException");
}

#[test]
fn cross_account_principal_named_directly_still_needs_its_identity_policy() {
    let w = World::new();
    // Production's key names Bob of Development himself, not his account.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
        {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PROD}:root"}},"Action":"kms:*","Resource":"*"}},
        {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{DEV}:user/Bob"}},"Action":"kms:Encrypt","Resource":"*"}}]}}"#
    );
    let (_, arn) = create_key(&w, PROD, Some(&policy));
    let bob = w.user_caller(DEV, "Bob");
    let (c, _, msg) = code(kms(&w, &bob, "Encrypt", json!({"KeyId": arn, "Plaintext": PLAIN})));
    assert_eq!(c, "AccessDeniedException");
    assert!(msg.contains("because no identity-based policy allows"), "{msg}");
    w.user(DEV, "Bob", &[], &[("kms", &allow(r#""kms:Encrypt""#, &arn))], &[]);
    kms(&w, &bob, "Encrypt", json!({"KeyId": arn, "Plaintext": PLAIN})).unwrap();
    // Jane, in the same account, is not named: her kms:* identity policy is not enough.
    let jane = w.user_caller(DEV, "Jane");
    let (c, _, msg) = code(kms(&w, &jane, "Encrypt", json!({"KeyId": arn, "Plaintext": PLAIN})));
    assert_eq!(c, "AccessDeniedException");
    assert!(msg.contains("because no resource-based policy allows"), "{msg}");
}

#[test]
fn data_key_pairs_are_sealed_under_the_kms_key() {
    let w = World::new();
    let r = root(DEV);
    let (key, arn) = create_key(&w, DEV, None);
    let out = kms(
        &w,
        &r,
        "GenerateDataKeyPair",
        json!({"KeyId": key, "KeyPairSpec": "ECC_NIST_P256", "EncryptionContext": {"app": "x"}}),
    )
    .unwrap();
    assert_eq!(out["KeyId"], json!(arn));
    let dec = kms(&w, &r, "Decrypt", json!({"CiphertextBlob": out["PrivateKeyCiphertextBlob"], "EncryptionContext": {"app": "x"}}))
        .unwrap();
    assert_eq!(dec["Plaintext"], out["PrivateKeyPlaintext"]);
    let out = kms(
        &w,
        &r,
        "GenerateDataKeyPairWithoutPlaintext",
        json!({"KeyId": key, "KeyPairSpec": "ECC_NIST_P256"}),
    )
    .unwrap();
    assert!(out.get("PrivateKeyPlaintext").is_none());
    assert!(out["PublicKey"].as_str().unwrap().len() > 80);
}

#[test]
fn automatic_rotation_happens_on_schedule() {
    let w = World::new();
    let r = root(DEV);
    let (key, _) = create_key(&w, DEV, None);
    kms(&w, &r, "EnableKeyRotation", json!({"KeyId": key, "RotationPeriodInDays": 90})).unwrap();
    let status = kms(&w, &r, "GetKeyRotationStatus", json!({"KeyId": key})).unwrap();
    assert_eq!(status["RotationPeriodInDays"], json!(90));
    let old = kms(&w, &r, "Encrypt", json!({"KeyId": key, "Plaintext": PLAIN})).unwrap();
    w.services.clock().advance_ms(91 * 86_400_000);
    let new = kms(&w, &r, "Encrypt", json!({"KeyId": key, "Plaintext": PLAIN})).unwrap();
    let rotations = kms(&w, &r, "ListKeyRotations", json!({"KeyId": key})).unwrap();
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 1);
    assert_eq!(rotations["Rotations"][0]["RotationType"], "AUTOMATIC");
    for blob in [&old["CiphertextBlob"], &new["CiphertextBlob"]] {
        let dec = kms(&w, &r, "Decrypt", json!({"CiphertextBlob": blob})).unwrap();
        assert_eq!(dec["Plaintext"], json!(PLAIN));
    }
    let next = kms(&w, &r, "GetKeyRotationStatus", json!({"KeyId": key})).unwrap()
        ["NextRotationDate"]
        .as_f64()
        .unwrap();
    assert!(next > w.services.clock().now_epoch_f64());
}
