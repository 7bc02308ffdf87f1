//! KMS operation → the permission it needs, after AWS's Service Authorization Reference
//! ("Actions, resources, and condition keys for AWS Key Management Service") and the KMS
//! Developer Guide's permissions reference (which operations work across accounts, which accept
//! an alias as `KeyId`).
//!
//! KMS authorizes inside its handlers: an operation on a key needs the key's policy (a required
//! resource policy) and the key's own condition keys, known only once the key is resolved.
//! This table says, per operation: the action, what it acts on, whether a key in another
//! account may be used (named by ARN), and whether `KeyId` may be an alias.
//!
//! Condition keys supplied (see [`key_context`] and the handlers): `kms:CallerAccount`,
//! `kms:KeySpec`, `kms:KeyUsage`, `kms:KeyOrigin`, `kms:MultiRegion`, `kms:ResourceAliases`,
//! `kms:RequestAlias`, `aws:ResourceTag/…`, `kms:EncryptionContext:…`,
//! `kms:EncryptionContextKeys`, `kms:EncryptionAlgorithm`, `kms:GrantOperations`,
//! `kms:GranteePrincipal`, `kms:RetiringPrincipal`, `kms:GrantConstraintType`,
//! `kms:ReEncryptOnSameKey`, `kms:MacAlgorithm`, `kms:BypassPolicyLockoutSafetyCheck`,
//! `kms:ScheduleKeyDeletionPendingWindowInDays`, `kms:RotationPeriodInDays`,
//! `aws:RequestTag/…`, `aws:TagKeys`. `kms:ViaService` is absent: every call is direct.

use std::collections::BTreeMap;

use super::model::KeyRecord;
use crate::authz::ContextValue;

/// What an operation acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// No resource: `*`, identity policies only.
    Star,
    /// A key (the key policy applies).
    Key,
    /// An alias (identity policies only) and the key it targets (key policy).
    AliasAndKey,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpSpec {
    pub action: &'static str,
    pub target: Target,
    /// A key of another account may be used (named by key or alias ARN).
    pub cross_account: bool,
    /// `KeyId` may name an alias.
    pub alias_ok: bool,
}

const fn op(action: &'static str, target: Target, cross_account: bool, alias_ok: bool) -> OpSpec {
    OpSpec { action, target, cross_account, alias_ok }
}

/// The table: operation → its permission.
pub fn spec(operation: &str) -> Option<OpSpec> {
    use Target::{AliasAndKey, Key, Star};
    Some(match operation {
        "CreateKey" => op("kms:CreateKey", Star, false, false),
        "ListKeys" => op("kms:ListKeys", Star, false, false),
        "ListAliases" => op("kms:ListAliases", Star, false, false),
        "GenerateRandom" => op("kms:GenerateRandom", Star, false, false),
        "ListRetirableGrants" => op("kms:ListRetirableGrants", Star, false, false),
        "CreateAlias" => op("kms:CreateAlias", AliasAndKey, false, false),
        "DeleteAlias" => op("kms:DeleteAlias", AliasAndKey, false, false),
        "UpdateAlias" => op("kms:UpdateAlias", AliasAndKey, false, false),
        "DescribeKey" => op("kms:DescribeKey", Key, true, true),
        "GetKeyPolicy" => op("kms:GetKeyPolicy", Key, false, false),
        "PutKeyPolicy" => op("kms:PutKeyPolicy", Key, false, false),
        "ListKeyPolicies" => op("kms:ListKeyPolicies", Key, false, false),
        "EnableKey" => op("kms:EnableKey", Key, false, false),
        "DisableKey" => op("kms:DisableKey", Key, false, false),
        "ScheduleKeyDeletion" => op("kms:ScheduleKeyDeletion", Key, false, false),
        "CancelKeyDeletion" => op("kms:CancelKeyDeletion", Key, false, false),
        "UpdateKeyDescription" => op("kms:UpdateKeyDescription", Key, false, false),
        "Encrypt" => op("kms:Encrypt", Key, true, true),
        "Decrypt" => op("kms:Decrypt", Key, true, true),
        "GenerateDataKey" => op("kms:GenerateDataKey", Key, true, true),
        "GenerateDataKeyWithoutPlaintext" => {
            op("kms:GenerateDataKeyWithoutPlaintext", Key, true, true)
        }
        "GenerateDataKeyPair" => op("kms:GenerateDataKeyPair", Key, true, true),
        "GenerateDataKeyPairWithoutPlaintext" => {
            op("kms:GenerateDataKeyPairWithoutPlaintext", Key, true, true)
        }
        "GenerateMac" => op("kms:GenerateMac", Key, true, true),
        "VerifyMac" => op("kms:VerifyMac", Key, true, true),
        "Sign" => op("kms:Sign", Key, true, true),
        "Verify" => op("kms:Verify", Key, true, true),
        "GetPublicKey" => op("kms:GetPublicKey", Key, true, true),
        "CreateGrant" => op("kms:CreateGrant", Key, true, false),
        "ListGrants" => op("kms:ListGrants", Key, true, false),
        "RevokeGrant" => op("kms:RevokeGrant", Key, true, false),
        "RetireGrant" => op("kms:RetireGrant", Key, true, false),
        "TagResource" => op("kms:TagResource", Key, false, false),
        "UntagResource" => op("kms:UntagResource", Key, false, false),
        "ListResourceTags" => op("kms:ListResourceTags", Key, false, false),
        "GetKeyRotationStatus" => op("kms:GetKeyRotationStatus", Key, true, false),
        "EnableKeyRotation" => op("kms:EnableKeyRotation", Key, false, false),
        "DisableKeyRotation" => op("kms:DisableKeyRotation", Key, false, false),
        "RotateKeyOnDemand" => op("kms:RotateKeyOnDemand", Key, false, false),
        "ListKeyRotations" => op("kms:ListKeyRotations", Key, false, false),
        _ => return None,
    })
}

