//! Building CloudTrail records: one [`Draft`] per call, made before the operation runs from the
//! verified caller and the decoded input, turned into one JSON record per receiving account
//! ([`Draft::bodies`]) once the outcome is known (or, for the copy written with the change, with
//! the outcome still pending).
//!
//! Shapes follow AWS's "CloudTrail record contents" and "CloudTrail userIdentity element":
//! `eventVersion` 1.09, `userIdentity` by principal kind (`Root`, `IAMUser`, `AssumedRole` with its
//! `sessionContext`, `AWSService` with `invokedBy`, and `AWSAccount` for the copy another account
//! receives), `requestParameters` with camelCase member names, `responseElements` for calls
//! that change something (and the STS credential calls), `errorCode`/`errorMessage`,
//! `sharedEventID` on every copy of a cross-account event.
//!
//! Security: secrets never reach a record. Request members that carry one (passwords, secret
//! keys, plaintexts, MFA codes, private keys) are replaced by AWS's
//! `HIDDEN_DUE_TO_SECURITY_REASONS`; response members that carry one (secret access keys,
//! session tokens, service passwords, MFA seeds) are left out, as AWS leaves them out.

use serde_json::{Map, Value};

use crate::{Call, Caller, PrincipalKind, ServiceError};

/// The record format version written (AWS's current format is 1.11; 1.09 has every field set
/// here).
pub const EVENT_VERSION: &str = "1.09";

/// AWS's replacement text for a secret request member.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Request members (model member names, any case) whose values are secrets.
const SECRET_REQUEST_MEMBERS: &[&str] = &[
    "password",
    "newpassword",
    "oldpassword",
    "secretaccesskey",
    "sessiontoken",
    "plaintext",
    "privatekey",
    "authenticationcode1",
    "authenticationcode2",
    "tokencode",
    "servicepassword",
];

/// Response members left out of `responseElements`.
const SECRET_RESPONSE_MEMBERS: &[&str] = &[
    "secretaccesskey",
    "sessiontoken",
    "servicepassword",
    "base32stringseed",
    "qrcodepng",
    "plaintext",
    "privatekey",
    "password",
];

/// The region a service's events are recorded in: IAM, STS's global endpoint and Organizations
/// are global services whose events CloudTrail records in us-east-1; STS calls signed for another
/// region went to that regional endpoint and are recorded there.
pub fn event_region<'a>(service: &str, call_region: &'a str) -> &'a str {
    match service {
        "iam" | "organizations" => "us-east-1",
        _ if call_region.is_empty() => "us-east-1",
        _ => call_region,
    }
}

/// Whether AWS marks the operation's events `readOnly`.
pub fn is_read_only(service: &str, operation: &str) -> bool {
    const READ_PREFIXES: &[&str] =
        &["Get", "List", "Describe", "Lookup", "Head", "Simulate", "Search", "Select"];
    match (service, operation) {
        // STS calls change nothing in the account.
        ("sts", _) => true,
        // KMS cryptographic operations read the key.
        (
            "kms",
            "Encrypt"
            | "Decrypt"
            | "ReEncrypt"
            | "GenerateDataKey"
            | "GenerateDataKeyWithoutPlaintext"
            | "GenerateDataKeyPair"
            | "GenerateDataKeyPairWithoutPlaintext"
            | "GenerateRandom"
            | "Sign"
            | "Verify"
            | "GenerateMac"
            | "VerifyMac"
            | "DeriveSharedSecret",
        ) => true,
        ("iam", "GenerateCredentialReport" | "GenerateServiceLastAccessedDetails") => false,
        _ => READ_PREFIXES.iter().any(|p| operation.starts_with(p)),
    }
}

/// Whether the event keeps the operation's output as `responseElements`: writes do, reads do
/// not (AWS logs `null`), except the STS calls that hand out credentials.
fn keeps_response(service: &str, operation: &str, read_only: bool) -> bool {
    !read_only
        || matches!(
            (service, operation),
            ("sts", "AssumeRole" | "GetSessionToken" | "GetFederationToken")
                | ("sts", "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity")
        )
}

