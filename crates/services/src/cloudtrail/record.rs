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

use serde_json::Value;

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
/// each copy's own members, so building the bodies of a call costs one string per copy. JSON is
/// written straight from the call's values (no intermediate `Value` trees): recording runs on
/// every request.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The members every copy shares, as `"name":value` pairs joined by commas.
    shared: String,
    copies: Vec<Copy>,
    shared_event_id: Option<String>,
    keeps_response: bool,
}

/// Appends `s` as a JSON string literal.
fn push_json_str(buf: &mut String, s: &str) {
    buf.push('"');
    push_json_escaped(buf, s);
    buf.push('"');
}

/// Appends `s` escaped for the inside of a JSON string literal. Only ASCII bytes need
/// escaping, so the scan is bytewise and copies the runs between them whole.
fn push_json_escaped(buf: &mut String, s: &str) {
    use std::fmt::Write;
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            b if b < 0x20 => "",
            _ => continue,
        };
        buf.push_str(s.get(plain..i).unwrap_or_default());
        if escape.is_empty() {
            let _ = write!(buf, "\\u{:04x}", b);
        } else {
            buf.push_str(escape);
        }
        plain = i + 1;
    }
    buf.push_str(s.get(plain..).unwrap_or_default());
}

/// Appends `,"key":` (or `"key":` to an empty buffer or right after `{`).
fn push_key(buf: &mut String, key: &str) {
    if !buf.is_empty() && !buf.ends_with('{') {
        buf.push(',');
    }
    buf.push('"');
    buf.push_str(key);
    buf.push_str("\":");
}

/// Appends `,"key":"value"`.
fn push_str_member(buf: &mut String, key: &str, value: &str) {
    push_key(buf, key);
    push_json_str(buf, value);
}

/// Appends `,"key":literal` for a JSON literal (`true`, `null`, an object already written).
fn push_raw_member(buf: &mut String, key: &str, literal: &str) {
    push_key(buf, key);
    buf.push_str(literal);
}

