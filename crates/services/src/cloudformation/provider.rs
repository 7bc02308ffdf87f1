//! Resource providers: each emulated resource type turns its template properties into calls of
//! the owning service's API (the botocore model's member names) and reports the physical id and
//! the `Fn::GetAtt` attributes. Every such call goes through [`invoke`], as the stack's caller
//! (or the stack's service role), so it is authorized exactly like a direct API call.
//!
//! Emulated: `AWS::IAM::Role`, `User`, `Group`, `InstanceProfile`, `Policy`, `ManagedPolicy`,
//! `AccessKey`, `UserToGroupAddition`, `RolePolicy`, `UserPolicy`, `GroupPolicy`;
//! `AWS::S3::Bucket` (`BucketName`, `BucketEncryption`, `Tags`; `Ref` is the name, `Arn`,
//! `DomainName`, `DualStackDomainName`, `RegionalDomainName`, `WebsiteURL` attributes) and `AWS::KMS::Key` (`Description`, `KeyPolicy`, `KeyUsage`,
//! `KeySpec`, `EnableKeyRotation`, `PendingWindowInDays`, `Tags`; `Ref` is the key id, `Arn`
//! and `KeyId` attributes). Any other type fails with "Resource type X is not emulated by
//! xacct".
//!
//! Deletes treat a resource that is already gone as deleted, as CloudFormation does. Role,
//! user, group and managed policy deletes first remove what IAM would refuse to delete around
//! (attached and inline policies, group memberships, login profile, policy versions).
//!
//! Security: [`invoke`] is the one seam through which CloudFormation acts; it builds a [`Call`]
//! whose caller is the stack's effective principal, never a privileged stand-in.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::intrinsics::as_text;
use crate::{ids, Call, Caller, ServiceError, Services};

/// Who acts for a stack operation, and the request it came from.
pub struct Invoker<'a> {
    pub services: &'a Services,
    /// The CloudFormation request (its region and request id).
    pub parent: &'a Call<'a>,
    /// The stack's caller, or the session of the stack's service role.
    pub caller: &'a Caller,
}

/// The user agent AWS records for calls CloudFormation makes on a caller's behalf.
pub const CLOUDFORMATION_AGENT: &str = "cloudformation.amazonaws.com";

/// Runs one operation of another service on behalf of a stack: the single place where
/// CloudFormation calls other services (authorization, and later per-call recording, happen in
/// [`Services::call`]). The source IP is left out: AWS sets none for calls a service makes.
/// A session caller's events show `invokedBy` CloudFormation, as AWS records calls a service
/// makes with a caller's session.
pub fn invoke(
    inv: &Invoker<'_>,
    service: &str,
    operation: &str,
    input: &Value,
) -> Result<Value, ServiceError> {
    let via_cloudformation;
    let caller = match inv.caller.session.as_deref() {
        Some(s) if s.invoked_by.as_deref() != Some(CLOUDFORMATION_AGENT) => {
            let mut session = s.clone();
            session.invoked_by = Some(CLOUDFORMATION_AGENT.to_owned());
            via_cloudformation =
                Caller { session: Some(std::sync::Arc::new(session)), ..inv.caller.clone() };
            &via_cloudformation
        }
        _ => inv.caller,
    };
    let call = Call {
        service,
        operation,
        region: inv.parent.region,
        caller,
        input,
        request_id: inv.parent.request_id,
        source_ip: "",
        user_agent: CLOUDFORMATION_AGENT,
        streams: None,
    };
    inv.services.call(&call)
}

/// What a created (or updated) resource reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Created {
    pub physical_id: String,
    pub attributes: BTreeMap<String, String>,
}

/// A provider failure, with the text CloudFormation shows as `ResourceStatusReason`.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure(pub String);

impl Failure {
    /// AWS's wording for a failed handler call: the service's message, status and request id,
    /// and the handler error code.
    fn from_service(service: &str, e: &ServiceError, request_id: &str) -> Failure {
        let handler_code = match e.code {
            "EntityAlreadyExists" | "AlreadyExistsException" | "BucketAlreadyExists" => {
                "AlreadyExists"
            }
            "NoSuchEntity" | "NotFoundException" | "NoSuchBucket" => "NotFound",
            "AccessDenied" | "AccessDeniedException" => "AccessDenied",
            "LimitExceeded" | "LimitExceededException" => "ServiceLimitExceeded",
            "InternalFailure" | "ServiceFailure" => "ServiceInternalError",
            "InvalidInput"
            | "ValidationError"
            | "MalformedPolicyDocument"
            | "ValidationException" => "InvalidRequest",
            "DeleteConflict" | "ConcurrentModification" => "ResourceConflict",
            _ => "GeneralServiceException",
        };
        let svc = match service {
            "iam" => "Iam",
            "s3" => "S3",
            "kms" => "Kms",
            other => other,
        };
        Failure(format!(
            "Resource handler returned message: \"{} (Service: {svc}, Status Code: {}, Request ID: {request_id})\" (HandlerErrorCode: {handler_code})",
            e.message, e.status
        ))
    }
}

/// The reason for a type xacct has no provider for.
pub fn not_emulated(resource_type: &str) -> Failure {
    Failure(format!("Resource type {resource_type} is not emulated by xacct"))
}

/// One type's declaration: its properties (required ones first), attributes, name property
/// and name length limit (for generated names), and whether it needs an IAM capability.
struct TypeSpec {
    required: &'static [&'static str],
    optional: &'static [&'static str],
    attributes: &'static [&'static str],
    /// The property that names the resource, and the longest name AWS allows.
    name: Option<(&'static str, usize)>,
}