/// The grant operation name an action is covered by, if grants can allow it.
pub fn grant_operation(action: &str) -> Option<&'static str> {
    Some(match action {
        "kms:Decrypt" => "Decrypt",
        "kms:Encrypt" => "Encrypt",
        "kms:GenerateDataKey" => "GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext" => "GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom" => "ReEncryptFrom",
        "kms:ReEncryptTo" => "ReEncryptTo",
        "kms:CreateGrant" => "CreateGrant",
        "kms:RetireGrant" => "RetireGrant",
        "kms:DescribeKey" => "DescribeKey",
        "kms:GenerateDataKeyPair" => "GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext" => "GenerateDataKeyPairWithoutPlaintext",
        "kms:GenerateMac" => "GenerateMac",
        "kms:VerifyMac" => "VerifyMac",
        "kms:Sign" => "Sign",
        "kms:Verify" => "Verify",
        "kms:GetPublicKey" => "GetPublicKey",
        _ => return None,
    })
}

/// Whether a grant's operations allow use with an encryption context (grant constraints only
/// apply to operations that take one).
pub fn takes_encryption_context(action: &str) -> bool {
    matches!(
        action,
        "kms:Decrypt"
            | "kms:Encrypt"
            | "kms:GenerateDataKey"
            | "kms:GenerateDataKeyWithoutPlaintext"
            | "kms:GenerateDataKeyPair"
            | "kms:GenerateDataKeyPairWithoutPlaintext"
            | "kms:ReEncryptFrom"
            | "kms:ReEncryptTo"
    )
}

/// The condition keys every request on `key` carries.
pub fn key_context(
    key: &KeyRecord,
    aliases: &[String],
    caller_account: &str,
    request_alias: Option<&str>,
) -> Vec<(String, ContextValue)> {
    let one = |s: &str| ContextValue::One(s.to_owned());
    let mut out = vec![
        ("kms:CallerAccount".to_owned(), one(caller_account)),
        ("kms:KeySpec".to_owned(), one(&key.key_spec)),
        ("kms:KeyUsage".to_owned(), one(&key.key_usage)),
        ("kms:KeyOrigin".to_owned(), one(&key.origin)),
        ("kms:MultiRegion".to_owned(), one(if key.multi_region { "true" } else { "false" })),
    ];
    if !aliases.is_empty() {
        out.push(("kms:ResourceAliases".to_owned(), ContextValue::Many(aliases.to_vec())));
    }
    if let Some(a) = request_alias {
        out.push(("kms:RequestAlias".to_owned(), one(a)));
    }
    for t in &key.tags {
        out.push((format!("aws:ResourceTag/{}", t.key), one(&t.value)));
    }
    out
}

/// `kms:EncryptionContext:KEY` per pair and `kms:EncryptionContextKeys`.
pub fn encryption_context_keys(context: &BTreeMap<String, String>) -> Vec<(String, ContextValue)> {
    let mut out: Vec<(String, ContextValue)> = context
        .iter()
        .map(|(k, v)| (format!("kms:EncryptionContext:{k}"), ContextValue::One(v.clone())))
        .collect();
    if !context.is_empty() {
        out.push((
            "kms:EncryptionContextKeys".to_owned(),
            ContextValue::Many(context.keys().cloned().collect()),
        ));
    }
    out
}

