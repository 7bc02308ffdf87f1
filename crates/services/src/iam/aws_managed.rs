//! AWS managed policies: the `aws` namespace of IAM (`arn:aws:iam::aws:policy/...`) and the two
//! AWS managed Organizations policies (`FullAWSAccess`, `RCPFullAWSAccess`), shipped as data files
//! under `crates/services/data/aws-managed-policies/` with the documents AWS publishes, and
//! embedded into the binary at compile time.
//!
//! Each file records where its document, version and dates were taken from (`Source`); this
//! module only loads them. They are parsed once, on first use; a file that fails to parse is
//! skipped with an error in the log (the tests make that a build failure instead).

use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::Value;
use xacct_policy::{ParseOptions, Policy, PolicyError, PolicyKind};

/// The IAM managed policy files, one per policy.
const FILES: &[&str] = &[
    include_str!("../../data/aws-managed-policies/AWSCloudTrail_FullAccess.json"),
    include_str!("../../data/aws-managed-policies/AWSCloudTrail_ReadOnlyAccess.json"),
    include_str!("../../data/aws-managed-policies/AWSImageBuilderFullAccess.json"),
    include_str!("../../data/aws-managed-policies/AWSKeyManagementServicePowerUser.json"),
    include_str!("../../data/aws-managed-policies/AWSOrganizationsFullAccess.json"),
    include_str!("../../data/aws-managed-policies/AWSOrganizationsReadOnlyAccess.json"),
    include_str!("../../data/aws-managed-policies/AWSProtonCodeBuildProvisioningBasicAccess.json"),
    include_str!("../../data/aws-managed-policies/AWSProtonDeveloperAccess.json"),
    include_str!("../../data/aws-managed-policies/AWSProtonFullAccess.json"),
    include_str!("../../data/aws-managed-policies/AWSProtonReadOnlyAccess.json"),
    include_str!("../../data/aws-managed-policies/AWSProtonServiceGitSyncServiceRolePolicy.json"),
    include_str!("../../data/aws-managed-policies/AWSProtonSyncServiceRolePolicy.json"),
    include_str!("../../data/aws-managed-policies/AdministratorAccess.json"),
    include_str!("../../data/aws-managed-policies/AmazonECSInfrastructureRolePolicyForLoadBalancers.json"),
    include_str!(
        "../../data/aws-managed-policies/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity.json"
    ),
    include_str!("../../data/aws-managed-policies/AmazonECSInfrastructureRolePolicyForVolumes.json"),
    include_str!("../../data/aws-managed-policies/AmazonECSInfrastructureRolePolicyForVpcLattice.json"),
    include_str!("../../data/aws-managed-policies/AmazonS3FullAccess.json"),
    include_str!("../../data/aws-managed-policies/AmazonS3ReadOnlyAccess.json"),
    include_str!("../../data/aws-managed-policies/EC2ImageBuilderLifecycleExecutionPolicy.json"),
    include_str!("../../data/aws-managed-policies/Ec2ImageBuilderCrossAccountDistributionAccess.json"),
    include_str!("../../data/aws-managed-policies/IAMFullAccess.json"),
    include_str!("../../data/aws-managed-policies/IAMReadOnlyAccess.json"),
    include_str!("../../data/aws-managed-policies/PowerUserAccess.json"),
    include_str!("../../data/aws-managed-policies/ReadOnlyAccess.json"),
];

/// The AWS managed Organizations policies (an SCP and an RCP), which are not IAM policies.
const ORGANIZATIONS_FILES: &[&str] = &[
    include_str!("../../data/aws-managed-policies/organizations/FullAWSAccess.json"),
    include_str!("../../data/aws-managed-policies/organizations/RCPFullAWSAccess.json"),
];

/// ARN prefix of every IAM AWS managed policy; the path and name follow.
pub const IAM_ARN_PREFIX: &str = "arn:aws:iam::aws:policy";