/// The outcome an event records.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Written with the change, before the operation returned: no response or error yet.
    Pending,
    Succeeded(&'a Value),
    Failed {
        code: &'a str,
        message: &'a str,
    },
}

impl<'a> Outcome<'a> {
    /// The outcome of an operation's result (internal failures without their detail).
    pub fn of(result: &'a Result<Value, ServiceError>) -> Outcome<'a> {
        match result {
            Ok(v) => Outcome::Succeeded(v),
            Err(e) => Outcome::Failed { code: e.code, message: &e.message },
        }
    }
}

/// One receiving account's copy of an event.
#[derive(Debug, Clone)]
struct Copy {
    account: String,
    event_id: String,
    /// `userIdentity` as this account sees the caller, as JSON text.
    identity: String,
}

/// Everything known about a call's event before the operation runs.
///
/// The shared members are serialized once, when the draft is made: a record is that text plus
/// each copy's own members, so building the bodies of a call costs one string per copy.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The members every copy shares, as `"name":value` pairs joined by commas.
    shared: String,
    copies: Vec<Copy>,
    shared_event_id: Option<String>,
    keeps_response: bool,
}

/// Appends `,"key":value` (or `"key":value` to an empty buffer).
fn push_member(buf: &mut String, key: &str, value: &impl serde::Serialize) {
    if !buf.is_empty() && !buf.ends_with('{') {
        buf.push(',');
    }
    buf.push('"');
    buf.push_str(key);
    buf.push_str("\":");
    // Serializing strings, bools and `Value`s to a String cannot fail.
    if let Ok(text) = serde_json::to_string(value) {
        buf.push_str(&text);
    } else {
        buf.push_str("null");
    }
}

impl Draft {
    /// The draft of `call`'s event at `epoch` (seconds).
    pub fn new(call: &Call<'_>, epoch: i64) -> Result<Draft, ServiceError> {
        let read_only = is_read_only(call.service, call.operation);
        let mut shared = String::with_capacity(512);
        push_member(&mut shared, "eventVersion", &EVENT_VERSION);
        push_member(&mut shared, "eventTime", &crate::authz::iso8601(epoch));
        push_member(&mut shared, "eventSource", &format!("{}.amazonaws.com", call.service));
        push_member(&mut shared, "eventName", &call.operation);
        push_member(&mut shared, "awsRegion", &event_region(call.service, call.region));
        push_member(&mut shared, "sourceIPAddress", &call.source_ip);
        push_member(&mut shared, "userAgent", &call.user_agent);
        push_member(&mut shared, "requestParameters", &request_parameters(call.input));
        push_member(&mut shared, "requestID", &call.request_id);
        push_member(&mut shared, "readOnly", &read_only);
        push_member(&mut shared, "eventType", &"AwsApiCall");
        push_member(&mut shared, "managementEvent", &true);
        push_member(&mut shared, "eventCategory", &"Management");

        let mut copies = vec![Copy {
            account: call.caller.account.clone(),
            event_id: uuid_v4()?,
            identity: user_identity(call.caller).to_string(),
        }];
        let mut shared_event_id = None;
        if let Some(other) = other_account(call) {
            copies.push(Copy {
                account: other,
                event_id: uuid_v4()?,
                identity: foreign_identity(call.caller).to_string(),
            });
            shared_event_id = Some(uuid_v4()?);
        }
        Ok(Draft {
            shared,
            copies,
            shared_event_id,
            keeps_response: keeps_response(call.service, call.operation, read_only),
        })
    }

    /// The accounts receiving a copy (the caller's first).
    pub fn accounts(&self) -> impl Iterator<Item = &str> {
        self.copies.iter().map(|c| c.account.as_str())
    }