fn spec(resource_type: &str) -> Option<TypeSpec> {
    let s =
        |required, optional, attributes, name| TypeSpec { required, optional, attributes, name };
    Some(match resource_type {
        "AWS::IAM::Role" => s(
            &["AssumeRolePolicyDocument"],
            &[
                "Description",
                "ManagedPolicyArns",
                "MaxSessionDuration",
                "Path",
                "PermissionsBoundary",
                "Policies",
                "RoleName",
                "Tags",
            ],
            &["Arn", "RoleId"],
            Some(("RoleName", 64)),
        ),
        "AWS::IAM::User" => s(
            &[],
            &[
                "Groups",
                "LoginProfile",
                "ManagedPolicyArns",
                "Path",
                "PermissionsBoundary",
                "Policies",
                "Tags",
                "UserName",
            ],
            &["Arn"],
            Some(("UserName", 64)),
        ),
        "AWS::IAM::Group" => s(
            &[],
            &["GroupName", "ManagedPolicyArns", "Path", "Policies"],
            &["Arn"],
            Some(("GroupName", 128)),
        ),
        "AWS::IAM::InstanceProfile" => s(
            &["Roles"],
            &["InstanceProfileName", "Path"],
            &["Arn"],
            Some(("InstanceProfileName", 128)),
        ),
        "AWS::IAM::Policy" => {
            s(&["PolicyDocument", "PolicyName"], &["Groups", "Roles", "Users"], &["Id"], None)
        }
        "AWS::IAM::ManagedPolicy" => s(
            &["PolicyDocument"],
            &["Description", "Groups", "ManagedPolicyName", "Path", "Roles", "Users"],
            &["PolicyArn", "PolicyId", "DefaultVersionId"],
            Some(("ManagedPolicyName", 128)),
        ),
        "AWS::IAM::AccessKey" => {
            s(&["UserName"], &["Serial", "Status"], &["SecretAccessKey"], None)
        }
        "AWS::IAM::UserToGroupAddition" => s(&["GroupName", "Users"], &[], &[], None),
        "AWS::IAM::RolePolicy" => s(&["PolicyName", "RoleName"], &["PolicyDocument"], &[], None),
        "AWS::IAM::UserPolicy" => s(&["PolicyName", "UserName"], &["PolicyDocument"], &[], None),
        "AWS::IAM::GroupPolicy" => s(&["GroupName", "PolicyName"], &["PolicyDocument"], &[], None),
        "AWS::S3::Bucket" => s(
            &[],
            &["BucketEncryption", "BucketName", "Tags"],
            &["Arn", "DomainName", "DualStackDomainName", "RegionalDomainName", "WebsiteURL"],
            Some(("BucketName", 63)),
        ),
        "AWS::KMS::Key" => s(
            &[],
            &[
                "Description",
                "EnableKeyRotation",
                "KeyPolicy",
                "KeySpec",
                "KeyUsage",
                "PendingWindowInDays",
                "Tags",
            ],
            &["Arn", "KeyId"],
            None,
        ),
        _ => return None,
    })
}

/// Whether xacct has a provider for `resource_type`.
pub fn is_emulated(resource_type: &str) -> bool {
    spec(resource_type).is_some()
}

/// The `Fn::GetAtt` attributes of an emulated type (`None` for other types).
pub fn attributes(resource_type: &str) -> Option<&'static [&'static str]> {
    spec(resource_type).map(|s| s.attributes)
}

/// The capability a resource needs (`CAPABILITY_NAMED_IAM` when an IAM resource is given a
/// name), or `None`.
pub fn capability(resource_type: &str, properties: &Value) -> Option<&'static str> {
    if !resource_type.starts_with("AWS::IAM::") {
        return None;
    }
    let named = spec(resource_type)
        .and_then(|s| s.name)
        .is_some_and(|(prop, _)| properties.get(prop).is_some());
    Some(if named { "CAPABILITY_NAMED_IAM" } else { "CAPABILITY_IAM" })
}

/// Checks the properties against the type's schema, as CloudFormation does before calling a
/// handler (the message is AWS's "Properties validation failed" form).
pub fn check_properties(
    logical_id: &str,
    resource_type: &str,
    properties: &Value,
) -> Result<(), Failure> {
    let Some(spec) = spec(resource_type) else { return Ok(()) };
    let fail = |m: String| {
        Failure(format!(
            "Properties validation failed for resource {logical_id} with message: [{m}]"
        ))
    };
    let empty = Map::new();
    let obj = match properties {
        Value::Object(o) => o,
        Value::Null => &empty,
        _ => return Err(fail("#: expected type: JSONObject, found: String".to_owned())),
    };
    if let Some(missing) = spec.required.iter().find(|r| !obj.contains_key(**r)) {
        return Err(fail(format!("#: required key [{missing}] not found")));
    }
    if let Some(extra) = obj
        .keys()
        .find(|k| !spec.required.contains(&k.as_str()) && !spec.optional.contains(&k.as_str()))
    {
        return Err(fail(format!("#: extraneous key [{extra}] is not permitted")));
    }
    Ok(())
}

/// A name for a resource the template leaves unnamed: `STACK-LOGICALID-RANDOM` with 12 random
/// upper-case alphanumerics, the stack and logical parts shortened to fit `max`.
pub fn generated_name(stack: &str, logical_id: &str, max: usize) -> Result<String, ServiceError> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bytes = ids::random_bytes::<12>()?;
    let suffix: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET.get(usize::from(*b) & 31).copied().unwrap_or(b'A')))
        .collect();
    let budget = max.saturating_sub(suffix.len() + 2);
    let (mut s, mut l) = (stack.len(), logical_id.len());
    while s + l > budget {
        if s >= l && s > 0 {
            s -= 1;
        } else if l > 0 {
            l -= 1;
        } else {
            break;
        }
    }
    Ok(format!(
        "{}-{}-{suffix}",
        stack.get(..s).unwrap_or(stack),
        logical_id.get(..l).unwrap_or(logical_id)
    ))
}

// ---------------------------------------------------------------- property helpers

fn text(props: &Value, key: &str) -> Option<String> {
    props.get(key).and_then(as_text)
}

fn texts(props: &Value, key: &str) -> Vec<String> {
    match props.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(as_text).collect(),
        Some(v) => as_text(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// A policy document property: an object is serialized, a string is taken as it is.
fn document(props: &Value, key: &str) -> Option<String> {
    match props.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// `Policies: [{PolicyName, PolicyDocument}]` as (name, document).
fn inline_policies(props: &Value) -> Vec<(String, String)> {
    props
        .get("Policies")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|p| Some((text(p, "PolicyName")?, document(p, "PolicyDocument")?)))
                .collect()
        })
        .unwrap_or_default()
}

fn tags(props: &Value) -> Vec<(String, String)> {
    props
        .get("Tags")
        .and_then(Value::as_array)
        .map(|items| {
            items.iter().filter_map(|t| Some((text(t, "Key")?, text(t, "Value")?))).collect()
        })
        .unwrap_or_default()
}

fn tags_json(tags: &[(String, String)]) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect())
}

fn changed(old: &Value, new: &Value, key: &str) -> bool {
    old.get(key) != new.get(key)
}

// ---------------------------------------------------------------- the IAM calls

struct Iam<'a, 'b> {
    inv: &'a Invoker<'b>,
}

impl Iam<'_, '_> {
    fn call(&self, operation: &str, input: Value) -> Result<Value, Failure> {
        invoke(self.inv, "iam", operation, &input)
            .map_err(|e| Failure::from_service("iam", &e, self.inv.parent.request_id))
    }

    /// A call whose `NoSuchEntity` means the work is already done (deletes).
    fn call_gone_ok(&self, operation: &str, input: Value) -> Result<(), Failure> {
        match invoke(self.inv, "iam", operation, &input) {
            Ok(_) => Ok(()),
            Err(e) if e.code == "NoSuchEntity" => Ok(()),
            Err(e) => Err(Failure::from_service("iam", &e, self.inv.parent.request_id)),
        }
    }