impl Draft {
    /// The draft of `call`'s event at `epoch` (seconds).
    pub fn new(call: &Call<'_>, epoch: i64) -> Result<Draft, ServiceError> {
        let read_only = is_read_only(call.service, call.operation);
        let mut shared = String::with_capacity(640);
        push_str_member(&mut shared, "eventVersion", EVENT_VERSION);
        push_str_member(&mut shared, "eventTime", &crate::authz::iso8601(epoch));
        push_key(&mut shared, "eventSource");
        shared.push('"');
        shared.push_str(call.service);
        shared.push_str(".amazonaws.com\"");
        push_str_member(&mut shared, "eventName", call.operation);
        push_str_member(&mut shared, "awsRegion", event_region(call.service, call.region));
        push_str_member(&mut shared, "sourceIPAddress", call.source_ip);
        push_str_member(&mut shared, "userAgent", call.user_agent);
        push_key(&mut shared, "requestParameters");
        write_request_parameters(&mut shared, call.input);
        push_str_member(&mut shared, "requestID", call.request_id);
        push_raw_member(&mut shared, "readOnly", if read_only { "true" } else { "false" });
        push_str_member(&mut shared, "eventType", "AwsApiCall");
        push_raw_member(&mut shared, "managementEvent", "true");
        push_str_member(&mut shared, "eventCategory", "Management");

        let mut identity = String::with_capacity(256);
        write_user_identity(&mut identity, call.caller);
        let mut copies = Vec::with_capacity(2);
        copies.push(Copy { account: call.caller.account.clone(), event_id: uuid_v4()?, identity });
        let mut shared_event_id = None;
        if let Some(other) = other_account(call) {
            let mut identity = String::with_capacity(96);
            write_foreign_identity(&mut identity, call.caller);
            copies.push(Copy { account: other, event_id: uuid_v4()?, identity });
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
        let mut tail = String::new();
        if let Outcome::Failed { code, message } = outcome {
            push_str_member(&mut tail, "errorCode", code);
            push_str_member(&mut tail, "errorMessage", message);
        }
        push_key(&mut tail, "responseElements");
        match outcome {
            Outcome::Succeeded(output) if self.keeps_response => {
                write_response_elements(&mut tail, output);
            }
            _ => tail.push_str("null"),
        }
        if let Some(shared) = &self.shared_event_id {
            push_str_member(&mut tail, "sharedEventID", shared);
        }
        self.copies
            .iter()
            .map(|copy| {
                let mut body = String::with_capacity(
                    self.shared.len() + copy.identity.len() + tail.len() + 120,
                );
                body.push('{');
                body.push_str(&self.shared);
                body.push_str(",\"userIdentity\":");
                body.push_str(&copy.identity);
                push_str_member(&mut body, "eventID", &copy.event_id);
                push_str_member(&mut body, "recipientAccountId", &copy.account);
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

/// A random UUID (version 4) from the OS RNG (read ahead: an event id is not a secret).
pub fn uuid_v4() -> Result<String, ServiceError> {
    let mut b = crate::ids::public_random_bytes::<16>()?;
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x40;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        for n in [x >> 4, x & 0x0f] {
            out.push(char::from(HEX.get(usize::from(n)).copied().unwrap_or(b'0')));
        }
    }
    Ok(out)
}

/// Appends `userIdentity` of `caller` in its own account.
fn write_user_identity(buf: &mut String, caller: &Caller) {
    let kind = match caller.kind {
        PrincipalKind::Root => "Root",
        PrincipalKind::IamUser => "IAMUser",
        PrincipalKind::AssumedRole => "AssumedRole",
        PrincipalKind::FederatedUser => "FederatedUser",
        PrincipalKind::Service => "AWSService",
    };
    buf.push('{');
    push_str_member(buf, "type", kind);
    if caller.kind == PrincipalKind::Service {
        let by = if caller.name.is_empty() { &caller.arn } else { &caller.name };
        push_str_member(buf, "invokedBy", by);
        buf.push('}');
        return;
    }
    push_str_member(buf, "principalId", &caller.user_id);
    push_str_member(buf, "arn", &caller.arn);
    push_str_member(buf, "accountId", &caller.account);
    push_str_member(buf, "accessKeyId", &caller.access_key_id);
    if caller.kind == PrincipalKind::IamUser {
        push_str_member(buf, "userName", &caller.name);
    }
    if let Some(s) = caller.session.as_deref() {
        push_key(buf, "sessionContext");
        buf.push('{');
        if let (Some(role_arn), Some(role_name)) = (&s.role_arn, &s.role_name) {
            push_key(buf, "sessionIssuer");
            buf.push('{');
            push_str_member(buf, "type", "Role");
            push_str_member(buf, "principalId", s.role_id.as_deref().unwrap_or_default());
            push_str_member(buf, "arn", role_arn);
            push_str_member(buf, "accountId", &s.account);
            push_str_member(buf, "userName", role_name);
            buf.push('}');
            push_raw_member(buf, "webIdFederationData", "{}");
        }
        push_key(buf, "attributes");
        buf.push('{');
        push_str_member(buf, "creationDate", &crate::authz::iso8601(s.issued_at));
        push_str_member(
            buf,
            "mfaAuthenticated",
            if s.mfa_authenticated { "true" } else { "false" },
        );
        buf.push('}');
        if let Some(si) = &s.source_identity {
            push_str_member(buf, "sourceIdentity", si);
        }
        buf.push('}');
        if let Some(service) = &s.invoked_by {
            push_str_member(buf, "invokedBy", service);
        }
    }
    buf.push('}');
}

/// Appends `userIdentity` of `caller` as another account (the resource owner) sees it.
fn write_foreign_identity(buf: &mut String, caller: &Caller) {
    buf.push('{');
    push_str_member(buf, "type", "AWSAccount");
    push_str_member(buf, "principalId", &caller.user_id);
    push_str_member(buf, "accountId", &caller.account);
    buf.push('}');
}

fn is_member(list: &[&str], name: &str) -> bool {
    list.iter().any(|m| m.eq_ignore_ascii_case(name))
}

/// What happens to a member whose name marks a secret.
#[derive(Clone, Copy)]
enum Secrets {
    /// Request parameters: the value is replaced by [`HIDDEN`].
    Hide,
    /// Response elements: the member is left out.
    Omit,
}

/// Appends the decoded input as `requestParameters`: camelCase members, secrets hidden; `null`
/// when the call has no parameters.
fn write_request_parameters(buf: &mut String, input: &Value) {
    write_members(buf, input, SECRET_REQUEST_MEMBERS, Secrets::Hide);
}

/// Appends an operation's output as `responseElements`: camelCase members, secrets left out.
fn write_response_elements(buf: &mut String, output: &Value) {
    write_members(buf, output, SECRET_RESPONSE_MEMBERS, Secrets::Omit);
}

fn write_members(buf: &mut String, v: &Value, secrets: &[&str], mode: Secrets) {
    match v {
        Value::Object(m) if m.is_empty() => buf.push_str("null"),
        Value::Null => buf.push_str("null"),
        v => write_converted(buf, v, secrets, mode),
    }
}

/// Writes `value` with object keys camelCased (`Member` → `member`, as CloudTrail writes
/// parameter names) at every depth, members named in `secrets` hidden or left out. Members keep
/// the input's order.
fn write_converted(buf: &mut String, value: &Value, secrets: &[&str], mode: Secrets) {
    use std::fmt::Write;
    match value {
        Value::Object(m) => {
            buf.push('{');
            let mut first = true;
            for (key, v) in m {
                let secret = is_member(secrets, key);
                if secret && matches!(mode, Secrets::Omit) {
                    continue;
                }
                if !first {
                    buf.push(',');
                }
                first = false;
                push_camel_key(buf, key);
                buf.push(':');
                if secret {
                    push_json_str(buf, HIDDEN);
                } else {
                    write_converted(buf, v, secrets, mode);
                }
            }
            buf.push('}');
        }
        Value::Array(a) => {
            buf.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                write_converted(buf, v, secrets, mode);
            }
            buf.push(']');
        }
        Value::String(s) => push_json_str(buf, s),
        Value::Number(n) => {
            let _ = write!(buf, "{n}");
        }
        Value::Bool(b) => buf.push_str(if *b { "true" } else { "false" }),
        Value::Null => buf.push_str("null"),
    }
}

/// Appends `name` camelCased (an uppercase ASCII first letter lowercased) as a JSON string.
fn push_camel_key(buf: &mut String, name: &str) {
    buf.push('"');
    match name.chars().next() {
        Some(first) if first.is_ascii_uppercase() => {
            buf.push(first.to_ascii_lowercase());
            push_json_escaped(buf, name.get(1..).unwrap_or_default());
        }
        _ => push_json_escaped(buf, &camel(name)),
    }
    buf.push('"');
}

/// `Member` → `member`.
fn camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
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

    fn request_parameters(input: &Value) -> Value {
        let mut buf = String::new();
        write_request_parameters(&mut buf, input);
        serde_json::from_str(&buf).unwrap()
    }

    fn response_elements(output: &Value) -> Value {
        let mut buf = String::new();
        write_response_elements(&mut buf, output);
        serde_json::from_str(&buf).unwrap()
    }

    fn user_identity(caller: &Caller) -> Value {
        let mut buf = String::new();
        write_user_identity(&mut buf, caller);
        serde_json::from_str(&buf).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_json_and_numbers_kept() {
        let input =
            json!({"A": "q\"b\\s\n\t\u{1}é😀", "N": 1.5, "I": -3, "B": true, "Z": null, "L": []});
        assert_eq!(
            request_parameters(&input),
            json!({"a": "q\"b\\s\n\t\u{1}é😀", "n": 1.5, "i": -3, "b": true, "z": null, "l": []})
        );
        let mut buf = String::new();
        push_json_str(&mut buf, "\u{7f}x\r");
        assert_eq!(buf, "\"\u{7f}x\\r\"");
        let odd = json!({"éA": 1, "a\"B": 2, "": 3, "Ün": 4});
        assert_eq!(request_parameters(&odd), json!({"éA": 1, "a\"B": 2, "": 3, "ün": 4}));
    }

    #[test]
    fn uuids_have_the_version_4_form() {
        let u = uuid_v4().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert_eq!(u.chars().nth(14), Some('4'));
        assert!(matches!(u.chars().nth(19), Some('8' | '9' | 'a' | 'b')));
        assert_ne!(u, uuid_v4().unwrap());
    }

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