    /// Each receiving account's record for `outcome`, as JSON text.
    pub fn bodies(&self, outcome: Outcome<'_>) -> Vec<(String, String)> {
        let (response, error) = match outcome {
            Outcome::Pending => (Value::Null, None),
            Outcome::Succeeded(output) if self.keeps_response => (response_elements(output), None),
            Outcome::Succeeded(_) => (Value::Null, None),
            Outcome::Failed { code, message } => (Value::Null, Some((code, message))),
        };
        let mut tail = String::new();
        if let Some((code, message)) = error {
            push_member(&mut tail, "errorCode", &code);
            push_member(&mut tail, "errorMessage", &message);
        }
        push_member(&mut tail, "responseElements", &response);
        if let Some(shared) = &self.shared_event_id {
            push_member(&mut tail, "sharedEventID", shared);
        }
        self.copies
            .iter()
            .map(|copy| {
                let mut body = String::with_capacity(
                    self.shared.len() + copy.identity.len() + tail.len() + 160,
                );
                body.push('{');
                body.push_str(&self.shared);
                body.push_str(",\"userIdentity\":");
                body.push_str(&copy.identity);
                push_member(&mut body, "eventID", &copy.event_id);
                push_member(&mut body, "recipientAccountId", &copy.account);
                body.push(',');
                body.push_str(&tail);
                body.push('}');
                (copy.account.clone(), body)
            })
            .collect()
    }
}

/// The account that owns the resource of a cross-account call, when it is not the caller's.
fn other_account(call: &Call<'_>) -> Option<String> {
    let arn = match (call.service, call.operation) {
        ("sts", "AssumeRole") => crate::input_str(call.input, "RoleArn")?,
        _ => return None,
    };
    let account = arn.split(':').nth(4)?;
    (crate::ids::is_account_id(account) && account != call.caller.account)
        .then(|| account.to_owned())
}

/// A random UUID (version 4) from the OS RNG.
pub fn uuid_v4() -> Result<String, ServiceError> {
    let mut b = crate::ids::random_bytes::<16>()?;
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x40;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digit = |n: u8| char::from(HEX.get(usize::from(n)).copied().unwrap_or(b'0'));
    let hex: String = b.iter().flat_map(|x| [digit(x >> 4), digit(x & 0x0f)]).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    ))
}

/// `userIdentity` of `caller` in its own account.
pub fn user_identity(caller: &Caller) -> Value {
    let mut m = Map::new();
    let kind = match caller.kind {
        PrincipalKind::Root => "Root",
        PrincipalKind::IamUser => "IAMUser",
        PrincipalKind::AssumedRole => "AssumedRole",
        PrincipalKind::FederatedUser => "FederatedUser",
        PrincipalKind::Service => "AWSService",
    };
    m.insert("type".into(), Value::from(kind));
    if caller.kind == PrincipalKind::Service {
        let by = if caller.name.is_empty() { &caller.arn } else { &caller.name };
        m.insert("invokedBy".into(), Value::from(by.as_str()));
        return Value::Object(m);
    }
    m.insert("principalId".into(), Value::from(caller.user_id.as_str()));
    m.insert("arn".into(), Value::from(caller.arn.as_str()));
    m.insert("accountId".into(), Value::from(caller.account.as_str()));
    m.insert("accessKeyId".into(), Value::from(caller.access_key_id.as_str()));
    if caller.kind == PrincipalKind::IamUser {
        m.insert("userName".into(), Value::from(caller.name.as_str()));
    }
    if let Some(s) = caller.session.as_deref() {
        let mut context = Map::new();
        if let (Some(role_arn), Some(role_name)) = (&s.role_arn, &s.role_name) {
            context.insert(
                "sessionIssuer".into(),
                serde_json::json!({
                    "type": "Role",
                    "principalId": s.role_id.as_deref().unwrap_or_default(),
                    "arn": role_arn,
                    "accountId": s.account,
                    "userName": role_name,
                }),
            );
            context.insert("webIdFederationData".into(), Value::Object(Map::new()));
        }
        context.insert(
            "attributes".into(),
            serde_json::json!({
                "creationDate": crate::authz::iso8601(s.issued_at),
                "mfaAuthenticated": if s.mfa_authenticated { "true" } else { "false" },
            }),
        );
        if let Some(si) = &s.source_identity {
            context.insert("sourceIdentity".into(), Value::from(si.as_str()));
        }
        m.insert("sessionContext".into(), Value::Object(context));
        if let Some(service) = &s.invoked_by {
            m.insert("invokedBy".into(), Value::from(service.as_str()));
        }
    }
    Value::Object(m)
}