    /// Every name in `list_key` of every page of a `List*` operation.
    fn list_all(
        &self,
        operation: &str,
        input: Value,
        list_key: &str,
        field: &str,
    ) -> Result<Option<Vec<String>>, Failure> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut req = input.clone();
            if let (Some(m), Some(obj)) = (&marker, req.as_object_mut()) {
                obj.insert("Marker".into(), Value::String(m.clone()));
            }
            let page = match invoke(self.inv, "iam", operation, &req) {
                Ok(p) => p,
                Err(e) if e.code == "NoSuchEntity" => return Ok(None),
                Err(e) => return Err(Failure::from_service("iam", &e, self.inv.parent.request_id)),
            };
            for item in page.get(list_key).and_then(Value::as_array).into_iter().flatten() {
                match item {
                    Value::String(s) => out.push(s.clone()),
                    other => {
                        out.extend(other.get(field).and_then(Value::as_str).map(str::to_owned))
                    }
                }
            }
            let truncated = page.get("IsTruncated").and_then(Value::as_bool).unwrap_or(false);
            marker = page.get("Marker").and_then(Value::as_str).map(str::to_owned);
            if !truncated || marker.is_none() {
                return Ok(Some(out));
            }
        }
    }

    /// Puts `new` inline policies and deletes those of `old` not in `new`, on a holder.
    /// Moves a holder's inline policies and managed policy attachments from those `old`
    /// properties name to those `new` ones name (`old` is `Null` for a new holder).
    fn sync_policies(
        &self,
        kind: &str,
        holder_member: &str,
        holder: &str,
        old: &Value,
        new: &Value,
    ) -> Result<(), Failure> {
        self.sync_inline(
            kind,
            holder_member,
            holder,
            &inline_policies(old),
            &inline_policies(new),
        )?;
        self.sync_managed(
            kind,
            holder_member,
            holder,
            &texts(old, "ManagedPolicyArns"),
            &texts(new, "ManagedPolicyArns"),
        )
    }

    fn sync_inline(
        &self,
        kind: &str,
        holder_member: &str,
        holder: &str,
        old: &[(String, String)],
        new: &[(String, String)],
    ) -> Result<(), Failure> {
        for (name, doc) in new {
            if old.iter().any(|(n, d)| n == name && d == doc) {
                continue;
            }
            self.call(
                &format!("Put{kind}Policy"),
                json!({holder_member: holder, "PolicyName": name, "PolicyDocument": doc}),
            )?;
        }
        for (name, _) in old {
            if !new.iter().any(|(n, _)| n == name) {
                self.call_gone_ok(
                    &format!("Delete{kind}Policy"),
                    json!({holder_member: holder, "PolicyName": name}),
                )?;
            }
        }
        Ok(())
    }

    /// Attaches `new` managed policies and detaches those of `old` not in `new`.
    fn sync_managed(
        &self,
        kind: &str,
        holder_member: &str,
        holder: &str,
        old: &[String],
        new: &[String],
    ) -> Result<(), Failure> {
        for arn in new.iter().filter(|a| !old.contains(a)) {
            self.call(
                &format!("Attach{kind}Policy"),
                json!({holder_member: holder, "PolicyArn": arn}),
            )?;
        }
        for arn in old.iter().filter(|a| !new.contains(a)) {
            self.call_gone_ok(
                &format!("Detach{kind}Policy"),
                json!({holder_member: holder, "PolicyArn": arn}),
            )?;
        }
        Ok(())
    }

    /// Detaches every managed policy and deletes every inline policy of a holder.
    fn strip_policies(&self, kind: &str, holder_member: &str, holder: &str) -> Result<(), Failure> {
        let attached = self.list_all(
            &format!("ListAttached{kind}Policies"),
            json!({holder_member: holder}),
            "AttachedPolicies",
            "PolicyArn",
        )?;
        for arn in attached.unwrap_or_default() {
            self.call_gone_ok(
                &format!("Detach{kind}Policy"),
                json!({holder_member: holder, "PolicyArn": arn}),
            )?;
        }
        let inline = self.list_all(
            &format!("List{kind}Policies"),
            json!({holder_member: holder}),
            "PolicyNames",
            "",
        )?;
        for name in inline.unwrap_or_default() {
            self.call_gone_ok(
                &format!("Delete{kind}Policy"),
                json!({holder_member: holder, "PolicyName": name}),
            )?;
        }
        Ok(())
    }

    fn sync_tags(
        &self,
        operation_suffix: &str,
        holder_member: &str,
        holder: &str,
        old: &[(String, String)],
        new: &[(String, String)],
    ) -> Result<(), Failure> {
        let added: Vec<(String, String)> =
            new.iter().filter(|t| !old.contains(t)).cloned().collect();
        if !added.is_empty() {
            self.call(
                &format!("Tag{operation_suffix}"),
                json!({holder_member: holder, "Tags": tags_json(&added)}),
            )?;
        }
        let removed: Vec<&String> = old
            .iter()
            .filter(|(k, _)| !new.iter().any(|(nk, _)| nk == k))
            .map(|(k, _)| k)
            .collect();
        if !removed.is_empty() {
            self.call(
                &format!("Untag{operation_suffix}"),
                json!({holder_member: holder, "TagKeys": removed}),
            )?;
        }
        Ok(())
    }
}

/// One call of a non-IAM service on the stack's behalf, as a provider failure when it fails.
fn svc(inv: &Invoker<'_>, service: &str, operation: &str, input: Value) -> Result<Value, Failure> {
    invoke(inv, service, operation, &input)
        .map_err(|e| Failure::from_service(service, &e, inv.parent.request_id))
}

/// [`svc`] where one of `gone` codes means the work is already done (deletes).
fn svc_gone_ok(
    inv: &Invoker<'_>,
    service: &str,
    operation: &str,
    input: Value,
    gone: &[&str],
) -> Result<(), Failure> {
    match invoke(inv, service, operation, &input) {
        Ok(_) => Ok(()),
        Err(e) if gone.contains(&e.code) => Ok(()),
        Err(e) => Err(Failure::from_service(service, &e, inv.parent.request_id)),
    }
}

/// `Tags: [{Key, Value}]` as S3's `TagSet` or KMS's `Tags` members.
fn s3_tag_set(tags: &[(String, String)]) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect())
}

fn kms_tags(tags: &[(String, String)]) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"TagKey": k, "TagValue": v})).collect())
}

/// The attributes of bucket `name` in `region` (AWS::S3::Bucket "Return values" in the
/// CloudFormation resource reference).
fn bucket_attributes(name: &str, region: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("Arn".to_owned(), format!("arn:aws:s3:::{name}")),
        ("DomainName".to_owned(), format!("{name}.s3.amazonaws.com")),
        ("DualStackDomainName".to_owned(), format!("{name}.s3.dualstack.{region}.amazonaws.com")),
        ("RegionalDomainName".to_owned(), format!("{name}.s3.{region}.amazonaws.com")),
        ("WebsiteURL".to_owned(), format!("http://{name}.{}", website_endpoint(region))),
    ])
}

