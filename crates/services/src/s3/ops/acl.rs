//! Access control lists: canned ACLs (`x-amz-acl`), grant headers (`x-amz-grant-*`) and
//! `AccessControlPolicy` bodies, for buckets and objects; and S3 Object Ownership, which decides
//! whether ACLs apply at all. Since April 2023 new buckets are created with
//! `BucketOwnerEnforced` (ACLs disabled): requests that set an ACL other than the bucket owner's
//! full control fail with `AccessControlListNotSupported`, and reading an ACL shows the bucket
//! owner's full control (S3 User Guide, "Controlling ownership of objects and disabling ACLs",
//! "Troubleshooting" of Object Ownership).

use serde_json::{json, Value};
use xacct_store::ReadTx;

use crate::s3::model::{self, Acl, BucketRecord, Grant, Grantee};
use crate::s3::{self as s3, Authorizer};
use crate::{input_str, Call, ServiceError, Services};

use super::public;

pub(crate) const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub(crate) const AUTHENTICATED_USERS: &str =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub(crate) const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

const PERMISSIONS: &[&str] = &["FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"];
const OWNERSHIPS: &[&str] = &["BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"];

/// The grant-header members and the permission each grants.
const GRANT_MEMBERS: &[(&str, &str)] = &[
    ("GrantFullControl", "FULL_CONTROL"),
    ("GrantRead", "READ"),
    ("GrantReadACP", "READ_ACP"),
    ("GrantWrite", "WRITE"),
    ("GrantWriteACP", "WRITE_ACP"),
];

pub(crate) fn access_control_list_not_supported() -> ServiceError {
    ServiceError::client("AccessControlListNotSupported", 400, "The bucket does not allow ACLs")
}

pub(crate) fn invalid_bucket_acl_with_object_ownership() -> ServiceError {
    ServiceError::client(
        "InvalidBucketAclWithObjectOwnership",
        400,
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    )
}