/// `userIdentity` of `caller` as another account (the resource owner) sees it.
fn foreign_identity(caller: &Caller) -> Value {
    serde_json::json!({
        "type": "AWSAccount",
        "principalId": caller.user_id,
        "accountId": caller.account,
    })
}

/// `Member` → `member`, as CloudTrail writes parameter names.
fn camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn is_member(list: &[&str], name: &str) -> bool {
    list.iter().any(|m| m.eq_ignore_ascii_case(name))
}

/// The decoded input as `requestParameters`: camelCase members, secrets hidden; `null` when
/// the call has no parameters.
pub fn request_parameters(input: &Value) -> Value {
    match input {
        Value::Object(m) if m.is_empty() => Value::Null,
        Value::Null => Value::Null,
        v => convert(v, &|name, value| {
            if is_member(SECRET_REQUEST_MEMBERS, name) {
                Some(Value::from(HIDDEN))
            } else {
                Some(value)
            }
        }),
    }
}

/// An operation's output as `responseElements`: camelCase members, secrets left out.
pub fn response_elements(output: &Value) -> Value {
    match output {
        Value::Object(m) if m.is_empty() => Value::Null,
        Value::Null => Value::Null,
        v => {
            convert(v, &|name, value| (!is_member(SECRET_RESPONSE_MEMBERS, name)).then_some(value))
        }
    }
}

/// Recursively camelCases object keys; `filter` sees each member (original name, converted
/// value) and may replace or drop it.
fn convert(value: &Value, filter: &dyn Fn(&str, Value) -> Option<Value>) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter_map(|(k, v)| filter(k, convert(v, filter)).map(|v| (camel(k), v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| convert(v, filter)).collect()),
        v => v.clone(),
    }
}

/// The `Username` LookupEvents shows for a record's `userIdentity`.
pub fn username(identity: &Value) -> Option<String> {
    let s = |k: &str| identity.get(k).and_then(Value::as_str);
    match s("type")? {
        "IAMUser" => s("userName").map(str::to_owned),
        "Root" => Some("root".to_owned()),
        "AssumedRole" | "FederatedUser" => {
            s("arn").and_then(|a| a.rsplit('/').next()).map(str::to_owned)
        }
        "AWSService" => s("invokedBy").map(str::to_owned),
        _ => s("principalId").map(str::to_owned),
    }
}