/// One AWS managed policy as AWS publishes it.
#[derive(Debug)]
pub struct AwsManagedPolicy {
    /// `PolicyName`, e.g. `AdministratorAccess`.
    pub name: String,
    /// `arn:aws:iam::aws:policy` + path + name, or the Organizations policy ARN.
    pub arn: String,
    /// `/`, `/service-role/`, `/aws-service-role/`, …; empty for Organizations policies.
    pub path: String,
    pub description: String,
    /// `v1`, `v12`, …; empty for Organizations policies (they have no versions).
    pub default_version_id: String,
    /// ISO 8601 (`2015-02-06T18:39:46Z`); empty for Organizations policies.
    pub create_date: String,
    /// When the default version was made; empty for Organizations policies.
    pub update_date: String,
    /// The default version's document as compact JSON, keys in AWS's order.
    pub document: String,
    kind: PolicyKind,
    compiled: OnceLock<Result<Arc<Policy>, PolicyError>>,
}

impl AwsManagedPolicy {
    /// The document compiled for the policy engine (labelled with the ARN), compiled once.
    ///
    /// IAM ones compile as identity policies, `FullAWSAccess` as an SCP, `RCPFullAWSAccess` as an
    /// RCP. The customer size quotas do not apply: AWS managed policies are not bound by them
    /// (`ReadOnlyAccess` is many times the 6,144-character managed-policy quota).
    pub fn policy(&self) -> Result<Arc<Policy>, PolicyError> {
        self.compiled
            .get_or_init(|| {
                let options =
                    ParseOptions { max_size: Some(usize::MAX), require_current_version: true };
                Policy::parse_with(&self.document, self.kind, &options)
                    .map(|p| Arc::new(p.with_label(self.arn.clone())))
            })
            .clone()
    }
}

/// The shape of one data file.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PolicyFile {
    policy_name: String,
    arn: String,
    path: String,
    description: String,
    default_version_id: String,
    create_date: String,
    update_date: String,
    /// Provenance, for readers of the data file.
    #[serde(rename = "Source")]
    _source: String,
    document: Value,
}

/// Every IAM AWS managed policy, sorted by name.
pub fn all() -> &'static [AwsManagedPolicy] {
    static IAM: OnceLock<Vec<AwsManagedPolicy>> = OnceLock::new();
    IAM.get_or_init(|| load(FILES))
}

/// The IAM AWS managed policy with this ARN (exact match, as IAM compares policy ARNs).
pub fn get(arn: &str) -> Option<&'static AwsManagedPolicy> {
    all().iter().find(|p| p.arn == arn)
}

/// The AWS managed Organizations policies: `FullAWSAccess` (SCP) and `RCPFullAWSAccess` (RCP).
pub fn organizations_policies() -> &'static [AwsManagedPolicy] {
    static ORGS: OnceLock<Vec<AwsManagedPolicy>> = OnceLock::new();
    ORGS.get_or_init(|| load(ORGANIZATIONS_FILES))
}

fn load(files: &[&str]) -> Vec<AwsManagedPolicy> {
    let mut policies: Vec<AwsManagedPolicy> = files
        .iter()
        .enumerate()
        .filter_map(|(index, text)| match parse_file(text) {
            Ok(policy) => Some(policy),
            Err(error) => {
                tracing::error!(index, %error, "skipping an embedded AWS managed policy file that does not parse");
                None
            }
        })
        .collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    policies
}

/// Parses one data file; the document is kept in the file's key order, compacted.
fn parse_file(text: &str) -> Result<AwsManagedPolicy, String> {
    let file: PolicyFile =
        serde_json::from_str(text).map_err(|e| format!("invalid policy file: {e}"))?;
    let compact = compact_json(text);
    let document = top_level_member(&compact, "Document")
        .ok_or_else(|| format!("`{}`: no top-level Document member", file.policy_name))?;
    // The scanner must have cut out exactly the parsed document.
    let reparsed: Value = serde_json::from_str(document)
        .map_err(|e| format!("`{}`: document slice: {e}", file.policy_name))?;
    if reparsed != file.document {
        return Err(format!(
            "`{}`: document slice differs from the parsed document",
            file.policy_name
        ));
    }
    let kind = kind_for(&file.arn);
    Ok(AwsManagedPolicy {
        name: file.policy_name,
        arn: file.arn,
        path: file.path,
        description: file.description,
        default_version_id: file.default_version_id,
        create_date: file.create_date,
        update_date: file.update_date,
        document: document.to_owned(),
        kind,
        compiled: OnceLock::new(),
    })
}