fn malformed_acl() -> ServiceError {
    ServiceError::client(
        "MalformedACLError",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

fn ownership_controls_not_found(bucket: &str) -> ServiceError {
    ServiceError::client(
        "OwnershipControlsNotFoundError",
        404,
        "The bucket ownership controls were not found",
    )
    .with_field("BucketName", bucket)
}

/// Which resource an ACL is for: canned ACL names and their grants differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AclTarget {
    Bucket,
    Object,
}

/// The ACL a canned ACL name stands for (S3 User Guide, "Canned ACL"). `owner` owns the resource,
/// `bucket_owner` the bucket (objects' `bucket-owner-*` ACLs).
fn canned(
    name: &str,
    target: AclTarget,
    owner: &str,
    bucket_owner: &str,
) -> Result<Vec<Grant>, ServiceError> {
    let user = |id: &str, p: &str| Grant {
        grantee: Grantee::CanonicalUser(id.to_owned()),
        permission: p.to_owned(),
    };
    let group = |uri: &str, p: &str| Grant {
        grantee: Grantee::Group(uri.to_owned()),
        permission: p.to_owned(),
    };
    let mut grants = vec![user(owner, "FULL_CONTROL")];
    match (name, target) {
        ("private", _) => {}
        ("public-read", _) => grants.push(group(ALL_USERS, "READ")),
        ("public-read-write", _) => {
            grants.push(group(ALL_USERS, "READ"));
            grants.push(group(ALL_USERS, "WRITE"));
        }
        ("authenticated-read", _) => grants.push(group(AUTHENTICATED_USERS, "READ")),
        ("log-delivery-write", AclTarget::Bucket) => {
            grants.push(group(LOG_DELIVERY, "WRITE"));
            grants.push(group(LOG_DELIVERY, "READ_ACP"));
        }
        ("bucket-owner-read", AclTarget::Object) => {
            if bucket_owner != owner {
                grants.push(user(bucket_owner, "READ"));
            }
        }
        ("bucket-owner-full-control", AclTarget::Object) => {
            if bucket_owner != owner {
                grants.push(user(bucket_owner, "FULL_CONTROL"));
            }
        }
        ("aws-exec-read", AclTarget::Object) => {
            // Its grant names Amazon EC2's own canonical user, which xacct has no id for.
            return Err(ServiceError::client(
                "NotImplemented",
                501,
                "A header you provided implies functionality that is not implemented",
            ));
        }
        _ => {
            return Err(s3::invalid_argument(format!("Invalid canned ACL: {name}"))
                .with_field("ArgumentName", "x-amz-acl")
                .with_field("ArgumentValue", name));
        }
    }
    Ok(grants)
}

/// A canonical user id as S3 shows them: 64 lowercase hex digits.
fn valid_canonical_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn grantee_from_parts(kind: &str, value: &str) -> Result<Grantee, ServiceError> {
    match kind {
        "id" => {
            if !valid_canonical_id(value) {
                return Err(s3::invalid_argument("Invalid id")
                    .with_field("ArgumentName", "CanonicalUser/ID")
                    .with_field("ArgumentValue", value));
            }
            Ok(Grantee::CanonicalUser(value.to_owned()))
        }
        "uri" => {
            if ![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].contains(&value) {
                return Err(s3::invalid_argument("Invalid group uri")
                    .with_field("ArgumentName", "Group/URI")
                    .with_field("ArgumentValue", value));
            }
            Ok(Grantee::Group(value.to_owned()))
        }
        // xacct keeps no e-mail address per canonical user to resolve one against.
        "emailaddress" => Err(ServiceError::client(
            "UnresolvableGrantByEmailAddress",
            400,
            "The e-mail address you provided does not match any account on record.",
        )
        .with_field("EmailAddress", value)),
        _ => Err(s3::invalid_argument("Invalid grantee type in grant header")),
    }
}

/// `id="…", uri="…", emailAddress="…"` (an `x-amz-grant-*` header) as grants of `permission`.
fn parse_grant_header(text: &str, permission: &str) -> Result<Vec<Grant>, ServiceError> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((kind, value)) = part.split_once('=') else {
            return Err(s3::invalid_argument(format!("Invalid grant header value: {part}")));
        };
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        let grantee = grantee_from_parts(&kind.trim().to_ascii_lowercase(), value)?;
        out.push(Grant { grantee, permission: permission.to_owned() });
    }
    Ok(out)
}

/// Grants of an `AccessControlPolicy` body's `Grants`.
fn grants_from_policy(list: &[Value]) -> Result<Vec<Grant>, ServiceError> {
    let mut out = Vec::new();
    for g in list {
        let permission = input_str(g, "Permission").unwrap_or_default();
        if !PERMISSIONS.contains(&permission) {
            return Err(malformed_acl());
        }
        let Some(grantee) = g.get("Grantee") else { return Err(malformed_acl()) };
        let grantee = match input_str(grantee, "Type") {
            Some("CanonicalUser") => {
                grantee_from_parts("id", input_str(grantee, "ID").ok_or_else(malformed_acl)?)?
            }
            Some("Group") => {
                grantee_from_parts("uri", input_str(grantee, "URI").ok_or_else(malformed_acl)?)?
            }
            Some("AmazonCustomerByEmail") => grantee_from_parts(
                "emailaddress",
                input_str(grantee, "EmailAddress").ok_or_else(malformed_acl)?,
            )?,
            _ => return Err(malformed_acl()),
        };
        out.push(Grant { grantee, permission: permission.to_owned() });
    }
    Ok(out)
}