/// `aws:RequestTag/KEY` per tag and `aws:TagKeys`.
pub fn request_tags(tags: &[(String, String)]) -> Vec<(String, ContextValue)> {
    let mut out: Vec<(String, ContextValue)> = tags
        .iter()
        .map(|(k, v)| (format!("aws:RequestTag/{k}"), ContextValue::One(v.clone())))
        .collect();
    if !tags.is_empty() {
        out.push((
            "aws:TagKeys".to_owned(),
            ContextValue::Many(tags.iter().map(|(k, _)| k.clone()).collect()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::model::Tag;

    #[test]
    fn table_follows_the_permissions_reference() {
        // (operation, action, target, cross-account, alias as KeyId)
        let rows = [
            ("CreateKey", "kms:CreateKey", Target::Star, false, false),
            ("ListKeys", "kms:ListKeys", Target::Star, false, false),
            ("ListAliases", "kms:ListAliases", Target::Star, false, false),
            ("GenerateRandom", "kms:GenerateRandom", Target::Star, false, false),
            ("CreateAlias", "kms:CreateAlias", Target::AliasAndKey, false, false),
            ("UpdateAlias", "kms:UpdateAlias", Target::AliasAndKey, false, false),
            ("DescribeKey", "kms:DescribeKey", Target::Key, true, true),
            ("Encrypt", "kms:Encrypt", Target::Key, true, true),
            ("Decrypt", "kms:Decrypt", Target::Key, true, true),
            ("GenerateDataKey", "kms:GenerateDataKey", Target::Key, true, true),
            ("CreateGrant", "kms:CreateGrant", Target::Key, true, false),
            ("ListGrants", "kms:ListGrants", Target::Key, true, false),
            ("RevokeGrant", "kms:RevokeGrant", Target::Key, true, false),
            ("GetKeyPolicy", "kms:GetKeyPolicy", Target::Key, false, false),
            ("PutKeyPolicy", "kms:PutKeyPolicy", Target::Key, false, false),
            ("ScheduleKeyDeletion", "kms:ScheduleKeyDeletion", Target::Key, false, false),
            ("EnableKeyRotation", "kms:EnableKeyRotation", Target::Key, false, false),
            ("GetKeyRotationStatus", "kms:GetKeyRotationStatus", Target::Key, true, false),
            ("TagResource", "kms:TagResource", Target::Key, false, false),
            ("Sign", "kms:Sign", Target::Key, true, true),
            ("Verify", "kms:Verify", Target::Key, true, true),
            ("GetPublicKey", "kms:GetPublicKey", Target::Key, true, true),
        ];
        for (operation, action, target, cross, alias) in rows {
            assert_eq!(spec(operation), Some(op(action, target, cross, alias)), "{operation}");
        }
        assert_eq!(spec("ReEncrypt"), None, "ReEncrypt needs two actions: handled apart");
        assert_eq!(spec("NoSuchOperation"), None);
    }

    #[test]
    fn grant_operations() {
        assert_eq!(grant_operation("kms:Encrypt"), Some("Encrypt"));
        assert_eq!(grant_operation("kms:ReEncryptFrom"), Some("ReEncryptFrom"));
        assert_eq!(grant_operation("kms:PutKeyPolicy"), None);
        assert_eq!(grant_operation("kms:ListGrants"), None);
        assert!(takes_encryption_context("kms:Decrypt"));
        assert!(!takes_encryption_context("kms:DescribeKey"));
    }

    #[test]
    fn context_keys() {
        let key = KeyRecord {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            key_id: "k".into(),
            arn: "arn".into(),
            description: String::new(),
            key_usage: "ENCRYPT_DECRYPT".into(),
            key_spec: "SYMMETRIC_DEFAULT".into(),
            origin: "AWS_KMS".into(),
            key_state: "Enabled".into(),
            creation_date: 0.0,
            deletion_date: None,
            pending_window_days: None,
            policy: String::new(),
            tags: vec![Tag { key: "team".into(), value: "blue".into() }],
            material: Vec::new(),
            rotation_enabled: false,
            rotation_period_days: None,
            next_rotation_date: None,
            multi_region: false,
            aws_managed: false,
        };
        let ctx = key_context(&key, &["alias/app".into()], "222222222222", Some("alias/app"));
        let get = |k: &str| ctx.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("kms:CallerAccount"), Some(ContextValue::One("222222222222".into())));
        assert_eq!(get("aws:ResourceTag/team"), Some(ContextValue::One("blue".into())));
        assert_eq!(get("kms:RequestAlias"), Some(ContextValue::One("alias/app".into())));
        assert_eq!(get("kms:ResourceAliases"), Some(ContextValue::Many(vec!["alias/app".into()])));
        assert_eq!(get("kms:ViaService"), None);
        let ec: BTreeMap<String, String> = [("Dept".to_owned(), "IT".to_owned())].into();
        let keys = encryption_context_keys(&ec);
        assert_eq!(keys[0], ("kms:EncryptionContext:Dept".into(), ContextValue::One("IT".into())));
        assert_eq!(
            keys[1],
            ("kms:EncryptionContextKeys".into(), ContextValue::Many(vec!["Dept".into()]))
        );
        assert!(encryption_context_keys(&BTreeMap::new()).is_empty());
    }
}