/// The resources LookupEvents lists for a record (type, name), from its parameters and response.
pub fn resources(record: &Value) -> Vec<(&'static str, String)> {
    let params = record.get("requestParameters");
    let response = record.get("responseElements");
    let p = |k: &str| params.and_then(|p| p.get(k)).and_then(Value::as_str);
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut add = |t: &'static str, name: Option<&str>| {
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            if !out.iter().any(|(ot, on)| *ot == t && on == n) {
                out.push((t, n.to_owned()));
            }
        }
    };
    let source = record.get("eventSource").and_then(Value::as_str).unwrap_or_default();
    match source {
        "iam.amazonaws.com" => {
            add("AWS::IAM::User", p("userName"));
            add("AWS::IAM::Role", p("roleName"));
            add("AWS::IAM::Group", p("groupName"));
            add("AWS::IAM::Policy", p("policyArn"));
            add("AWS::IAM::InstanceProfile", p("instanceProfileName"));
            add("AWS::IAM::AccessKey", p("accessKeyId"));
            let created_key =
                response.and_then(|r| r.pointer("/accessKey/accessKeyId")).and_then(Value::as_str);
            add("AWS::IAM::AccessKey", created_key);
        }
        "sts.amazonaws.com" => {
            let creds = response
                .and_then(|r| r.pointer("/credentials/accessKeyId"))
                .and_then(Value::as_str);
            add("AWS::IAM::AccessKey", creds);
            let assumed =
                response.and_then(|r| r.pointer("/assumedRoleUser/arn")).and_then(Value::as_str);
            add("AWS::STS::AssumedRole", assumed);
            add("AWS::IAM::Role", p("roleArn"));
        }
        "s3.amazonaws.com" => add("AWS::S3::Bucket", p("bucket").or_else(|| p("bucketName"))),
        "kms.amazonaws.com" => add("AWS::KMS::Key", p("keyId")),
        "cloudtrail.amazonaws.com" => {
            add("AWS::CloudTrail::Trail", p("name").or_else(|| p("trailName")));
        }
        "organizations.amazonaws.com" => {
            add("AWS::Organizations::Account", p("accountId"));
            add("AWS::Organizations::Policy", p("policyId"));
            add("AWS::Organizations::OrganizationalUnit", p("organizationalUnitId"));
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call_with<'a>(
        caller: &'a Caller,
        input: &'a Value,
        service: &'a str,
        op: &'a str,
    ) -> Call<'a> {
        Call {
            service,
            operation: op,
            region: "eu-west-1",
            caller,
            input,
            request_id: "req-1",
            source_ip: "192.0.2.7",
            user_agent: "aws-cli/2",
            streams: None,
        }
    }

    #[test]
    fn secrets_are_hidden_in_requests_and_left_out_of_responses() {
        let input =
            json!({"UserName": "bob", "Password": "hunter2", "Nested": [{"NewPassword": "x"}]});
        let p = request_parameters(&input);
        assert_eq!(
            p,
            json!({"userName": "bob", "password": HIDDEN, "nested": [{"newPassword": HIDDEN}]})
        );
        let out = json!({"AccessKey": {"AccessKeyId": "AKIA1", "SecretAccessKey": "s3cr3t", "Status": "Active"}});
        let r = response_elements(&out);
        assert_eq!(r, json!({"accessKey": {"accessKeyId": "AKIA1", "status": "Active"}}));
        assert!(!r.to_string().contains("s3cr3t"));
        assert_eq!(request_parameters(&json!({})), Value::Null);
    }

    #[test]
    fn regions_and_read_only() {
        assert_eq!(event_region("iam", "eu-west-1"), "us-east-1");
        assert_eq!(event_region("organizations", "eu-west-1"), "us-east-1");
        assert_eq!(event_region("sts", "eu-west-1"), "eu-west-1");
        assert_eq!(event_region("kms", "eu-west-1"), "eu-west-1");
        assert!(is_read_only("iam", "GetUser"));
        assert!(is_read_only("cloudtrail", "LookupEvents"));
        assert!(!is_read_only("iam", "CreateUser"));
        assert!(!is_read_only("iam", "GenerateCredentialReport"));
        assert!(is_read_only("kms", "Decrypt"));
        assert!(is_read_only("sts", "AssumeRole"));
    }

    #[test]
    fn a_root_call_has_one_copy_with_the_root_identity() {
        let caller = Caller::root("111111111111", "AKIAROOT");
        let input = json!({"UserName": "bob"});
        let call = call_with(&caller, &input, "iam", "CreateUser");
        let draft = Draft::new(&call, 1_700_000_000).unwrap();
        let out = json!({"User": {"UserName": "bob", "Arn": "arn:aws:iam::111111111111:user/bob"}});
        let bodies = draft.bodies(Outcome::Succeeded(&out));
        assert_eq!(bodies.len(), 1);
        let (account, body) = &bodies[0];
        assert_eq!(account, "111111111111");
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["userIdentity"]["type"], "Root");
        assert_eq!(v["userIdentity"]["accessKeyId"], "AKIAROOT");
        assert_eq!(v["awsRegion"], "us-east-1");
        assert_eq!(v["eventSource"], "iam.amazonaws.com");
        assert_eq!(v["eventTime"], "2023-11-14T22:13:20Z");
        assert_eq!(v["requestParameters"], json!({"userName": "bob"}));
        assert_eq!(v["responseElements"]["user"]["userName"], "bob");
        assert_eq!(v["readOnly"], false);
        assert_eq!(v["recipientAccountId"], "111111111111");
        assert_eq!(v["sourceIPAddress"], "192.0.2.7");
        assert_eq!(v["userAgent"], "aws-cli/2");
        assert!(v.get("sharedEventID").is_none());
        assert_eq!(v["eventID"].as_str().unwrap().len(), 36);
        assert_eq!(v["eventID"].as_str().unwrap().chars().nth(14), Some('4'));
        assert_eq!(username(&v["userIdentity"]).as_deref(), Some("root"));
        assert_eq!(resources(&v), vec![("AWS::IAM::User", "bob".to_owned())]);
    }

    #[test]
    fn a_cross_account_assume_role_has_two_copies_with_one_shared_id() {
        let caller = Caller {
            kind: PrincipalKind::IamUser,
            account: "111111111111".into(),
            arn: "arn:aws:iam::111111111111:user/David".into(),
            user_id: "AIDADAVID".into(),
            access_key_id: "AKIADAVID".into(),
            name: "David".into(),
            session: None,
        };
        let input = json!({"RoleArn": "arn:aws:iam::999999999999:role/UpdateApp", "RoleSessionName": "david"});
        let call = call_with(&caller, &input, "sts", "AssumeRole");
        let draft = Draft::new(&call, 1_700_000_000).unwrap();
        let err = ServiceError::client("AccessDenied", 403, "no");
        let result: Result<Value, ServiceError> = Err(err);
        let bodies = draft.bodies(Outcome::of(&result));
        assert_eq!(bodies.len(), 2);
        let a: Value = serde_json::from_str(&bodies[0].1).unwrap();
        let b: Value = serde_json::from_str(&bodies[1].1).unwrap();
        assert_eq!(bodies[1].0, "999999999999");
        assert_eq!(a["sharedEventID"], b["sharedEventID"]);
        assert_ne!(a["eventID"], b["eventID"]);
        assert_eq!(a["userIdentity"]["type"], "IAMUser");
        assert_eq!(a["userIdentity"]["userName"], "David");
        assert_eq!(b["userIdentity"]["type"], "AWSAccount");
        assert_eq!(b["recipientAccountId"], "999999999999");
        assert_eq!(a["errorCode"], "AccessDenied");
        assert_eq!(a["awsRegion"], "eu-west-1");
        assert_eq!(
            resources(&a),
            vec![("AWS::IAM::Role", "arn:aws:iam::999999999999:role/UpdateApp".to_owned())]
        );
    }

    #[test]
    fn an_assumed_role_identity_carries_its_session_context() {
        let ctx = std::sync::Arc::new(crate::sts::session::SessionContext {
            account: "999999999999".into(),
            access_key_id: "ASIAX".into(),
            role_arn: Some("arn:aws:iam::999999999999:role/UpdateApp".into()),
            role_id: Some("AROAUPDATE".into()),
            role_name: Some("UpdateApp".into()),
            session_name: Some("david".into()),
            issued_at: 1_700_000_000,
            expires_at: 1_700_003_600,
            ..Default::default()
        });
        let caller = ctx.caller();
        let id = user_identity(&caller);
        assert_eq!(id["type"], "AssumedRole");
        assert_eq!(id["principalId"], "AROAUPDATE:david");
        assert_eq!(id["arn"], "arn:aws:sts::999999999999:assumed-role/UpdateApp/david");
        assert_eq!(id["accessKeyId"], "ASIAX");
        let issuer = &id["sessionContext"]["sessionIssuer"];
        assert_eq!(issuer["type"], "Role");
        assert_eq!(issuer["principalId"], "AROAUPDATE");
        assert_eq!(issuer["userName"], "UpdateApp");
        assert_eq!(id["sessionContext"]["attributes"]["mfaAuthenticated"], "false");
        assert_eq!(id["sessionContext"]["attributes"]["creationDate"], "2023-11-14T22:13:20Z");
        assert_eq!(username(&id).as_deref(), Some("david"));
    }

    #[test]
    fn the_pending_copy_has_no_response_and_reads_keep_none() {
        let caller = Caller::root("111111111111", "AKIAROOT");
        let input = json!({});
        let call = call_with(&caller, &input, "iam", "ListUsers");
        let draft = Draft::new(&call, 0).unwrap();
        let out = json!({"Users": [{"UserName": "x"}]});
        let v: Value = serde_json::from_str(&draft.bodies(Outcome::Succeeded(&out))[0].1).unwrap();
        assert_eq!(v["responseElements"], Value::Null);
        assert_eq!(v["requestParameters"], Value::Null);
        let v: Value = serde_json::from_str(&draft.bodies(Outcome::Pending)[0].1).unwrap();
        assert!(v.get("errorCode").is_none());
    }
}