/// The ACL a request sets, from its canned ACL, grant headers or `AccessControlPolicy` body
/// (only one kind may be used); `None` when it sets none.
pub(crate) fn requested_acl(
    input: &Value,
    target: AclTarget,
    owner_account: &str,
    bucket_account: &str,
) -> Result<Option<Acl>, ServiceError> {
    let owner = s3::canonical_id(owner_account);
    let bucket_owner = s3::canonical_id(bucket_account);
    let canned_name = input_str(input, "ACL");
    let headers: Vec<(&str, &str)> =
        GRANT_MEMBERS.iter().filter_map(|(m, p)| input_str(input, m).map(|v| (v, *p))).collect();
    let body = input.get("AccessControlPolicy");
    if canned_name.is_some() && !headers.is_empty() {
        return Err(s3::invalid_request(
            "Specifying both Canned ACLs and Header Grants is not allowed",
        ));
    }
    if body.is_some() && (canned_name.is_some() || !headers.is_empty()) {
        // Guessed text: S3 refuses a body together with ACL headers.
        return Err(s3::invalid_request(
            "Specifying both ACL headers and an ACL body is not allowed",
        ));
    }
    if let Some(name) = canned_name {
        return Ok(Some(Acl {
            owner: owner.clone(),
            grants: canned(name, target, &owner, &bucket_owner)?,
        }));
    }
    if !headers.is_empty() {
        let mut grants = Vec::new();
        for (text, permission) in headers {
            grants.extend(parse_grant_header(text, permission)?);
        }
        return Ok(Some(Acl { owner, grants }));
    }
    if let Some(body) = body {
        if body.get("Owner").and_then(|o| input_str(o, "ID")).is_none() {
            return Err(malformed_acl());
        }
        let list = body.get("Grants").and_then(Value::as_array).cloned().unwrap_or_default();
        return Ok(Some(Acl { owner, grants: grants_from_policy(&list)? }));
    }
    Ok(None)
}

/// Whether an ACL gives only the bucket owner full control (what ACL-disabled buckets accept).
fn only_bucket_owner(acl: &Acl, bucket_owner: &str) -> bool {
    acl.grants.iter().all(|g| {
        g.permission == "FULL_CONTROL"
            && matches!(&g.grantee, Grantee::CanonicalUser(id) if id == bucket_owner)
    })
}

/// The bucket's Object Ownership setting; `None` when it has no ownership controls.
pub(crate) fn ownership(tx: &dyn ReadTx, bucket: &str) -> Result<Option<String>, ServiceError> {
    let v = model::BUCKET_CONFIGS.get(tx, &model::config_key(bucket, "ownership"))?;
    Ok(v.and_then(|v| v.as_str().map(str::to_owned)))
}

fn acls_disabled(tx: &dyn ReadTx, bucket: &str) -> Result<bool, ServiceError> {
    Ok(ownership(tx, bucket)?.as_deref() == Some("BucketOwnerEnforced"))
}

/// The owner-only ACL.
fn private(owner_account: &str) -> Acl {
    let id = s3::canonical_id(owner_account);
    Acl {
        owner: id.clone(),
        grants: vec![Grant {
            grantee: Grantee::CanonicalUser(id),
            permission: "FULL_CONTROL".into(),
        }],
    }
}

/// The `Owner` and `Grants` of a Get*Acl answer.
fn acl_value(acl: &Acl) -> Value {
    let grants: Vec<Value> = acl
        .grants
        .iter()
        .map(|g| {
            let grantee = match &g.grantee {
                Grantee::CanonicalUser(id) => json!({ "Type": "CanonicalUser", "ID": id }),
                Grantee::Group(uri) => json!({ "Type": "Group", "URI": uri }),
            };
            json!({ "Grantee": grantee, "Permission": g.permission })
        })
        .collect();
    json!({ "Owner": { "ID": acl.owner }, "Grants": grants })
}

/// What `CreateBucket` stores besides the bucket record: its Object Ownership and ACL. Checked
/// before the bucket exists.
pub(crate) fn create_bucket_acl(call: &Call<'_>) -> Result<(String, Option<Acl>), ServiceError> {
    let ownership = match input_str(call.input, "ObjectOwnership") {
        None => "BucketOwnerEnforced".to_owned(),
        Some(o) if OWNERSHIPS.contains(&o) => o.to_owned(),
        Some(o) => {
            // Guessed text.
            return Err(s3::invalid_argument("Invalid x-amz-object-ownership header")
                .with_field("ArgumentName", "x-amz-object-ownership")
                .with_field("ArgumentValue", o));
        }
    };
    let account = &call.caller.account;
    let acl = requested_acl(call.input, AclTarget::Bucket, account, account)?;
    if ownership == "BucketOwnerEnforced" {
        if let Some(a) = &acl {
            if !only_bucket_owner(a, &s3::canonical_id(account)) {
                return Err(invalid_bucket_acl_with_object_ownership());
            }
        }
        // An owner-only ACL is the default: nothing to keep.
        return Ok((ownership, None));
    }
    // New buckets start with Block Public Access on.
    if acl.as_ref().is_some_and(public::acl_is_public) {
        return Err(public::invalid_bucket_acl_with_block_public_access());
    }
    Ok((ownership, acl))
}