fn kind_for(arn: &str) -> PolicyKind {
    if arn.starts_with("arn:aws:organizations::aws:policy/resource_control_policy/") {
        PolicyKind::Rcp
    } else if arn.starts_with("arn:aws:organizations::aws:policy/service_control_policy/") {
        PolicyKind::Scp
    } else {
        PolicyKind::Identity
    }
}

/// Drops the whitespace outside strings, keeping everything else (and key order) as written.
fn compact_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// The raw text of member `key` of the top-level object of `compact` (compact JSON).
fn top_level_member<'a>(compact: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\":");
    let bytes = compact.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut start: Option<usize> = None;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => {
                // A key of the top-level object follows `{` or `,` at depth 1.
                let after_separator = i
                    .checked_sub(1)
                    .and_then(|j| bytes.get(j))
                    .is_some_and(|p| *p == b'{' || *p == b',');
                if depth == 1
                    && start.is_none()
                    && after_separator
                    && compact.get(i..)?.starts_with(&needle)
                {
                    start = Some(i + needle.len());
                }
                in_string = true;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 1 {
                    return start.and_then(|s| compact.get(s..i));
                }
                depth = depth.checked_sub(1)?;
            }
            b',' if depth == 1 => {
                if let Some(s) = start {
                    return compact.get(s..i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;
    use xacct_policy::{PolicyErrorCode, Version};

    use super::*;

    fn parsed(files: &[&str]) -> Vec<AwsManagedPolicy> {
        files
            .iter()
            .map(|text| {
                parse_file(text).unwrap_or_else(|e| panic!("embedded file does not parse: {e}"))
            })
            .collect()
    }

    #[test]
    fn every_embedded_file_parses_and_none_is_skipped() {
        assert_eq!(parsed(FILES).len(), FILES.len());
        assert_eq!(parsed(ORGANIZATIONS_FILES).len(), ORGANIZATIONS_FILES.len());
        assert_eq!(all().len(), FILES.len());
        assert_eq!(organizations_policies().len(), ORGANIZATIONS_FILES.len());
    }

    #[test]
    fn the_data_folder_holds_exactly_the_embedded_files() {
        // A data file nobody added to FILES would silently never ship.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/aws-managed-policies");
        let count = |path: &str| {
            std::fs::read_dir(path)
                .unwrap()
                .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json"))
                .count()
        };
        assert_eq!(count(dir), FILES.len());
        assert_eq!(count(&format!("{dir}/organizations")), ORGANIZATIONS_FILES.len());
    }

    #[test]
    fn names_paths_and_arns_are_consistent() {
        for p in all() {
            assert_eq!(p.arn, format!("{IAM_ARN_PREFIX}{}{}", p.path, p.name), "{}", p.name);
            assert!(
                p.path.starts_with('/') && p.path.ends_with('/'),
                "{}: path {}",
                p.name,
                p.path
            );
            assert!(!p.description.is_empty(), "{}", p.name);
            let number = p.default_version_id.strip_prefix('v').unwrap_or("");
            assert!(
                number.parse::<u32>().is_ok_and(|n| n >= 1),
                "{}: {}",
                p.name,
                p.default_version_id
            );
            let created = OffsetDateTime::parse(&p.create_date, &Rfc3339).unwrap();
            let updated = OffsetDateTime::parse(&p.update_date, &Rfc3339).unwrap();
            assert!(created <= updated, "{}", p.name);
            assert_eq!(
                p.default_version_id == "v1",
                created == updated,
                "{}: v1 iff never updated",
                p.name
            );
            assert_eq!(get(&p.arn).map(|q| &q.name), Some(&p.name));
        }
    }

    #[test]
    fn organizations_policies_have_their_organizations_arns() {
        let orgs = organizations_policies();
        let arns: Vec<&str> = orgs.iter().map(|p| p.arn.as_str()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
                "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess",
            ]
        );
        for p in orgs {
            assert_eq!(p.arn.rsplit('/').next(), Some(format!("p-{}", p.name).as_str()));
            assert!(get(&p.arn).is_none(), "{} is not an IAM policy", p.name);
        }
    }

    #[test]
    fn no_duplicate_names_or_arns() {
        let everything: Vec<&AwsManagedPolicy> =
            all().iter().chain(organizations_policies()).collect();
        let names: HashSet<&str> = everything.iter().map(|p| p.name.as_str()).collect();
        let arns: HashSet<&str> = everything.iter().map(|p| p.arn.as_str()).collect();
        assert_eq!(names.len(), everything.len());
        assert_eq!(arns.len(), everything.len());
    }

    #[test]
    fn all_is_sorted_by_name() {
        assert!(all().windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn documents_are_compact_and_keep_aws_key_order() {
        for p in all().iter().chain(organizations_policies()) {
            assert!(
                p.document.starts_with("{\"Version\":\"2012-10-17\",\"Statement\":["),
                "{}",
                p.name
            );
            assert!(!p.document.contains(['\n', '\t']), "{}", p.name);
        }
        let power = get("arn:aws:iam::aws:policy/PowerUserAccess").unwrap();
        assert!(power
            .document
            .contains(r#"{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"]"#));
    }

    #[test]
    fn every_document_passes_the_policy_engine() {
        for p in all() {
            // The call the brief names; only the size quota may refuse (see the next test).
            match Policy::parse(&p.document, PolicyKind::Identity) {
                Ok(policy) => assert_eq!(policy.version(), Version::V2012, "{}", p.name),
                Err(e) => assert_eq!(
                    e.code(),
                    PolicyErrorCode::LimitExceeded,
                    "{}: {}",
                    p.name,
                    e.message()
                ),
            }
            let compiled = p.policy().unwrap_or_else(|e| panic!("{}: {}", p.name, e.message()));
            assert_eq!(compiled.version(), Version::V2012);
        }
        for p in organizations_policies() {
            let kind = if p.name == "RCPFullAWSAccess" { PolicyKind::Rcp } else { PolicyKind::Scp };
            Policy::parse(&p.document, kind)
                .unwrap_or_else(|e| panic!("{}: {}", p.name, e.message()));
            p.policy().unwrap_or_else(|e| panic!("{}: {}", p.name, e.message()));
        }
    }

    #[test]
    fn only_read_only_access_exceeds_the_customer_managed_size_quota() {
        // AWS managed policies are not bound by the 6,144-character quota; Policy::parse applies
        // it to every Identity document, so callers must use AwsManagedPolicy::policy().
        let over: Vec<&str> = all()
            .iter()
            .filter(|p| Policy::parse(&p.document, PolicyKind::Identity).is_err())
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(over, ["ReadOnlyAccess"]);
        let e = Policy::parse(
            &get("arn:aws:iam::aws:policy/ReadOnlyAccess").unwrap().document,
            PolicyKind::Identity,
        )
        .unwrap_err();
        assert_eq!(e.message(), "Cannot exceed quota for PolicySize: 6144");
    }

    #[test]
    fn administrator_access_is_allow_everything() {
        let admin = get("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        let document: Value = serde_json::from_str(&admin.document).unwrap();
        let expected: Value = serde_json::from_str(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .unwrap();
        assert_eq!(document, expected);
        assert_eq!(admin.path, "/");
        assert_eq!(admin.default_version_id, "v1");
        assert_eq!(admin.create_date, "2015-02-06T18:39:46Z");
    }

    #[test]
    fn required_policies_are_present_with_their_paths() {
        for (name, path) in [
            ("AdministratorAccess", "/"),
            ("PowerUserAccess", "/"),
            ("ReadOnlyAccess", "/"),
            ("IAMFullAccess", "/"),
            ("IAMReadOnlyAccess", "/"),
            ("AmazonS3FullAccess", "/"),
            ("AmazonS3ReadOnlyAccess", "/"),
            ("Ec2ImageBuilderCrossAccountDistributionAccess", "/"),
            ("EC2ImageBuilderLifecycleExecutionPolicy", "/service-role/"),
            ("AWSImageBuilderFullAccess", "/"),
            ("AmazonECSInfrastructureRolePolicyForVolumes", "/service-role/"),
            (
                "AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity",
                "/service-role/",
            ),
            ("AmazonECSInfrastructureRolePolicyForVpcLattice", "/"),
            ("AmazonECSInfrastructureRolePolicyForLoadBalancers", "/"),
            ("AWSProtonFullAccess", "/"),
            ("AWSProtonReadOnlyAccess", "/"),
            ("AWSProtonDeveloperAccess", "/"),
            ("AWSProtonCodeBuildProvisioningBasicAccess", "/"),
            ("AWSProtonServiceGitSyncServiceRolePolicy", "/aws-service-role/"),
            ("AWSProtonSyncServiceRolePolicy", "/aws-service-role/"),
            ("AWSKeyManagementServicePowerUser", "/"),
            ("AWSCloudTrail_FullAccess", "/"),
            ("AWSCloudTrail_ReadOnlyAccess", "/"),
            ("AWSOrganizationsFullAccess", "/"),
            ("AWSOrganizationsReadOnlyAccess", "/"),
        ] {
            let arn = format!("{IAM_ARN_PREFIX}{path}{name}");
            assert!(get(&arn).is_some(), "missing {arn}");
        }
    }

    fn allows(policy_name: &str, action: &str, resource: &str) -> bool {
        use xacct_policy::{evaluate, Context, PolicySet, Principal, Request};
        let policy = all().iter().find(|p| p.name == policy_name).unwrap().policy().unwrap();
        let context = Context::new();
        let request = Request {
            principal: Principal::user("arn:aws:iam::111111111111:user/Jane", "111111111111"),
            action,
            resource,
            resource_account: Some("111111111111"),
            context: &context,
        };
        evaluate(&request, &PolicySet { identity: &[&*policy], ..PolicySet::default() })
            .is_allowed()
    }

    #[test]
    fn the_engine_evaluates_the_real_statements() {
        assert!(allows(
            "AdministratorAccess",
            "iam:CreateUser",
            "arn:aws:iam::111111111111:user/x"
        ));
        // PowerUserAccess: everything but iam/organizations/account, plus a few named exceptions.
        assert!(allows("PowerUserAccess", "ec2:RunInstances", "*"));
        assert!(!allows("PowerUserAccess", "iam:CreateUser", "arn:aws:iam::111111111111:user/x"));
        assert!(allows("PowerUserAccess", "iam:CreateServiceLinkedRole", "*"));
        assert!(!allows("PowerUserAccess", "organizations:CreateAccount", "*"));
        // ReadOnlyAccess, the large one: reads yes, writes no.
        assert!(allows("ReadOnlyAccess", "s3:GetObject", "arn:aws:s3:::bucket/key"));
        assert!(allows("ReadOnlyAccess", "ec2:DescribeInstances", "*"));
        assert!(!allows("ReadOnlyAccess", "s3:PutObject", "arn:aws:s3:::bucket/key"));
        assert!(!allows("ReadOnlyAccess", "ec2:RunInstances", "*"));
        // Image Builder distribution role: tags only on AMIs.
        let cross = "Ec2ImageBuilderCrossAccountDistributionAccess";
        assert!(allows(
            cross,
            "ec2:CreateTags",
            "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0"
        ));
        assert!(!allows(
            cross,
            "ec2:CreateTags",
            "arn:aws:ec2:us-east-1:111111111111:volume/vol-1"
        ));
        assert!(allows(cross, "ec2:CopyImage", "*"));
    }

    #[test]
    fn lookups_are_exact() {
        assert!(get("arn:aws:iam::aws:policy/administratoraccess").is_none());
        assert!(get("arn:aws:iam::aws:policy/service-role/AdministratorAccess").is_none());
        assert!(get("arn:aws:iam::123456789012:policy/AdministratorAccess").is_none());
    }

    #[test]
    fn top_level_member_ignores_nested_and_quoted_lookalikes() {
        let text =
            r#"{"A":{"Document":1},"B":"\"Document\":2","Document":{"x":[1,{"y":"}"}]},"C":3}"#;
        assert_eq!(top_level_member(text, "Document"), Some(r#"{"x":[1,{"y":"}"}]}"#));
        assert_eq!(top_level_member(r#"{"Document":[1,2]}"#, "Document"), Some("[1,2]"));
        assert_eq!(top_level_member(r#"{"Other":1}"#, "Document"), None);
        assert_eq!(compact_json("{ \"a b\" :\n [ 1 , \"x\\\" y\" ] }"), r#"{"a b":[1,"x\" y"]}"#);
    }

    #[test]
    fn a_broken_file_is_reported_not_loaded() {
        assert!(parse_file("{").is_err());
        assert!(parse_file(r#"{"PolicyName":"X"}"#).is_err());
    }
}