/// The S3 website endpoint of `region`: the older regions name it with a dash
/// (`s3-website-us-east-1.amazonaws.com`), the others with a dot
/// (`s3-website.eu-central-1.amazonaws.com`) (S3 User Guide, "Website endpoints", and the
/// S3 endpoints table of the AWS General Reference).
pub(crate) fn website_endpoint(region: &str) -> String {
    const DASH: &[&str] = &[
        "us-east-1",
        "us-west-1",
        "us-west-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "eu-west-1",
        "sa-east-1",
        "us-gov-west-1",
    ];
    if DASH.contains(&region) {
        format!("s3-website-{region}.amazonaws.com")
    } else {
        format!("s3-website.{region}.amazonaws.com")
    }
}

/// `BucketEncryption` as the input of S3's `PutBucketEncryption`: CloudFormation's
/// `ServerSideEncryptionConfiguration` list of `ServerSideEncryptionByDefault` rules is S3's
/// `Rules` of `ApplyServerSideEncryptionByDefault` (AWS::S3::Bucket BucketEncryption,
/// ServerSideEncryptionRule).
fn bucket_encryption_input(bucket: &str, props: &Value) -> Option<Value> {
    let rules = props
        .get("BucketEncryption")?
        .get("ServerSideEncryptionConfiguration")?
        .as_array()?
        .iter()
        .map(|r| {
            let mut rule = Map::new();
            if let Some(d) = r.get("ServerSideEncryptionByDefault") {
                rule.insert("ApplyServerSideEncryptionByDefault".to_owned(), d.clone());
            }
            if let Some(b) = r.get("BucketKeyEnabled") {
                rule.insert("BucketKeyEnabled".to_owned(), b.clone());
            }
            Value::Object(rule)
        })
        .collect::<Vec<_>>();
    Some(json!({"Bucket": bucket, "ServerSideEncryptionConfiguration": {"Rules": rules}}))
}

/// Creates an `AWS::S3::Bucket`: the name given, or a generated lower-case one (S3 names are
/// lower case), in the stack's region; then its tags.
fn create_bucket(
    inv: &Invoker<'_>,
    stack: &str,
    logical_id: &str,
    props: &Value,
) -> Result<Created, Failure> {
    let name = match text(props, "BucketName") {
        Some(n) => n,
        None => {
            generated_name(stack, logical_id, 63).map_err(|e| Failure(e.message))?.to_lowercase()
        }
    };
    let region = inv.parent.region;
    let mut input = json!({"Bucket": name});
    if !region.is_empty() && region != "us-east-1" {
        opt_insert(
            &mut input,
            "CreateBucketConfiguration",
            Some(json!({"LocationConstraint": region})),
        );
    }
    svc(inv, "s3", "CreateBucket", input)?;
    let mut configured = Ok(());
    if let Some(enc) = bucket_encryption_input(&name, props) {
        configured = svc(inv, "s3", "PutBucketEncryption", enc).map(|_| ());
    }
    let t = tags(props);
    if configured.is_ok() && !t.is_empty() {
        configured = svc(
            inv,
            "s3",
            "PutBucketTagging",
            json!({"Bucket": name, "Tagging": {"TagSet": s3_tag_set(&t)}}),
        )
        .map(|_| ());
    }
    if let Err(f) = configured {
        let _ = svc_gone_ok(inv, "s3", "DeleteBucket", json!({"Bucket": name}), &["NoSuchBucket"]);
        return Err(f);
    }
    Ok(Created { attributes: bucket_attributes(&name, region), physical_id: name })
}

/// Creates an `AWS::KMS::Key` (CloudFormation's default key policy when `KeyPolicy` is absent is
/// KMS's own default, which `CreateKey` applies).
fn create_key(inv: &Invoker<'_>, props: &Value) -> Result<Created, Failure> {
    let mut input = json!({});
    opt_insert(&mut input, "Description", text(props, "Description").map(Value::String));
    opt_insert(&mut input, "Policy", document(props, "KeyPolicy").map(Value::String));
    opt_insert(&mut input, "KeyUsage", text(props, "KeyUsage").map(Value::String));
    opt_insert(&mut input, "KeySpec", text(props, "KeySpec").map(Value::String));
    let t = tags(props);
    if !t.is_empty() {
        opt_insert(&mut input, "Tags", Some(kms_tags(&t)));
    }
    let out = svc(inv, "kms", "CreateKey", input)?;
    let meta = out.get("KeyMetadata").cloned().unwrap_or(Value::Null);
    let key_id = text(&meta, "KeyId").unwrap_or_default();
    if text(props, "EnableKeyRotation").as_deref() == Some("true") {
        if let Err(f) = svc(inv, "kms", "EnableKeyRotation", json!({"KeyId": key_id})) {
            let _ = delete_key(inv, &key_id, props);
            return Err(f);
        }
    }
    let attributes = BTreeMap::from([
        ("Arn".to_owned(), text(&meta, "Arn").unwrap_or_default()),
        ("KeyId".to_owned(), key_id.clone()),
    ]);
    Ok(Created { physical_id: key_id, attributes })
}

/// Schedules a key's deletion (`PendingWindowInDays`, 30 by default, as CloudFormation does).
fn delete_key(inv: &Invoker<'_>, key_id: &str, props: &Value) -> Result<(), Failure> {
    let mut input = json!({"KeyId": key_id});
    let days = text(props, "PendingWindowInDays").and_then(|d| d.parse::<i64>().ok()).unwrap_or(30);
    opt_insert(&mut input, "PendingWindowInDays", Some(json!(days)));
    svc_gone_ok(
        inv,
        "kms",
        "ScheduleKeyDeletion",
        input,
        &["NotFoundException", "KMSInvalidStateException"],
    )
}

/// The input of CreateLoginProfile/UpdateLoginProfile from a `LoginProfile` property.
fn login_profile_input(user: &str, lp: &Value) -> Value {
    let mut input = json!({"UserName": user, "Password": text(lp, "Password").unwrap_or_default()});
    opt_insert(&mut input, "PasswordResetRequired", lp.get("PasswordResetRequired").cloned());
    input
}

/// The holders of an `AWS::IAM::Policy`: (kind, member, name).
fn policy_holders(props: &Value) -> Vec<(&'static str, &'static str, String)> {
    let mut out = Vec::new();
    out.extend(texts(props, "Groups").into_iter().map(|n| ("Group", "GroupName", n)));
    out.extend(texts(props, "Roles").into_iter().map(|n| ("Role", "RoleName", n)));
    out.extend(texts(props, "Users").into_iter().map(|n| ("User", "UserName", n)));
    out
}

/// The holder of an `AWS::IAM::RolePolicy`/`UserPolicy`/`GroupPolicy`.
fn single_holder(resource_type: &str) -> Option<(&'static str, &'static str)> {
    match resource_type {
        "AWS::IAM::RolePolicy" => Some(("Role", "RoleName")),
        "AWS::IAM::UserPolicy" => Some(("User", "UserName")),
        "AWS::IAM::GroupPolicy" => Some(("Group", "GroupName")),
        _ => None,
    }
}