/// The ACL a new object gets from a write request (`PutObject`, `CopyObject`,
/// `CreateMultipartUpload`): `None` for the default. Refused when the bucket has ACLs disabled
/// and the request sets more than the bucket owner's full control.
pub(crate) fn new_object_acl(
    services: &Services,
    bucket: &BucketRecord,
    input: &Value,
    writer_account: &str,
) -> Result<Option<Acl>, ServiceError> {
    let tx = services.store().read()?;
    let disabled = acls_disabled(&*tx, &bucket.name)?;
    let block = public::blocks(&*tx, &bucket.name, "BlockPublicAcls")?;
    drop(tx);
    let acl = requested_acl(input, AclTarget::Object, writer_account, &bucket.account)?;
    let Some(acl) = acl else { return Ok(None) };
    if disabled {
        if only_bucket_owner(&acl, &s3::canonical_id(&bucket.account))
            || input_str(input, "ACL") == Some("bucket-owner-full-control")
        {
            return Ok(None);
        }
        return Err(access_control_list_not_supported());
    }
    if block && public::acl_is_public(&acl) {
        return Err(public::public_acl_blocked());
    }
    Ok(Some(acl))
}

pub fn get_bucket_acl(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let tx = services.store().read()?;
    if acls_disabled(&*tx, &b.name)? {
        return Ok(acl_value(&private(&b.account)));
    }
    let stored = model::BUCKET_CONFIGS.get(&*tx, &model::config_key(&b.name, "acl"))?;
    let acl = match stored {
        Some(v) => serde_json::from_value::<Acl>(v)
            .map_err(|e| ServiceError::internal(format!("stored bucket ACL: {e}")))?,
        None => private(&b.account),
    };
    Ok(acl_value(&acl))
}

pub fn put_bucket_acl(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let acl = requested_acl(call.input, AclTarget::Bucket, &b.account, &b.account)?
        .ok_or_else(malformed_acl)?;
    let mut tx = services.store().write()?;
    if model::BUCKETS.get(&*tx, &b.name)?.is_none() {
        return Err(s3::no_such_bucket(&b.name));
    }
    let key = model::config_key(&b.name, "acl");
    if acls_disabled(&*tx, &b.name)? {
        if !only_bucket_owner(&acl, &s3::canonical_id(&b.account)) {
            return Err(access_control_list_not_supported());
        }
        // The owner's full control is what a bucket without ACLs has already.
        model::BUCKET_CONFIGS.delete(&mut *tx, &key)?;
    } else if public::acl_is_public(&acl) && public::blocks(&*tx, &b.name, "BlockPublicAcls")? {
        return Err(public::public_acl_blocked());
    } else {
        let v = serde_json::to_value(&acl)
            .map_err(|e| ServiceError::internal(format!("bucket ACL: {e}")))?;
        model::BUCKET_CONFIGS.put(&mut *tx, &key, &v)?;
    }
    tx.commit()?;
    Ok(json!({}))
}

/// The bucket's ACL grants (owner-only when ACLs are disabled or none was set).
pub(crate) fn bucket_grants(tx: &dyn ReadTx, b: &BucketRecord) -> Result<Vec<Grant>, ServiceError> {
    if acls_disabled(tx, &b.name)? {
        return Ok(private(&b.account).grants);
    }
    match model::BUCKET_CONFIGS.get(tx, &model::config_key(&b.name, "acl"))? {
        Some(v) => Ok(serde_json::from_value::<Acl>(v)
            .map_err(|e| ServiceError::internal(format!("stored bucket ACL: {e}")))?
            .grants),
        None => Ok(private(&b.account).grants),
    }
}