fn name_or_generated(
    props: &Value,
    resource_type: &str,
    stack: &str,
    logical_id: &str,
) -> Result<String, Failure> {
    let (prop, max) = spec(resource_type).and_then(|s| s.name).unwrap_or(("", 64));
    match text(props, prop) {
        Some(n) => Ok(n),
        None => generated_name(stack, logical_id, max).map_err(|e| Failure(e.message)),
    }
}

fn opt_insert(obj: &mut Value, key: &str, value: Option<Value>) {
    if let (Some(v), Some(o)) = (value, obj.as_object_mut()) {
        o.insert(key.to_owned(), v);
    }
}

// ---------------------------------------------------------------- create

/// Creates a resource. On a failure part-way the steps already done are undone (best effort)
/// so a failed resource leaves nothing behind.
pub fn create(
    inv: &Invoker<'_>,
    stack: &str,
    logical_id: &str,
    resource_type: &str,
    props: &Value,
) -> Result<Created, Failure> {
    if !is_emulated(resource_type) {
        return Err(not_emulated(resource_type));
    }
    check_properties(logical_id, resource_type, props)?;
    let iam = Iam { inv };
    let mut attributes = BTreeMap::new();
    let physical_id = match resource_type {
        "AWS::IAM::Role" => {
            let name = name_or_generated(props, resource_type, stack, logical_id)?;
            let mut input = json!({
                "RoleName": name,
                "AssumeRolePolicyDocument": document(props, "AssumeRolePolicyDocument").unwrap_or_default(),
            });
            opt_insert(&mut input, "Path", text(props, "Path").map(Value::String));
            opt_insert(&mut input, "Description", text(props, "Description").map(Value::String));
            opt_insert(
                &mut input,
                "MaxSessionDuration",
                text(props, "MaxSessionDuration").map(Value::String),
            );
            opt_insert(
                &mut input,
                "PermissionsBoundary",
                text(props, "PermissionsBoundary").map(Value::String),
            );
            let t = tags(props);
            if !t.is_empty() {
                opt_insert(&mut input, "Tags", Some(tags_json(&t)));
            }
            let out = iam.call("CreateRole", input)?;
            let role = out.get("Role").cloned().unwrap_or(Value::Null);
            attributes.insert("Arn".into(), text(&role, "Arn").unwrap_or_default());
            attributes.insert("RoleId".into(), text(&role, "RoleId").unwrap_or_default());
            let rest = iam.sync_policies("Role", "RoleName", &name, &Value::Null, props);
            if let Err(f) = rest {
                let _ = delete(inv, resource_type, &name, props);
                return Err(f);
            }
            name
        }
        "AWS::IAM::User" => {
            let name = name_or_generated(props, resource_type, stack, logical_id)?;
            let mut input = json!({"UserName": name});
            opt_insert(&mut input, "Path", text(props, "Path").map(Value::String));
            opt_insert(
                &mut input,
                "PermissionsBoundary",
                text(props, "PermissionsBoundary").map(Value::String),
            );
            let t = tags(props);
            if !t.is_empty() {
                opt_insert(&mut input, "Tags", Some(tags_json(&t)));
            }
            let out = iam.call("CreateUser", input)?;
            attributes.insert(
                "Arn".into(),
                out.get("User").and_then(|u| text(u, "Arn")).unwrap_or_default(),
            );
            let rest = (|| {
                if let Some(lp) = props.get("LoginProfile") {
                    iam.call("CreateLoginProfile", login_profile_input(&name, lp))?;
                }
                for group in texts(props, "Groups") {
                    iam.call("AddUserToGroup", json!({"GroupName": group, "UserName": name}))?;
                }
                iam.sync_policies("User", "UserName", &name, &Value::Null, props)
            })();
            if let Err(f) = rest {
                let _ = delete(inv, resource_type, &name, props);
                return Err(f);
            }
            name
        }
        "AWS::IAM::Group" => {
            let name = name_or_generated(props, resource_type, stack, logical_id)?;
            let mut input = json!({"GroupName": name});
            opt_insert(&mut input, "Path", text(props, "Path").map(Value::String));
            let out = iam.call("CreateGroup", input)?;
            attributes.insert(
                "Arn".into(),
                out.get("Group").and_then(|g| text(g, "Arn")).unwrap_or_default(),
            );
            let rest = iam.sync_policies("Group", "GroupName", &name, &Value::Null, props);
            if let Err(f) = rest {
                let _ = delete(inv, resource_type, &name, props);
                return Err(f);
            }
            name
        }
        "AWS::IAM::InstanceProfile" => {
            let name = name_or_generated(props, resource_type, stack, logical_id)?;
            let mut input = json!({"InstanceProfileName": name});
            opt_insert(&mut input, "Path", text(props, "Path").map(Value::String));
            let out = iam.call("CreateInstanceProfile", input)?;
            attributes.insert(
                "Arn".into(),
                out.get("InstanceProfile").and_then(|p| text(p, "Arn")).unwrap_or_default(),
            );
            for role in texts(props, "Roles") {
                if let Err(f) = iam.call(
                    "AddRoleToInstanceProfile",
                    json!({"InstanceProfileName": name, "RoleName": role}),
                ) {
                    let _ = delete(inv, resource_type, &name, props);
                    return Err(f);
                }
            }
            name
        }
        "AWS::IAM::Policy" => {
            let holders = policy_holders(props);
            if holders.is_empty() {
                return Err(Failure(
                    "At least one of [Groups,Roles,Users] must be non-empty.".into(),
                ));
            }
            let name = text(props, "PolicyName").unwrap_or_default();
            let doc = document(props, "PolicyDocument").unwrap_or_default();
            let mut done: Vec<&(&str, &str, String)> = Vec::new();
            for h in &holders {
                let (kind, member, holder) = h;
                let r = iam.call(
                    &format!("Put{kind}Policy"),
                    json!({*member: holder, "PolicyName": name, "PolicyDocument": doc}),
                );
                if let Err(f) = r {
                    for (kind, member, holder) in done {
                        let _ = iam.call_gone_ok(
                            &format!("Delete{kind}Policy"),
                            json!({*member: holder, "PolicyName": name}),
                        );
                    }
                    return Err(f);
                }
                done.push(h);
            }
            let id = policy_id(stack, logical_id).map_err(|e| Failure(e.message))?;
            attributes.insert("Id".into(), id.clone());
            id
        }
        "AWS::IAM::RolePolicy" | "AWS::IAM::UserPolicy" | "AWS::IAM::GroupPolicy" => {
            let (kind, member) = single_holder(resource_type).unwrap_or(("Role", "RoleName"));
            let name = text(props, "PolicyName").unwrap_or_default();
            let holder = text(props, member).unwrap_or_default();
            iam.call(
                &format!("Put{kind}Policy"),
                json!({member: holder, "PolicyName": name, "PolicyDocument": document(props, "PolicyDocument").unwrap_or_default()}),
            )?;
            name
        }
        "AWS::IAM::ManagedPolicy" => {
            let name = name_or_generated(props, resource_type, stack, logical_id)?;
            let mut input = json!({
                "PolicyName": name,
                "PolicyDocument": document(props, "PolicyDocument").unwrap_or_default(),
            });
            opt_insert(&mut input, "Path", text(props, "Path").map(Value::String));
            opt_insert(&mut input, "Description", text(props, "Description").map(Value::String));
            let out = iam.call("CreatePolicy", input)?;
            let policy = out.get("Policy").cloned().unwrap_or(Value::Null);
            let arn = text(&policy, "Arn").unwrap_or_default();
            attributes.insert("PolicyArn".into(), arn.clone());
            attributes.insert("PolicyId".into(), text(&policy, "PolicyId").unwrap_or_default());
            attributes.insert(
                "DefaultVersionId".into(),
                text(&policy, "DefaultVersionId").unwrap_or_default(),
            );
            if let Err(f) = sync_policy_attachments(&iam, &arn, &Value::Null, props) {
                let _ = delete(inv, resource_type, &arn, props);
                return Err(f);
            }
            arn
        }
        "AWS::IAM::AccessKey" => {
            let user = text(props, "UserName").unwrap_or_default();
            let out = iam.call("CreateAccessKey", json!({"UserName": user}))?;
            let key = out.get("AccessKey").cloned().unwrap_or(Value::Null);
            let id = text(&key, "AccessKeyId").unwrap_or_default();
            attributes.insert(
                "SecretAccessKey".into(),
                text(&key, "SecretAccessKey").unwrap_or_default(),
            );
            if let Some(status) = text(props, "Status").filter(|s| s != "Active") {
                let r = iam.call(
                    "UpdateAccessKey",
                    json!({"UserName": user, "AccessKeyId": id, "Status": status}),
                );
                if let Err(f) = r {
                    let _ = delete(inv, resource_type, &id, props);
                    return Err(f);
                }
            }
            id
        }
        "AWS::IAM::UserToGroupAddition" => {
            let group = text(props, "GroupName").unwrap_or_default();
            let mut added = Vec::new();
            for user in texts(props, "Users") {
                if let Err(f) =
                    iam.call("AddUserToGroup", json!({"GroupName": group, "UserName": user}))
                {
                    for u in added {
                        let _ = iam.call_gone_ok(
                            "RemoveUserFromGroup",
                            json!({"GroupName": group, "UserName": u}),
                        );
                    }
                    return Err(f);
                }
                added.push(user);
            }
            generated_name(stack, logical_id, 128).map_err(|e| Failure(e.message))?
        }
        "AWS::S3::Bucket" => return create_bucket(inv, stack, logical_id, props),
        "AWS::KMS::Key" => return create_key(inv, props),
        other => return Err(not_emulated(other)),
    };
    Ok(Created { physical_id, attributes })
}

/// The physical id of an `AWS::IAM::Policy`: `STACK-LOGIC-RANDOM` with the stack name and
/// logical id cut to five characters each (the shape AWS's ids have, e.g. `MySta-ThePo-…`).
fn policy_id(stack: &str, logical_id: &str) -> Result<String, ServiceError> {
    let short = |s: &str| s.chars().take(5).collect::<String>();
    generated_name(&short(stack), &short(logical_id), 64)
}

/// Attaches a managed policy to the holders of `new` not in `old` and detaches it from the rest.
fn sync_policy_attachments(
    iam: &Iam<'_, '_>,
    arn: &str,
    old: &Value,
    new: &Value,
) -> Result<(), Failure> {
    for (prop, kind, member) in [
        ("Groups", "Group", "GroupName"),
        ("Roles", "Role", "RoleName"),
        ("Users", "User", "UserName"),
    ] {
        let before = texts(old, prop);
        let after = texts(new, prop);
        for h in after.iter().filter(|h| !before.contains(h)) {
            iam.call(&format!("Attach{kind}Policy"), json!({member: h, "PolicyArn": arn}))?;
        }
        for h in before.iter().filter(|h| !after.contains(h)) {
            iam.call_gone_ok(&format!("Detach{kind}Policy"), json!({member: h, "PolicyArn": arn}))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- update

/// Whether a change from `old` to `new` replaces the resource (a new physical resource is
/// created and the old one deleted) rather than updating it in place.
pub fn needs_replacement(resource_type: &str, old: &Value, new: &Value) -> bool {
    let immutable: &[&str] = match resource_type {
        "AWS::IAM::Role" => &["RoleName", "Path"],
        "AWS::IAM::User" => &["UserName"],
        "AWS::IAM::Group" => &["GroupName"],
        "AWS::IAM::InstanceProfile" => &["InstanceProfileName", "Path"],
        "AWS::IAM::ManagedPolicy" => &["ManagedPolicyName", "Path", "Description"],
        "AWS::IAM::AccessKey" => &["UserName", "Serial"],
        "AWS::IAM::UserToGroupAddition" => &["GroupName"],
        "AWS::IAM::RolePolicy" => &["PolicyName", "RoleName"],
        "AWS::IAM::UserPolicy" => &["PolicyName", "UserName"],
        "AWS::IAM::GroupPolicy" => &["PolicyName", "GroupName"],
        "AWS::S3::Bucket" => &["BucketName"],
        "AWS::KMS::Key" => &["KeySpec", "KeyUsage"],
        _ => &[],
    };
    immutable.iter().any(|k| changed(old, new, k))
}

/// Updates a resource in place (the caller checked [`needs_replacement`]); returns what the
/// resource now reports.
pub fn update(
    inv: &Invoker<'_>,
    logical_id: &str,
    resource_type: &str,
    current: &Created,
    old: &Value,
    new: &Value,
) -> Result<Created, Failure> {
    check_properties(logical_id, resource_type, new)?;
    let iam = Iam { inv };
    let id = current.physical_id.as_str();
    let mut out = current.clone();
    match resource_type {
        "AWS::IAM::Role" => {
            if changed(old, new, "AssumeRolePolicyDocument") {
                iam.call(
                    "UpdateAssumeRolePolicy",
                    json!({"RoleName": id, "PolicyDocument": document(new, "AssumeRolePolicyDocument").unwrap_or_default()}),
                )?;
            }
            if changed(old, new, "Description") || changed(old, new, "MaxSessionDuration") {
                let mut input = json!({"RoleName": id, "Description": text(new, "Description").unwrap_or_default()});
                opt_insert(
                    &mut input,
                    "MaxSessionDuration",
                    text(new, "MaxSessionDuration").map(Value::String),
                );
                iam.call("UpdateRole", input)?;
            }
            if changed(old, new, "PermissionsBoundary") {
                match text(new, "PermissionsBoundary") {
                    Some(b) => iam.call(
                        "PutRolePermissionsBoundary",
                        json!({"RoleName": id, "PermissionsBoundary": b}),
                    )?,
                    None => iam.call("DeleteRolePermissionsBoundary", json!({"RoleName": id}))?,
                };
            }
            iam.sync_policies("Role", "RoleName", id, old, new)?;
            iam.sync_tags("Role", "RoleName", id, &tags(old), &tags(new))?;
        }
        "AWS::IAM::User" => {
            if changed(old, new, "Path") {
                iam.call("UpdateUser", json!({"UserName": id, "NewPath": text(new, "Path").unwrap_or_else(|| "/".into())}))?;
            }
            if changed(old, new, "PermissionsBoundary") {
                match text(new, "PermissionsBoundary") {
                    Some(b) => iam.call(
                        "PutUserPermissionsBoundary",
                        json!({"UserName": id, "PermissionsBoundary": b}),
                    )?,
                    None => iam.call("DeleteUserPermissionsBoundary", json!({"UserName": id}))?,
                };
            }
            if changed(old, new, "LoginProfile") {
                match new.get("LoginProfile") {
                    Some(lp) if old.get("LoginProfile").is_some() => {
                        iam.call("UpdateLoginProfile", login_profile_input(id, lp))?;
                    }
                    Some(lp) => {
                        iam.call("CreateLoginProfile", login_profile_input(id, lp))?;
                    }
                    None => iam.call_gone_ok("DeleteLoginProfile", json!({"UserName": id}))?,
                }
            }
            let (before, after) = (texts(old, "Groups"), texts(new, "Groups"));
            for g in after.iter().filter(|g| !before.contains(g)) {
                iam.call("AddUserToGroup", json!({"GroupName": g, "UserName": id}))?;
            }
            for g in before.iter().filter(|g| !after.contains(g)) {
                iam.call_gone_ok("RemoveUserFromGroup", json!({"GroupName": g, "UserName": id}))?;
            }
            iam.sync_policies("User", "UserName", id, old, new)?;
            iam.sync_tags("User", "UserName", id, &tags(old), &tags(new))?;
        }
        "AWS::IAM::Group" => {
            if changed(old, new, "Path") {
                iam.call("UpdateGroup", json!({"GroupName": id, "NewPath": text(new, "Path").unwrap_or_else(|| "/".into())}))?;
            }
            iam.sync_policies("Group", "GroupName", id, old, new)?;
        }
        "AWS::IAM::InstanceProfile" => {
            let (before, after) = (texts(old, "Roles"), texts(new, "Roles"));
            for r in before.iter().filter(|r| !after.contains(r)) {
                iam.call_gone_ok(
                    "RemoveRoleFromInstanceProfile",
                    json!({"InstanceProfileName": id, "RoleName": r}),
                )?;
            }
            for r in after.iter().filter(|r| !before.contains(r)) {
                iam.call(
                    "AddRoleToInstanceProfile",
                    json!({"InstanceProfileName": id, "RoleName": r}),
                )?;
            }
        }
        "AWS::IAM::Policy" => {
            let holders = policy_holders(new);
            if holders.is_empty() {
                return Err(Failure(
                    "At least one of [Groups,Roles,Users] must be non-empty.".into(),
                ));
            }
            let name = text(new, "PolicyName").unwrap_or_default();
            let doc = document(new, "PolicyDocument").unwrap_or_default();
            let old_name = text(old, "PolicyName").unwrap_or_default();
            let old_doc = document(old, "PolicyDocument").unwrap_or_default();
            let before = policy_holders(old);
            for h in &holders {
                if before.contains(h) && name == old_name && doc == old_doc {
                    continue;
                }
                let (kind, member, holder) = h;
                iam.call(
                    &format!("Put{kind}Policy"),
                    json!({*member: holder, "PolicyName": name, "PolicyDocument": doc}),
                )?;
            }
            for h in &before {
                if holders.contains(h) && name == old_name {
                    continue;
                }
                let (kind, member, holder) = h;
                iam.call_gone_ok(
                    &format!("Delete{kind}Policy"),
                    json!({*member: holder, "PolicyName": old_name}),
                )?;
            }
        }
        "AWS::IAM::RolePolicy" | "AWS::IAM::UserPolicy" | "AWS::IAM::GroupPolicy" => {
            let (kind, member) = single_holder(resource_type).unwrap_or(("Role", "RoleName"));
            iam.call(
                &format!("Put{kind}Policy"),
                json!({member: text(new, member).unwrap_or_default(), "PolicyName": id, "PolicyDocument": document(new, "PolicyDocument").unwrap_or_default()}),
            )?;
        }
        "AWS::IAM::ManagedPolicy" => {
            if changed(old, new, "PolicyDocument") {
                // IAM keeps five versions: the oldest non-default one makes room.
                let versions = iam
                    .list_all(
                        "ListPolicyVersions",
                        json!({"PolicyArn": id}),
                        "Versions",
                        "VersionId",
                    )?
                    .unwrap_or_default();
                if versions.len() >= 5 {
                    let default =
                        out.attributes.get("DefaultVersionId").cloned().unwrap_or_default();
                    if let Some(oldest) = versions.iter().rev().find(|v| **v != default) {
                        iam.call(
                            "DeletePolicyVersion",
                            json!({"PolicyArn": id, "VersionId": oldest}),
                        )?;
                    }
                }
                let created = iam.call(
                    "CreatePolicyVersion",
                    json!({"PolicyArn": id, "PolicyDocument": document(new, "PolicyDocument").unwrap_or_default(), "SetAsDefault": true}),
                )?;
                if let Some(v) = created.get("PolicyVersion").and_then(|v| text(v, "VersionId")) {
                    out.attributes.insert("DefaultVersionId".into(), v);
                }
            }
            sync_policy_attachments(&iam, id, old, new)?;
        }
        "AWS::IAM::AccessKey" => {
            if changed(old, new, "Status") {
                iam.call(
                    "UpdateAccessKey",
                    json!({"UserName": text(new, "UserName").unwrap_or_default(), "AccessKeyId": id, "Status": text(new, "Status").unwrap_or_else(|| "Active".into())}),
                )?;
            }
        }
        "AWS::IAM::UserToGroupAddition" => {
            let group = text(new, "GroupName").unwrap_or_default();
            let (before, after) = (texts(old, "Users"), texts(new, "Users"));
            for u in after.iter().filter(|u| !before.contains(u)) {
                iam.call("AddUserToGroup", json!({"GroupName": group, "UserName": u}))?;
            }
            for u in before.iter().filter(|u| !after.contains(u)) {
                iam.call_gone_ok(
                    "RemoveUserFromGroup",
                    json!({"GroupName": group, "UserName": u}),
                )?;
            }
        }
        "AWS::S3::Bucket" => {
            if changed(old, new, "BucketEncryption") {
                match bucket_encryption_input(id, new) {
                    Some(enc) => svc(inv, "s3", "PutBucketEncryption", enc)?,
                    None => svc(inv, "s3", "DeleteBucketEncryption", json!({"Bucket": id}))?,
                };
            }
            if changed(old, new, "Tags") {
                let t = tags(new);
                if t.is_empty() {
                    svc(inv, "s3", "DeleteBucketTagging", json!({"Bucket": id}))?;
                } else {
                    svc(
                        inv,
                        "s3",
                        "PutBucketTagging",
                        json!({"Bucket": id, "Tagging": {"TagSet": s3_tag_set(&t)}}),
                    )?;
                }
            }
        }
        "AWS::KMS::Key" => {
            if changed(old, new, "Description") {
                svc(
                    inv,
                    "kms",
                    "UpdateKeyDescription",
                    json!({"KeyId": id, "Description": text(new, "Description").unwrap_or_default()}),
                )?;
            }
            if changed(old, new, "KeyPolicy") {
                if let Some(policy) = document(new, "KeyPolicy") {
                    svc(
                        inv,
                        "kms",
                        "PutKeyPolicy",
                        json!({"KeyId": id, "PolicyName": "default", "Policy": policy}),
                    )?;
                }
            }
            if changed(old, new, "EnableKeyRotation") {
                let op = if text(new, "EnableKeyRotation").as_deref() == Some("true") {
                    "EnableKeyRotation"
                } else {
                    "DisableKeyRotation"
                };
                svc(inv, "kms", op, json!({"KeyId": id}))?;
            }
            if changed(old, new, "Tags") {
                let (before, after) = (tags(old), tags(new));
                let removed: Vec<&String> = before
                    .iter()
                    .filter(|(k, _)| !after.iter().any(|(nk, _)| nk == k))
                    .map(|(k, _)| k)
                    .collect();
                if !removed.is_empty() {
                    svc(inv, "kms", "UntagResource", json!({"KeyId": id, "TagKeys": removed}))?;
                }
                if !after.is_empty() {
                    svc(inv, "kms", "TagResource", json!({"KeyId": id, "Tags": kms_tags(&after)}))?;
                }
            }
        }
        other => return Err(not_emulated(other)),
    }
    Ok(out)
}

// ---------------------------------------------------------------- delete

/// Deletes a resource; one that is already gone counts as deleted.
pub fn delete(
    inv: &Invoker<'_>,
    resource_type: &str,
    physical_id: &str,
    props: &Value,
) -> Result<(), Failure> {
    if physical_id.is_empty() || !is_emulated(resource_type) {
        // Never created: nothing to delete.
        return Ok(());
    }
    let iam = Iam { inv };
    let id = physical_id;
    match resource_type {
        "AWS::IAM::Role" => {
            let profiles = iam.list_all(
                "ListInstanceProfilesForRole",
                json!({"RoleName": id}),
                "InstanceProfiles",
                "InstanceProfileName",
            )?;
            let Some(profiles) = profiles else { return Ok(()) };
            for p in profiles {
                iam.call_gone_ok(
                    "RemoveRoleFromInstanceProfile",
                    json!({"InstanceProfileName": p, "RoleName": id}),
                )?;
            }
            iam.strip_policies("Role", "RoleName", id)?;
            iam.call_gone_ok("DeleteRole", json!({"RoleName": id}))
        }
        "AWS::IAM::User" => {
            let groups =
                iam.list_all("ListGroupsForUser", json!({"UserName": id}), "Groups", "GroupName")?;
            let Some(groups) = groups else { return Ok(()) };
            for g in groups {
                iam.call_gone_ok("RemoveUserFromGroup", json!({"GroupName": g, "UserName": id}))?;
            }
            iam.strip_policies("User", "UserName", id)?;
            if props.get("LoginProfile").is_some() {
                iam.call_gone_ok("DeleteLoginProfile", json!({"UserName": id}))?;
            }
            iam.call_gone_ok("DeleteUser", json!({"UserName": id}))
        }
        "AWS::IAM::Group" => {
            iam.strip_policies("Group", "GroupName", id)?;
            iam.call_gone_ok("DeleteGroup", json!({"GroupName": id}))
        }
        "AWS::IAM::InstanceProfile" => {
            for role in texts(props, "Roles") {
                iam.call_gone_ok(
                    "RemoveRoleFromInstanceProfile",
                    json!({"InstanceProfileName": id, "RoleName": role}),
                )?;
            }
            iam.call_gone_ok("DeleteInstanceProfile", json!({"InstanceProfileName": id}))
        }
        "AWS::IAM::Policy" => {
            let name = text(props, "PolicyName").unwrap_or_default();
            for (kind, member, holder) in policy_holders(props) {
                iam.call_gone_ok(
                    &format!("Delete{kind}Policy"),
                    json!({member: holder, "PolicyName": name}),
                )?;
            }
            Ok(())
        }
        "AWS::IAM::RolePolicy" | "AWS::IAM::UserPolicy" | "AWS::IAM::GroupPolicy" => {
            let (kind, member) = single_holder(resource_type).unwrap_or(("Role", "RoleName"));
            iam.call_gone_ok(
                &format!("Delete{kind}Policy"),
                json!({member: text(props, member).unwrap_or_default(), "PolicyName": id}),
            )
        }
        "AWS::IAM::ManagedPolicy" => {
            let entities =
                match invoke(inv, "iam", "ListEntitiesForPolicy", &json!({"PolicyArn": id})) {
                    Ok(v) => v,
                    Err(e) if e.code == "NoSuchEntity" => return Ok(()),
                    Err(e) => return Err(Failure::from_service("iam", &e, inv.parent.request_id)),
                };
            for (list, field, kind, member) in [
                ("PolicyGroups", "GroupName", "Group", "GroupName"),
                ("PolicyRoles", "RoleName", "Role", "RoleName"),
                ("PolicyUsers", "UserName", "User", "UserName"),
            ] {
                let names: BTreeSet<String> = entities
                    .get(list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| text(e, field))
                    .collect();
                for n in names {
                    iam.call_gone_ok(
                        &format!("Detach{kind}Policy"),
                        json!({member: n, "PolicyArn": id}),
                    )?;
                }
            }
            let versions = invoke(inv, "iam", "ListPolicyVersions", &json!({"PolicyArn": id}))
                .map_err(|e| Failure::from_service("iam", &e, inv.parent.request_id))?;
            for v in versions.get("Versions").and_then(Value::as_array).into_iter().flatten() {
                if v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(false) {
                    if let Some(vid) = text(v, "VersionId") {
                        iam.call_gone_ok(
                            "DeletePolicyVersion",
                            json!({"PolicyArn": id, "VersionId": vid}),
                        )?;
                    }
                }
            }
            iam.call_gone_ok("DeletePolicy", json!({"PolicyArn": id}))
        }
        "AWS::IAM::AccessKey" => iam.call_gone_ok(
            "DeleteAccessKey",
            json!({"UserName": text(props, "UserName").unwrap_or_default(), "AccessKeyId": id}),
        ),
        "AWS::IAM::UserToGroupAddition" => {
            let group = text(props, "GroupName").unwrap_or_default();
            for u in texts(props, "Users") {
                iam.call_gone_ok(
                    "RemoveUserFromGroup",
                    json!({"GroupName": group, "UserName": u}),
                )?;
            }
            Ok(())
        }
        "AWS::S3::Bucket" => {
            svc_gone_ok(inv, "s3", "DeleteBucket", json!({"Bucket": id}), &["NoSuchBucket"])
        }
        "AWS::KMS::Key" => delete_key(inv, id, props),
        _ => Ok(()),
    }
}