/// Object ACL operations address the current object; a version id other than `null` names no
/// version of an unversioned object.
fn check_version(call: &Call<'_>) -> Result<(), ServiceError> {
    match input_str(call.input, "VersionId") {
        None | Some("null") => Ok(()),
        Some(v) => Err(s3::invalid_argument("Invalid version id specified")
            .with_field("ArgumentName", "versionId")
            .with_field("ArgumentValue", v)),
    }
}

pub fn get_object_acl(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    check_version(call)?;
    let o = super::objects::existing_object(services, call, &mut auth, &b, key)?;
    let tx = services.store().read()?;
    if acls_disabled(&*tx, &b.name)? {
        return Ok(acl_value(&private(&b.account)));
    }
    Ok(acl_value(&o.acl.unwrap_or_else(|| private(&o.owner))))
}

pub fn put_object_acl(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let key = s3::object_key(call)?;
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, Some(key))?;
    check_version(call)?;
    let o = super::objects::existing_object(services, call, &mut auth, &b, key)?;
    let acl = requested_acl(call.input, AclTarget::Object, &o.owner, &b.account)?
        .ok_or_else(malformed_acl)?;
    let okey = model::object_key(&b.name, key);
    let mut tx = services.store().write()?;
    let mut o = model::OBJECTS.get(&*tx, &okey)?.ok_or_else(|| s3::no_such_key(key))?;
    if acls_disabled(&*tx, &b.name)? {
        if !only_bucket_owner(&acl, &s3::canonical_id(&b.account))
            && input_str(call.input, "ACL") != Some("bucket-owner-full-control")
        {
            return Err(access_control_list_not_supported());
        }
        o.acl = None;
    } else if public::acl_is_public(&acl) && public::blocks(&*tx, &b.name, "BlockPublicAcls")? {
        return Err(public::public_acl_blocked());
    } else {
        o.acl = Some(acl);
    }
    model::OBJECTS.put(&mut *tx, &okey, &o)?;
    tx.commit()?;
    Ok(json!({}))
}

pub fn get_bucket_ownership_controls(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let tx = services.store().read()?;
    match ownership(&*tx, &b.name)? {
        Some(o) => Ok(json!({ "OwnershipControls": { "Rules": [{ "ObjectOwnership": o }] } })),
        None => Err(ownership_controls_not_found(&b.name)),
    }
}

pub fn put_bucket_ownership_controls(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let rules = call
        .input
        .get("OwnershipControls")
        .and_then(|c| c.get("Rules"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Exactly one rule with a known setting.
    let [rule] = rules.as_slice() else { return Err(s3::malformed_xml()) };
    let setting = input_str(rule, "ObjectOwnership").unwrap_or_default();
    if !OWNERSHIPS.contains(&setting) {
        return Err(s3::malformed_xml());
    }
    let mut tx = services.store().write()?;
    if model::BUCKETS.get(&*tx, &b.name)?.is_none() {
        return Err(s3::no_such_bucket(&b.name));
    }
    if setting == "BucketOwnerEnforced" {
        // ACLs may be disabled only once the bucket ACL grants nobody else.
        let stored = model::BUCKET_CONFIGS.get(&*tx, &model::config_key(&b.name, "acl"))?;
        if let Some(v) = stored {
            let acl = serde_json::from_value::<Acl>(v)
                .map_err(|e| ServiceError::internal(format!("stored bucket ACL: {e}")))?;
            if !only_bucket_owner(&acl, &s3::canonical_id(&b.account)) {
                return Err(invalid_bucket_acl_with_object_ownership());
            }
        }
    }
    model::BUCKET_CONFIGS.put(
        &mut *tx,
        &model::config_key(&b.name, "ownership"),
        &Value::String(setting.to_owned()),
    )?;
    tx.commit()?;
    Ok(json!({}))
}

pub fn delete_bucket_ownership_controls(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut auth = Authorizer::new(services, call);
    let b = s3::authorized_bucket(services, call, &mut auth, None)?;
    let mut tx = services.store().write()?;
    model::BUCKET_CONFIGS.delete(&mut *tx, &model::config_key(&b.name, "ownership"))?;
    tx.commit()?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn canned_acls_expand_to_grants() {
        let acl = requested_acl(&json!({"ACL": "public-read"}), AclTarget::Bucket, "1", "1")
            .unwrap()
            .unwrap();
        assert_eq!(acl.grants.len(), 2);
        assert_eq!(acl.grants[1].grantee, Grantee::Group(ALL_USERS.into()));
        assert_eq!(acl.grants[1].permission, "READ");
        // bucket-owner-full-control is for objects only, and adds the bucket owner when it differs.
        assert!(requested_acl(
            &json!({"ACL": "bucket-owner-full-control"}),
            AclTarget::Bucket,
            "1",
            "1"
        )
        .is_err());
        let acl = requested_acl(
            &json!({"ACL": "bucket-owner-full-control"}),
            AclTarget::Object,
            "1",
            "2",
        )
        .unwrap()
        .unwrap();
        assert_eq!(acl.grants.len(), 2);
        assert!(requested_acl(&json!({}), AclTarget::Object, "1", "1").unwrap().is_none());
    }

    #[test]
    fn grant_headers_parse_and_validate() {
        let id = "a".repeat(64);
        let input = json!({
            "GrantRead": format!("id=\"{id}\", uri=\"{ALL_USERS}\""),
            "GrantWrite": format!("uri={LOG_DELIVERY}"),
        });
        let acl = requested_acl(&input, AclTarget::Bucket, "1", "1").unwrap().unwrap();
        assert_eq!(acl.grants.len(), 3);
        assert_eq!(acl.grants[0].grantee, Grantee::CanonicalUser(id));
        let bad = json!({"GrantRead": "id=AllUsers"});
        assert_eq!(
            requested_acl(&bad, AclTarget::Object, "1", "1").unwrap_err().code,
            "InvalidArgument"
        );
        let bad = json!({"GrantRead": "uri=http://example.com/group"});
        assert_eq!(
            requested_acl(&bad, AclTarget::Object, "1", "1").unwrap_err().code,
            "InvalidArgument"
        );
        let both = json!({"ACL": "private", "GrantRead": format!("uri={ALL_USERS}")});
        let err = requested_acl(&both, AclTarget::Object, "1", "1").unwrap_err();
        assert_eq!(err.code, "InvalidRequest");
    }

    #[test]
    fn policy_bodies_need_an_owner_and_known_permissions() {
        let owner = json!({"ID": s3::canonical_id("1")});
        let ok = json!({"AccessControlPolicy": {"Owner": owner, "Grants": [
            {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "WRITE"}]}});
        assert_eq!(
            requested_acl(&ok, AclTarget::Bucket, "1", "1").unwrap().unwrap().grants.len(),
            1
        );
        let no_owner = json!({"AccessControlPolicy": {"Grants": []}});
        assert_eq!(
            requested_acl(&no_owner, AclTarget::Bucket, "1", "1").unwrap_err().code,
            "MalformedACLError"
        );
        let bad_perm = json!({"AccessControlPolicy": {"Owner": owner, "Grants": [
            {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "ALL"}]}});
        assert_eq!(
            requested_acl(&bad_perm, AclTarget::Bucket, "1", "1").unwrap_err().code,
            "MalformedACLError"
        );
    }

    #[test]
    fn owner_only_acls_are_what_disabled_acls_accept() {
        let owner = s3::canonical_id("1");
        assert!(only_bucket_owner(&private("1"), &owner));
        let public = requested_acl(&json!({"ACL": "public-read"}), AclTarget::Object, "1", "1")
            .unwrap()
            .unwrap();
        assert!(!only_bucket_owner(&public, &owner));
    }
}
