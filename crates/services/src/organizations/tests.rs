//! Unit tests of roots, OUs, policies and `policy_levels`, over a real SQLite store in a
//! temporary directory, called the way the server calls them (a `Call` as the management root).

use std::sync::Arc;

use serde_json::{json, Value};

use super::tree::{policy_levels, FULL_AWS_ACCESS_ID};
use super::{create_member_account, NewAccount};
use crate::{Caller, Clock, Config, ServiceError, Services};

const MGMT: &str = "000000000000";
const DEV: &str = "111111111111";
const PROD: &str = "999999999999";
const SCP: &str = "SERVICE_CONTROL_POLICY";
const RCP: &str = "RESOURCE_CONTROL_POLICY";

const DENY_S3_DELETE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoBucketDeletes","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;
const ALLOW_EC2: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;

struct World {
    services: Services,
    root: Caller,
    _dir: tempfile::TempDir,
}

impl World {
    /// A store with the management account and no organization yet.
    fn bare() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = xacct_store::open_sqlite(dir.path()).unwrap();
        let services = Services::new(store, Arc::new(Clock::new()), Config::default());
        services.bootstrap(None).unwrap();
        World { services, root: Caller::root(MGMT, "AKIAMGMTROOT00000000"), _dir: dir }
    }

    /// An organization with the Development account (111111111111) as its member, with SCPs
    /// disabled again (CreateOrganization enables them) so tests start from no policy type.
    fn new() -> World {
        let w = World::bare();
        w.ok("CreateOrganization", json!({"FeatureSet": "ALL"}));
        w.ok("DisablePolicyType", json!({"RootId": w.root_id(), "PolicyType": SCP}));
        w.add_account(DEV, "Development");
        w
    }

    fn add_account(&self, id: &str, name: &str) {
        let req = NewAccount {
            name,
            email: "dev@example.com",
            role_name: super::DEFAULT_ACCESS_ROLE,
            id: Some(id),
            with_root_key: false,
        };
        create_member_account(&self.services, &self.root, &req, false).unwrap();
    }

    fn call_as(
        &self,
        caller: &Caller,
        operation: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        let call =
            crate::test_support::call("organizations", operation, "us-east-1", caller, &input);
        self.services.call(&call)
    }

    fn ok(&self, operation: &str, input: Value) -> Value {
        match self.call_as(&self.root, operation, input) {
            Ok(v) => v,
            Err(e) => panic!("{operation} failed: {e}"),
        }
    }

    /// Asserts the call fails with `code`; returns the error.
    fn err(&self, operation: &str, input: Value, code: &str) -> ServiceError {
        match self.call_as(&self.root, operation, input) {
            Ok(v) => panic!("{operation} succeeded: {v}"),
            Err(e) => {
                assert_eq!(e.code, code, "{operation}: {}", e.message);
                assert_eq!(e.status, 400, "{operation}");
                e
            }
        }
    }

    fn reason(&self, operation: &str, input: Value, code: &str) -> String {
        let e = self.err(operation, input, code);
        e.fields.iter().find(|(k, _)| *k == "Reason").map(|(_, v)| v.clone()).unwrap_or_default()
    }

    fn root_id(&self) -> String {
        self.ok("ListRoots", json!({}))["Roots"][0]["Id"].as_str().unwrap().to_owned()
    }

    fn enable(&self, policy_type: &str) -> Value {
        self.ok("EnablePolicyType", json!({"RootId": self.root_id(), "PolicyType": policy_type}))
    }

    fn create_ou(&self, parent: &str, name: &str) -> String {
        let out = self.ok("CreateOrganizationalUnit", json!({"ParentId": parent, "Name": name}));
        out["OrganizationalUnit"]["Id"].as_str().unwrap().to_owned()
    }

    fn create_policy(&self, name: &str, policy_type: &str, content: &str) -> String {
        let out = self.ok(
            "CreatePolicy",
            json!({"Name": name, "Description": "test", "Type": policy_type, "Content": content}),
        );
        out["Policy"]["PolicySummary"]["Id"].as_str().unwrap().to_owned()
    }

    fn policies_for(&self, target: &str, policy_type: &str) -> Vec<String> {
        let out =
            self.ok("ListPoliciesForTarget", json!({"TargetId": target, "Filter": policy_type}));
        ids(&out["Policies"], "Id")
    }

    fn levels(
        &self,
        account: &str,
        policy_type: &str,
    ) -> Option<Vec<Vec<(String, String, String)>>> {
        let tx = self.services.store().read().unwrap();
        policy_levels(&*tx, account, policy_type).unwrap()
    }
}

fn ids(list: &Value, member: &str) -> Vec<String> {
    list.as_array().unwrap().iter().map(|v| v[member].as_str().unwrap().to_owned()).collect()
}

/// The policy ids (last ARN segment) of each level.
fn level_ids(levels: &[Vec<(String, String, String)>]) -> Vec<Vec<String>> {
    levels
        .iter()
        .map(|l| l.iter().map(|(arn, _, _)| arn.rsplit('/').next().unwrap().to_owned()).collect())
        .collect()
}

#[test]
fn create_organization_enables_scps_with_full_aws_access() {
    // CreateOrganization's API reference: with all features, SCPs are enabled in the root.
    let w = World::bare();
    w.ok("CreateOrganization", json!({"FeatureSet": "ALL"}));
    w.add_account(DEV, "Development");
    let root = w.root_id();
    let roots = w.ok("ListRoots", json!({}));
    assert_eq!(roots["Roots"][0]["PolicyTypes"], json!([{"Type": SCP, "Status": "ENABLED"}]));
    assert_eq!(w.policies_for(&root, SCP), [FULL_AWS_ACCESS_ID]);
    assert_eq!(w.policies_for(DEV, SCP), [FULL_AWS_ACCESS_ID]);
    let ou = w.create_ou(&root, "Workloads");
    assert_eq!(w.policies_for(&ou, SCP), [FULL_AWS_ACCESS_ID]);
    w.err(
        "EnablePolicyType",
        json!({"RootId": root, "PolicyType": SCP}),
        "PolicyTypeAlreadyEnabledException",
    );
    // Consolidated billing only: no policy type.
    let w = World::bare();
    w.ok("CreateOrganization", json!({"FeatureSet": "CONSOLIDATED_BILLING"}));
    assert_eq!(w.ok("ListRoots", json!({}))["Roots"][0]["PolicyTypes"], json!([]));
}

#[test]
fn list_roots_shows_the_root_without_policy_types() {
    let w = World::new();
    let out = w.ok("ListRoots", json!({}));
    let roots = out["Roots"].as_array().unwrap();
    assert_eq!(roots.len(), 1);
    let root = &roots[0];
    let id = root["Id"].as_str().unwrap();
    assert!(super::tree::is_root_id(id), "{id}");
    let org =
        w.ok("DescribeOrganization", json!({}))["Organization"]["Id"].as_str().unwrap().to_owned();
    assert_eq!(root["Arn"], format!("arn:aws:organizations::{MGMT}:root/{org}/{id}"));
    assert_eq!(root["Name"], "Root");
    assert_eq!(root["PolicyTypes"], json!([]));
    assert!(out.get("NextToken").is_none());
}

#[test]
fn operations_need_an_organization_and_the_management_account() {
    let w = World::bare();
    w.err("ListRoots", json!({}), "AWSOrganizationsNotInUseException");
    let w = World::new();
    let member = Caller::root(DEV, "AKIADEVROOT000000000");
    for (op, input) in [
        ("ListRoots", json!({})),
        (
            "CreatePolicy",
            json!({"Name": "x", "Description": "", "Type": SCP, "Content": ALLOW_EC2}),
        ),
        ("ListPolicies", json!({"Filter": SCP})),
        ("CreateOrganizationalUnit", json!({"ParentId": w.root_id(), "Name": "x"})),
    ] {
        let e = w.call_as(&member, op, input).unwrap_err();
        assert_eq!(e.code, "AccessDeniedException", "{op}");
    }
}

#[test]
fn organizational_units_nest_rename_and_delete() {
    let w = World::new();
    let root = w.root_id();
    let ou = w.create_ou(&root, "Workloads");
    let suffix = root.trim_start_matches("r-");
    assert!(ou.starts_with(&format!("ou-{suffix}-")) && ou.len() == 3 + 4 + 1 + 8, "{ou}");
    assert!(super::tree::is_ou_id(&ou));

    let described = w.ok("DescribeOrganizationalUnit", json!({"OrganizationalUnitId": ou}));
    let org =
        w.ok("DescribeOrganization", json!({}))["Organization"]["Id"].as_str().unwrap().to_owned();
    assert_eq!(described["OrganizationalUnit"]["Name"], "Workloads");
    assert_eq!(
        described["OrganizationalUnit"]["Arn"],
        format!("arn:aws:organizations::{MGMT}:ou/{org}/{ou}")
    );
    assert_eq!(described["OrganizationalUnit"]["Path"], format!("{org}/{root}/{ou}/"));

    let child = w.create_ou(&ou, "Prod");
    let path = w.ok("DescribeOrganizationalUnit", json!({"OrganizationalUnitId": child}))
        ["OrganizationalUnit"]["Path"]
        .clone();
    assert_eq!(path, format!("{org}/{root}/{ou}/{child}/"));

    // The same name is refused under the same parent, allowed under another.
    w.err(
        "CreateOrganizationalUnit",
        json!({"ParentId": root, "Name": "Workloads"}),
        "DuplicateOrganizationalUnitException",
    );
    w.create_ou(&ou, "Workloads");

    let renamed = w.ok(
        "UpdateOrganizationalUnit",
        json!({"OrganizationalUnitId": child, "Name": "Production"}),
    );
    assert_eq!(renamed["OrganizationalUnit"]["Name"], "Production");
    w.err(
        "UpdateOrganizationalUnit",
        json!({"OrganizationalUnitId": child, "Name": "Workloads"}),
        "DuplicateOrganizationalUnitException",
    );

    let listed = w.ok("ListOrganizationalUnitsForParent", json!({"ParentId": ou}));
    let mut names: Vec<String> = ids(&listed["OrganizationalUnits"], "Name");
    names.sort();
    assert_eq!(names, ["Production", "Workloads"]);

    let children =
        w.ok("ListChildren", json!({"ParentId": root, "ChildType": "ORGANIZATIONAL_UNIT"}));
    assert_eq!(children["Children"], json!([{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]));
    let parents = w.ok("ListParents", json!({"ChildId": child}));
    assert_eq!(parents["Parents"], json!([{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]));
    let parents = w.ok("ListParents", json!({"ChildId": ou}));
    assert_eq!(parents["Parents"], json!([{"Id": root, "Type": "ROOT"}]));

    w.err(
        "DeleteOrganizationalUnit",
        json!({"OrganizationalUnitId": ou}),
        "OrganizationalUnitNotEmptyException",
    );
    w.ok("DeleteOrganizationalUnit", json!({"OrganizationalUnitId": child}));
    w.err(
        "DescribeOrganizationalUnit",
        json!({"OrganizationalUnitId": child}),
        "OrganizationalUnitNotFoundException",
    );
    w.err(
        "DeleteOrganizationalUnit",
        json!({"OrganizationalUnitId": child}),
        "OrganizationalUnitNotFoundException",
    );
    w.err(
        "UpdateOrganizationalUnit",
        json!({"OrganizationalUnitId": child, "Name": "x"}),
        "OrganizationalUnitNotFoundException",
    );
}

#[test]
fn organizational_unit_input_errors() {
    let w = World::new();
    let root = w.root_id();
    let missing = format!("ou-{}-abcdefgh", root.trim_start_matches("r-"));
    w.err(
        "CreateOrganizationalUnit",
        json!({"ParentId": missing, "Name": "A"}),
        "ParentNotFoundException",
    );
    w.err(
        "CreateOrganizationalUnit",
        json!({"ParentId": "r-zzzz", "Name": "A"}),
        "ParentNotFoundException",
    );
    assert_eq!(
        w.reason(
            "CreateOrganizationalUnit",
            json!({"ParentId": "bogus", "Name": "A"}),
            "InvalidInputException"
        ),
        "INVALID_PATTERN"
    );
    assert_eq!(
        w.reason(
            "CreateOrganizationalUnit",
            json!({"ParentId": root, "Name": ""}),
            "InvalidInputException"
        ),
        "MIN_LENGTH_EXCEEDED"
    );
    assert_eq!(
        w.reason(
            "CreateOrganizationalUnit",
            json!({"ParentId": root, "Name": "n".repeat(129)}),
            "InvalidInputException"
        ),
        "MAX_LENGTH_EXCEEDED"
    );
    assert_eq!(
        w.reason("CreateOrganizationalUnit", json!({"ParentId": root}), "InvalidInputException"),
        "INPUT_REQUIRED"
    );
    assert_eq!(
        w.reason(
            "DescribeOrganizationalUnit",
            json!({"OrganizationalUnitId": "ou-1"}),
            "InvalidInputException"
        ),
        "INVALID_PATTERN"
    );
    w.err(
        "ListOrganizationalUnitsForParent",
        json!({"ParentId": missing}),
        "ParentNotFoundException",
    );
    w.err(
        "ListChildren",
        json!({"ParentId": missing, "ChildType": "ACCOUNT"}),
        "ParentNotFoundException",
    );
    assert_eq!(
        w.reason(
            "ListChildren",
            json!({"ParentId": root, "ChildType": "ROOT"}),
            "InvalidInputException"
        ),
        "INVALID_ENUM"
    );
    w.err("ListParents", json!({"ChildId": "222222222222"}), "ChildNotFoundException");
    w.err("ListParents", json!({"ChildId": missing}), "ChildNotFoundException");
    w.err("ListAccountsForParent", json!({"ParentId": missing}), "ParentNotFoundException");
}

#[test]
fn organizational_units_nest_at_most_five_levels() {
    let w = World::new();
    let mut parent = w.root_id();
    for depth in 1..=5 {
        parent = w.create_ou(&parent, &format!("Level{depth}"));
    }
    let reason = w.reason(
        "CreateOrganizationalUnit",
        json!({"ParentId": parent, "Name": "Level6"}),
        "ConstraintViolationException",
    );
    assert_eq!(reason, "OU_DEPTH_LIMIT_EXCEEDED");
}

#[test]
fn accounts_start_under_the_root_and_move_between_parents() {
    let w = World::new();
    let root = w.root_id();
    let ou = w.create_ou(&root, "Development");
    let children = w.ok("ListChildren", json!({"ParentId": root, "ChildType": "ACCOUNT"}));
    assert_eq!(ids(&children["Children"], "Id"), [MGMT, DEV]);
    assert_eq!(
        w.ok("ListParents", json!({"ChildId": DEV}))["Parents"],
        json!([{"Id": root, "Type": "ROOT"}])
    );

    let mv = |src: &str, dst: &str| json!({"AccountId": DEV, "SourceParentId": src, "DestinationParentId": dst});
    let missing = format!("ou-{}-zzzzzzzz", root.trim_start_matches("r-"));
    w.err(
        "MoveAccount",
        json!({"AccountId": "222222222222", "SourceParentId": root, "DestinationParentId": ou}),
        "AccountNotFoundException",
    );
    w.err("MoveAccount", mv(&missing, &ou), "SourceParentNotFoundException");
    w.err("MoveAccount", mv(&root, &missing), "DestinationParentNotFoundException");
    w.err("MoveAccount", mv(&ou, &root), "AccountNotFoundException");
    w.err("MoveAccount", mv(&root, &root), "DuplicateAccountException");
    assert_eq!(
        w.reason(
            "MoveAccount",
            json!({"AccountId": "12", "SourceParentId": root, "DestinationParentId": ou}),
            "InvalidInputException"
        ),
        "INVALID_PATTERN"
    );

    w.ok("MoveAccount", mv(&root, &ou));
    assert_eq!(
        w.ok("ListParents", json!({"ChildId": DEV}))["Parents"],
        json!([{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}])
    );
    let in_ou = w.ok("ListAccountsForParent", json!({"ParentId": ou}));
    assert_eq!(ids(&in_ou["Accounts"], "Id"), [DEV]);
    assert_eq!(in_ou["Accounts"][0]["Name"], "Development");
    let in_root = w.ok("ListAccountsForParent", json!({"ParentId": root}));
    assert_eq!(ids(&in_root["Accounts"], "Id"), [MGMT]);
    w.err("MoveAccount", mv(&ou, &ou), "DuplicateAccountException");
    w.err(
        "DeleteOrganizationalUnit",
        json!({"OrganizationalUnitId": ou}),
        "OrganizationalUnitNotEmptyException",
    );
    w.ok("MoveAccount", mv(&ou, &root));
    w.ok("DeleteOrganizationalUnit", json!({"OrganizationalUnitId": ou}));
}

#[test]
fn lists_page_with_next_token() {
    let w = World::new();
    let root = w.root_id();
    for name in ["A", "B", "C"] {
        w.create_ou(&root, name);
    }
    let first =
        w.ok("ListOrganizationalUnitsForParent", json!({"ParentId": root, "MaxResults": 2}));
    assert_eq!(first["OrganizationalUnits"].as_array().unwrap().len(), 2);
    let token = first["NextToken"].as_str().unwrap();
    let second = w.ok(
        "ListOrganizationalUnitsForParent",
        json!({"ParentId": root, "MaxResults": 2, "NextToken": token}),
    );
    assert_eq!(second["OrganizationalUnits"].as_array().unwrap().len(), 1);
    assert!(second.get("NextToken").is_none());
    let mut all = ids(&first["OrganizationalUnits"], "Name");
    all.extend(ids(&second["OrganizationalUnits"], "Name"));
    all.sort();
    assert_eq!(all, ["A", "B", "C"]);
    assert_eq!(
        w.reason(
            "ListOrganizationalUnitsForParent",
            json!({"ParentId": root, "MaxResults": 21}),
            "InvalidInputException"
        ),
        "MAX_VALUE_EXCEEDED"
    );
    assert_eq!(
        w.reason(
            "ListOrganizationalUnitsForParent",
            json!({"ParentId": root, "MaxResults": 0}),
            "InvalidInputException"
        ),
        "MIN_VALUE_EXCEEDED"
    );
    assert_eq!(
        w.reason(
            "ListOrganizationalUnitsForParent",
            json!({"ParentId": root, "NextToken": "zz"}),
            "InvalidInputException"
        ),
        "INVALID_NEXT_TOKEN"
    );
}

#[test]
fn enabling_scps_attaches_full_aws_access_everywhere() {
    let w = World::new();
    let root = w.root_id();
    let ou = w.create_ou(&root, "Workloads");
    assert!(w.policies_for(&root, SCP).is_empty());
    let enabled = w.enable(SCP);
    assert_eq!(enabled["Root"]["PolicyTypes"], json!([{"Type": SCP, "Status": "ENABLED"}]));
    assert_eq!(
        w.ok("ListRoots", json!({}))["Roots"][0]["PolicyTypes"],
        json!([{"Type": SCP, "Status": "ENABLED"}])
    );
    for target in [root.as_str(), ou.as_str(), MGMT, DEV] {
        assert_eq!(w.policies_for(target, SCP), [FULL_AWS_ACCESS_ID], "{target}");
    }
    // OUs and accounts made later get it too.
    let later_ou = w.create_ou(&root, "Later");
    w.add_account(PROD, "Production");
    assert_eq!(w.policies_for(&later_ou, SCP), [FULL_AWS_ACCESS_ID]);
    assert_eq!(w.policies_for(PROD, SCP), [FULL_AWS_ACCESS_ID]);
    let targets = w.ok("ListTargetsForPolicy", json!({"PolicyId": FULL_AWS_ACCESS_ID}));
    let mut got = ids(&targets["Targets"], "TargetId");
    got.sort();
    let mut want = vec![
        root.clone(),
        ou.clone(),
        later_ou.clone(),
        MGMT.to_owned(),
        DEV.to_owned(),
        PROD.to_owned(),
    ];
    want.sort();
    assert_eq!(got, want);
    let root_target = targets["Targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["TargetId"] == root.as_str())
        .unwrap();
    assert_eq!(root_target["Type"], "ROOT");
    assert_eq!(root_target["Name"], "Root");

    let managed = w.ok("DescribePolicy", json!({"PolicyId": FULL_AWS_ACCESS_ID}));
    let summary = &managed["Policy"]["PolicySummary"];
    assert_eq!(
        summary["Arn"],
        "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    );
    assert_eq!(summary["AwsManaged"], true);
    assert_eq!(summary["Type"], SCP);
    assert_eq!(summary["Name"], "FullAWSAccess");

    w.err(
        "EnablePolicyType",
        json!({"RootId": root, "PolicyType": SCP}),
        "PolicyTypeAlreadyEnabledException",
    );
    w.err(
        "EnablePolicyType",
        json!({"RootId": "r-zzzz", "PolicyType": SCP}),
        "RootNotFoundException",
    );
    assert_eq!(
        w.reason(
            "EnablePolicyType",
            json!({"RootId": root, "PolicyType": "NOPE"}),
            "InvalidInputException"
        ),
        "INVALID_ENUM"
    );
    assert_eq!(
        w.reason(
            "EnablePolicyType",
            json!({"RootId": "root", "PolicyType": SCP}),
            "InvalidInputException"
        ),
        "INVALID_PATTERN"
    );
}

#[test]
fn disabling_scps_detaches_every_scp() {
    let w = World::new();
    let root = w.root_id();
    w.enable(SCP);
    let deny = w.create_policy("DenyBucketDeletes", SCP, DENY_S3_DELETE);
    w.ok("AttachPolicy", json!({"PolicyId": deny, "TargetId": DEV}));
    let out = w.ok("DisablePolicyType", json!({"RootId": root, "PolicyType": SCP}));
    assert_eq!(out["Root"]["PolicyTypes"], json!([]));
    assert!(w.policies_for(&root, SCP).is_empty());
    assert!(w.policies_for(DEV, SCP).is_empty());
    assert!(w.levels(DEV, SCP).is_none());
    w.ok("DeletePolicy", json!({"PolicyId": deny}));
    w.err(
        "DisablePolicyType",
        json!({"RootId": root, "PolicyType": SCP}),
        "PolicyTypeNotEnabledException",
    );
    // Enabling again starts from FullAWSAccess alone.
    w.enable(SCP);
    assert_eq!(w.policies_for(DEV, SCP), [FULL_AWS_ACCESS_ID]);
}

#[test]
fn scp_lifecycle_create_describe_update_list_delete() {
    let w = World::new();
    let id = w.create_policy("DenyBucketDeletes", SCP, DENY_S3_DELETE);
    assert!(super::tree::is_policy_id(&id) && id.len() == 10, "{id}");
    let org =
        w.ok("DescribeOrganization", json!({}))["Organization"]["Id"].as_str().unwrap().to_owned();
    let described = w.ok("DescribePolicy", json!({"PolicyId": id}));
    assert_eq!(described["Policy"]["Content"], DENY_S3_DELETE);
    let summary = &described["Policy"]["PolicySummary"];
    assert_eq!(
        summary["Arn"],
        format!("arn:aws:organizations::{MGMT}:policy/{org}/service_control_policy/{id}")
    );
    assert_eq!(summary["AwsManaged"], false);
    assert_eq!(summary["Description"], "test");

    w.err(
        "CreatePolicy",
        json!({"Name": "DenyBucketDeletes", "Description": "", "Type": SCP, "Content": ALLOW_EC2}),
        "DuplicatePolicyException",
    );
    w.err(
        "CreatePolicy",
        json!({"Name": "FullAWSAccess", "Description": "", "Type": SCP, "Content": ALLOW_EC2}),
        "DuplicatePolicyException",
    );

    let listed = w.ok("ListPolicies", json!({"Filter": SCP}));
    let want = vec![FULL_AWS_ACCESS_ID.to_owned(), id.clone()];
    assert_eq!(ids(&listed["Policies"], "Id"), want, "AWS managed first, then by creation");
    let rcps = w.ok("ListPolicies", json!({"Filter": RCP}));
    assert_eq!(ids(&rcps["Policies"], "Id"), ["p-RCPFullAWSAccess"]);
    assert_eq!(
        w.reason("ListPolicies", json!({"Filter": "BAD"}), "InvalidInputException"),
        "INVALID_ENUM"
    );

    let updated = w.ok("UpdatePolicy", json!({"PolicyId": id, "Name": "AllowEc2", "Description": "ec2 only", "Content": ALLOW_EC2}));
    assert_eq!(updated["Policy"]["PolicySummary"]["Name"], "AllowEc2");
    assert_eq!(updated["Policy"]["PolicySummary"]["Description"], "ec2 only");
    assert_eq!(updated["Policy"]["Content"], ALLOW_EC2);
    w.err(
        "UpdatePolicy",
        json!({"PolicyId": id, "Content": "{"}),
        "MalformedPolicyDocumentException",
    );
    assert_eq!(
        w.reason(
            "UpdatePolicy",
            json!({"PolicyId": FULL_AWS_ACCESS_ID, "Name": "Mine"}),
            "InvalidInputException"
        ),
        "IMMUTABLE_POLICY"
    );
    assert_eq!(
        w.reason("DeletePolicy", json!({"PolicyId": FULL_AWS_ACCESS_ID}), "InvalidInputException"),
        "IMMUTABLE_POLICY"
    );

    w.ok("DeletePolicy", json!({"PolicyId": id}));
    w.err("DescribePolicy", json!({"PolicyId": id}), "PolicyNotFoundException");
    w.err("DeletePolicy", json!({"PolicyId": id}), "PolicyNotFoundException");
    w.err("UpdatePolicy", json!({"PolicyId": id, "Name": "x"}), "PolicyNotFoundException");
    assert_eq!(
        w.reason("DescribePolicy", json!({"PolicyId": "p-1"}), "InvalidInputException"),
        "INVALID_SYNTAX_POLICY_ID"
    );
}

#[test]
fn create_policy_validates_the_document_with_the_engine() {
    let w = World::new();
    let create =
        |content: &str| json!({"Name": "P", "Description": "", "Type": SCP, "Content": content});
    let e = w.err("CreatePolicy", create("not json"), "MalformedPolicyDocumentException");
    let engine =
        xacct_policy::Policy::parse("not json", xacct_policy::PolicyKind::Scp).unwrap_err();
    assert_eq!(e.message, engine.message());
    // SCPs have no Principal element.
    let with_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#;
    w.err("CreatePolicy", create(with_principal), "MalformedPolicyDocumentException");
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Deny","Action":"s3:*","Resource":"*"}}]}}"#,
        "A".repeat(5200)
    );
    let e = w.err("CreatePolicy", create(&big), "ConstraintViolationException");
    assert_eq!(e.fields, [("Reason", "POLICY_CONTENT_LIMIT_EXCEEDED".to_owned())]);
    assert_eq!(
        w.reason(
            "CreatePolicy",
            json!({"Name": "P", "Description": "", "Type": "NOPE", "Content": ALLOW_EC2}),
            "InvalidInputException"
        ),
        "INVALID_ENUM"
    );
    assert_eq!(
        w.reason(
            "CreatePolicy",
            json!({"Name": "", "Description": "", "Type": SCP, "Content": ALLOW_EC2}),
            "InvalidInputException"
        ),
        "MIN_LENGTH_EXCEEDED"
    );
    assert_eq!(
        w.reason(
            "CreatePolicy",
            json!({"Name": "P", "Type": SCP, "Content": ALLOW_EC2}),
            "InvalidInputException"
        ),
        "INPUT_REQUIRED"
    );
    // An RCP needs Principal "*".
    let rcp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    w.create_policy("EnforceTls", RCP, rcp);
    w.err(
        "CreatePolicy",
        json!({"Name": "R", "Description": "", "Type": RCP, "Content": DENY_S3_DELETE}),
        "MalformedPolicyDocumentException",
    );
    // Other policy types are JSON objects.
    w.create_policy(
        "Tags",
        "TAG_POLICY",
        r#"{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"}}}}"#,
    );
    w.err(
        "CreatePolicy",
        json!({"Name": "T2", "Description": "", "Type": "TAG_POLICY", "Content": "[1]"}),
        "MalformedPolicyDocumentException",
    );
}

#[test]
fn attach_and_detach_scps() {
    let w = World::new();
    let root = w.root_id();
    let ou = w.create_ou(&root, "Workloads");
    let deny = w.create_policy("DenyBucketDeletes", SCP, DENY_S3_DELETE);
    w.err(
        "AttachPolicy",
        json!({"PolicyId": deny, "TargetId": ou}),
        "PolicyTypeNotEnabledException",
    );
    w.enable(SCP);
    w.ok("AttachPolicy", json!({"PolicyId": deny, "TargetId": ou}));
    w.err(
        "AttachPolicy",
        json!({"PolicyId": deny, "TargetId": ou}),
        "DuplicatePolicyAttachmentException",
    );
    let mut attached = w.policies_for(&ou, SCP);
    attached.sort();
    let mut want = vec![FULL_AWS_ACCESS_ID.to_owned(), deny.clone()];
    want.sort();
    assert_eq!(attached, want);
    let targets = w.ok("ListTargetsForPolicy", json!({"PolicyId": deny}));
    assert_eq!(
        targets["Targets"],
        json!([{"TargetId": ou, "Arn": super::tree::ou_arn(&org_of(&w), &ou), "Name": "Workloads", "Type": "ORGANIZATIONAL_UNIT"}])
    );
    w.err("DeletePolicy", json!({"PolicyId": deny}), "PolicyInUseException");

    let missing_ou = format!("ou-{}-zzzzzzzz", root.trim_start_matches("r-"));
    w.err(
        "AttachPolicy",
        json!({"PolicyId": deny, "TargetId": missing_ou}),
        "TargetNotFoundException",
    );
    w.err(
        "AttachPolicy",
        json!({"PolicyId": deny, "TargetId": "222222222222"}),
        "TargetNotFoundException",
    );
    w.err(
        "AttachPolicy",
        json!({"PolicyId": "p-zzzzzzzz", "TargetId": ou}),
        "PolicyNotFoundException",
    );
    assert_eq!(
        w.reason(
            "AttachPolicy",
            json!({"PolicyId": deny, "TargetId": "x"}),
            "InvalidInputException"
        ),
        "INVALID_PATTERN_TARGET_ID"
    );
    w.err(
        "ListPoliciesForTarget",
        json!({"TargetId": missing_ou, "Filter": SCP}),
        "TargetNotFoundException",
    );

    // Detaching the last SCP of a target is refused; with another one left it works.
    let e = w.err(
        "DetachPolicy",
        json!({"PolicyId": FULL_AWS_ACCESS_ID, "TargetId": DEV}),
        "ConstraintViolationException",
    );
    assert_eq!(e.fields, [("Reason", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED".to_owned())]);
    w.ok("DetachPolicy", json!({"PolicyId": FULL_AWS_ACCESS_ID, "TargetId": ou}));
    assert_eq!(w.policies_for(&ou, SCP), vec![deny.clone()]);
    w.err(
        "DetachPolicy",
        json!({"PolicyId": FULL_AWS_ACCESS_ID, "TargetId": ou}),
        "PolicyNotAttachedException",
    );
    w.ok("AttachPolicy", json!({"PolicyId": FULL_AWS_ACCESS_ID, "TargetId": ou}));
    w.ok("DetachPolicy", json!({"PolicyId": deny, "TargetId": ou}));
    w.err("DetachPolicy", json!({"PolicyId": deny, "TargetId": ou}), "PolicyNotAttachedException");
    w.ok("DeletePolicy", json!({"PolicyId": deny}));

    // Accounts take policies directly too, at most five of one type.
    for i in 0..4 {
        let p = w.create_policy(&format!("Extra{i}"), SCP, ALLOW_EC2);
        w.ok("AttachPolicy", json!({"PolicyId": p, "TargetId": DEV}));
    }
    assert_eq!(w.policies_for(DEV, SCP).len(), 5);
    let sixth = w.create_policy("Sixth", SCP, ALLOW_EC2);
    let e = w.err(
        "AttachPolicy",
        json!({"PolicyId": sixth, "TargetId": DEV}),
        "ConstraintViolationException",
    );
    assert_eq!(e.fields, [("Reason", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED".to_owned())]);
    w.ok("DetachPolicy", json!({"PolicyId": FULL_AWS_ACCESS_ID, "TargetId": DEV}));
    assert_eq!(w.policies_for(DEV, SCP).len(), 4);
}

fn org_of(w: &World) -> super::model::OrganizationRecord {
    let tx = w.services.store().read().unwrap();
    super::model::ORGANIZATION.get(&*tx, super::model::ORGANIZATION_KEY).unwrap().unwrap()
}

#[test]
fn rcp_full_aws_access_cannot_be_detached() {
    let w = World::new();
    let root = w.root_id();
    let enabled = w.enable(RCP);
    assert_eq!(enabled["Root"]["PolicyTypes"], json!([{"Type": RCP, "Status": "ENABLED"}]));
    assert_eq!(w.policies_for(&root, RCP), ["p-RCPFullAWSAccess"]);
    assert_eq!(w.policies_for(DEV, RCP), ["p-RCPFullAWSAccess"]);
    assert!(w.policies_for(DEV, SCP).is_empty());
    let reason = w.reason(
        "DetachPolicy",
        json!({"PolicyId": "p-RCPFullAWSAccess", "TargetId": DEV}),
        "InvalidInputException",
    );
    assert_eq!(reason, "NON_DETACHABLE_POLICY");
    let levels = w.levels(DEV, RCP).unwrap();
    assert_eq!(level_ids(&levels), [vec!["p-RCPFullAWSAccess"], vec!["p-RCPFullAWSAccess"]]);
    assert!(w.levels(DEV, SCP).is_none());
}

#[test]
fn policy_levels_none_without_org_for_management_or_when_disabled() {
    let w = World::bare();
    assert!(w.levels(MGMT, SCP).is_none());
    let w = World::new();
    assert!(w.levels(DEV, SCP).is_none(), "SCPs are not enabled yet");
    w.enable(SCP);
    assert!(w.levels(MGMT, SCP).is_none(), "SCPs never apply to the management account");
    assert!(w.levels("222222222222", SCP).is_none(), "not a member");
    let levels = w.levels(DEV, SCP).unwrap();
    assert_eq!(level_ids(&levels), [vec![FULL_AWS_ACCESS_ID], vec![FULL_AWS_ACCESS_ID]]);
    let (label, doc, key) = &levels[0][0];
    assert_eq!(label, "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess");
    let parsed: Value = serde_json::from_str(doc).unwrap();
    assert_eq!(parsed["Statement"][0]["Effect"], "Allow");
    assert!(key.starts_with("scp:p-FullAWSAccess#"), "{key}");
}

#[test]
fn policy_levels_follow_the_path_with_a_deny_scp_at_an_ou() {
    let w = World::new();
    let root = w.root_id();
    w.enable(SCP);
    let parent = w.create_ou(&root, "Workloads");
    let ou = w.create_ou(&parent, "Development");
    w.ok(
        "MoveAccount",
        json!({"AccountId": DEV, "SourceParentId": root, "DestinationParentId": ou}),
    );
    let deny = w.create_policy("DenyBucketDeletes", SCP, DENY_S3_DELETE);
    w.ok("AttachPolicy", json!({"PolicyId": deny, "TargetId": ou}));

    let levels = w.levels(DEV, SCP).unwrap();
    let mut ou_level = vec![FULL_AWS_ACCESS_ID.to_owned(), deny.clone()];
    ou_level.sort();
    assert_eq!(
        level_ids(&levels),
        [
            vec![FULL_AWS_ACCESS_ID.to_owned()],
            vec![FULL_AWS_ACCESS_ID.to_owned()],
            ou_level,
            vec![FULL_AWS_ACCESS_ID.to_owned()]
        ]
    );
    let (_, doc, key) = levels[2].iter().find(|(arn, _, _)| arn.ends_with(&deny)).unwrap();
    assert_eq!(doc, DENY_S3_DELETE);

    // What the engine makes of these levels: the OU's deny wins, other actions pass.
    let compiled: Vec<Vec<xacct_policy::Policy>> = levels
        .iter()
        .map(|l| {
            l.iter()
                .map(|(_, d, _)| {
                    xacct_policy::Policy::parse(d, xacct_policy::PolicyKind::Scp).unwrap()
                })
                .collect()
        })
        .collect();
    let refs: Vec<Vec<&xacct_policy::Policy>> =
        compiled.iter().map(|l| l.iter().collect()).collect();
    let slices: Vec<&[&xacct_policy::Policy]> = refs.iter().map(Vec::as_slice).collect();
    let admin = xacct_policy::Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        xacct_policy::PolicyKind::Identity,
    )
    .unwrap();
    let identity = [&admin];
    let set = xacct_policy::PolicySet {
        identity: &identity,
        scps: &slices,
        ..xacct_policy::PolicySet::default()
    };
    let ctx = xacct_policy::Context::new();
    let decide = |action: &str| {
        let req = xacct_policy::Request {
            principal: xacct_policy::Principal::user("arn:aws:iam::111111111111:user/David", DEV),
            action,
            resource: "arn:aws:s3:::productionapp",
            resource_account: Some(DEV),
            context: &ctx,
        };
        xacct_policy::evaluate(&req, &set).is_allowed()
    };
    assert!(!decide("s3:DeleteBucket"));
    assert!(decide("s3:ListBucket"));

    // New content, new cache key.
    w.ok("UpdatePolicy", json!({"PolicyId": deny, "Content": ALLOW_EC2}));
    let after = w.levels(DEV, SCP).unwrap();
    let (_, doc2, key2) = after[2].iter().find(|(arn, _, _)| arn.ends_with(&deny)).unwrap();
    assert_eq!(doc2, ALLOW_EC2);
    assert_ne!(key, key2);

    // An account policy is its own, last level.
    let ec2 = w.create_policy("Ec2", SCP, ALLOW_EC2);
    w.ok("AttachPolicy", json!({"PolicyId": ec2, "TargetId": DEV}));
    let mut last = vec![FULL_AWS_ACCESS_ID.to_owned(), ec2];
    last.sort();
    assert_eq!(level_ids(&w.levels(DEV, SCP).unwrap())[3], last);
}

#[test]
fn reset_forgets_the_tree_and_policies() {
    let w = World::new();
    let root = w.root_id();
    w.enable(SCP);
    w.create_ou(&root, "Workloads");
    w.create_policy("P", SCP, ALLOW_EC2);
    w.services.reset(None).unwrap();
    w.ok("CreateOrganization", json!({}));
    let root = w.root_id();
    assert!(w.ok("ListOrganizationalUnitsForParent", json!({"ParentId": root}))
        ["OrganizationalUnits"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        w.ok("ListPolicies", json!({"Filter": SCP}))["Policies"].as_array().unwrap().len(),
        1
    );
    // The new organization starts with FullAWSAccess alone: the old attachments are gone.
    assert_eq!(w.policies_for(&root, SCP), [FULL_AWS_ACCESS_ID]);
}

#[test]
fn operation_resources_name_the_arns_the_reference_lists() {
    use super::resources::{operation_resources, OperationResources};
    let w = World::new();
    let root = w.root_id();
    let ou = w.create_ou(&root, "Workloads");
    let deny = w.create_policy("DenyBucketDeletes", SCP, DENY_S3_DELETE);
    let org = org_of(&w);
    let root_arn = super::tree::root_arn(&org);
    let ou_arn = super::tree::ou_arn(&org, &ou);
    let policy_arn = super::tree::policy_arn(&org, SCP, &deny);
    let tx = w.services.store().read().unwrap();
    let resolve = |op: &str, input: Value| operation_resources(&*tx, op, &input).unwrap();

    assert_eq!(
        resolve("AttachPolicy", json!({"PolicyId": deny, "TargetId": ou})),
        Some(OperationResources {
            resources: vec![policy_arn.clone(), ou_arn.clone()],
            policy_type: Some(SCP.to_owned())
        })
    );
    let full =
        resolve("DetachPolicy", json!({"PolicyId": FULL_AWS_ACCESS_ID, "TargetId": DEV})).unwrap();
    assert_eq!(
        full.resources,
        [
            "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess".to_owned(),
            org.account_arn(DEV)
        ]
    );
    assert_eq!(
        resolve("DescribePolicy", json!({"PolicyId": deny})).unwrap().resources,
        [policy_arn]
    );
    assert_eq!(
        resolve("EnablePolicyType", json!({"RootId": root, "PolicyType": RCP})),
        Some(OperationResources {
            resources: vec![root_arn.clone()],
            policy_type: Some(RCP.to_owned())
        })
    );
    assert_eq!(
        resolve(
            "MoveAccount",
            json!({"AccountId": DEV, "SourceParentId": root, "DestinationParentId": ou})
        )
        .unwrap()
        .resources,
        [org.account_arn(DEV), root_arn.clone(), ou_arn.clone()]
    );
    assert_eq!(
        resolve("CreateOrganizationalUnit", json!({"ParentId": ou, "Name": "x"}))
            .unwrap()
            .resources,
        [ou_arn]
    );
    let listed = resolve("ListPolicies", json!({"Filter": SCP})).unwrap();
    assert!(listed.resources.is_empty());
    assert_eq!(listed.policy_type.as_deref(), Some(SCP));
    // Ids naming nothing resolve to nothing; other operations are not this table's.
    assert!(resolve("DescribePolicy", json!({"PolicyId": "p-zzzzzzzz"}))
        .unwrap()
        .resources
        .is_empty());
    assert_eq!(resolve("ListAccounts", json!({})), None);
}

#[test]
fn billing_only_organizations_have_no_policy_types() {
    let w = World::bare();
    w.ok("CreateOrganization", json!({"FeatureSet": "CONSOLIDATED_BILLING"}));
    let root = w.root_id();
    w.err(
        "EnablePolicyType",
        json!({"RootId": root, "PolicyType": SCP}),
        "PolicyTypeNotAvailableForOrganizationException",
    );
    w.err(
        "CreatePolicy",
        json!({"Name": "P", "Description": "", "Type": SCP, "Content": ALLOW_EC2}),
        "PolicyTypeNotAvailableForOrganizationException",
    );
}

// ---- Accounts leaving, tags, delegation, effective policies, resource policy -------------

fn member(id: &str) -> Caller {
    Caller::root(id, "AKIAMEMBERROOT000000")
}

fn tag_list(v: &Value) -> Vec<(String, String)> {
    v["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["Key"].as_str().unwrap().to_owned(), t["Value"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn create_account_answers_the_completed_request() {
    let w = World::new();
    let out = w.ok("CreateAccount", json!({"AccountName": "Prod", "Email": "prod@example.com"}));
    let status = &out["CreateAccountStatus"];
    assert_eq!(status["State"], "SUCCEEDED");
    let id = status["AccountId"].as_str().unwrap();
    assert!(crate::ids::is_account_id(id));
    assert!(status["CompletedTimestamp"].as_f64().is_some());
    let again = w.ok(
        "DescribeCreateAccountStatus",
        json!({"CreateAccountRequestId": status["Id"].as_str().unwrap()}),
    );
    assert_eq!(&again["CreateAccountStatus"], status);
    assert_eq!(w.ok("DescribeAccount", json!({"AccountId": id}))["Account"]["Name"], "Prod");
}

#[test]
fn accounts_and_policies_are_listed_in_creation_order() {
    let w = World::new();
    // Distinct join times (the clock counts milliseconds; ties go by id).
    w.services.clock().advance_ms(1);
    w.add_account(PROD, "Production");
    w.services.clock().advance_ms(1);
    w.add_account("222222222222", "Staging");
    let out = w.ok("ListAccounts", json!({}));
    assert_eq!(ids(&out["Accounts"], "Id"), [MGMT, DEV, PROD, "222222222222"]);
    let first = w.ok("ListAccounts", json!({"MaxResults": 3}));
    assert_eq!(ids(&first["Accounts"], "Id"), [MGMT, DEV, PROD]);
    let rest = w.ok("ListAccounts", json!({"NextToken": first["NextToken"]}));
    assert_eq!(ids(&rest["Accounts"], "Id"), ["222222222222"]);
    w.enable(SCP);
    let b = w.create_policy("B", SCP, ALLOW_EC2);
    w.services.clock().advance_ms(1);
    let a = w.create_policy("A", SCP, ALLOW_EC2);
    let listed = w.ok("ListPolicies", json!({"Filter": SCP}));
    assert_eq!(ids(&listed["Policies"], "Id"), [FULL_AWS_ACCESS_ID.to_owned(), b, a]);
}

#[test]
fn tags_on_accounts_roots_ous_and_policies() {
    let w = World::new();
    let root = w.root_id();
    let ou = w.create_ou(&root, "Workloads");
    let policy = w.create_policy("P", "TAG_POLICY", r#"{"tags":{}}"#);
    for resource in [DEV.to_owned(), root.clone(), ou.clone(), policy.clone()] {
        w.ok(
            "TagResource",
            json!({"ResourceId": resource, "Tags": [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}]}),
        );
        w.ok(
            "TagResource",
            json!({"ResourceId": resource, "Tags": [{"Key": "team", "Value": "b"}]}),
        );
        let listed = w.ok("ListTagsForResource", json!({"ResourceId": resource}));
        assert_eq!(
            tag_list(&listed),
            [("team".to_owned(), "b".to_owned()), ("env".to_owned(), "dev".to_owned())],
            "{resource}"
        );
        w.ok("UntagResource", json!({"ResourceId": resource, "TagKeys": ["team", "absent"]}));
        let listed = w.ok("ListTagsForResource", json!({"ResourceId": resource}));
        assert_eq!(tag_list(&listed), [("env".to_owned(), "dev".to_owned())]);
    }
    w.err(
        "TagResource",
        json!({"ResourceId": "123412341234", "Tags": [{"Key": "k", "Value": "v"}]}),
        "TargetNotFoundException",
    );
    w.err(
        "ListTagsForResource",
        json!({"ResourceId": FULL_AWS_ACCESS_ID}),
        "TargetNotFoundException",
    );
    let system = json!({"ResourceId": DEV, "Tags": [{"Key": "aws:x", "Value": "v"}]});
    assert_eq!(
        w.reason("TagResource", system, "InvalidInputException"),
        "INVALID_SYSTEM_TAGS_PARAMETER"
    );
    let twice = json!({"ResourceId": DEV, "Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]});
    assert_eq!(w.reason("TagResource", twice, "InvalidInputException"), "DUPLICATE_TAG_KEY");
    let many: Vec<Value> = (0..50).map(|i| json!({"Key": format!("k{i}"), "Value": ""})).collect();
    let e = w.err(
        "TagResource",
        json!({"ResourceId": DEV, "Tags": many}),
        "ConstraintViolationException",
    );
    assert_eq!(e.fields, [("Reason", "MAX_TAG_LIMIT_EXCEEDED".to_owned())]);
    // The failed request changed nothing.
    let listed = w.ok("ListTagsForResource", json!({"ResourceId": DEV}));
    assert_eq!(tag_list(&listed), [("env".to_owned(), "dev".to_owned())]);

    // Tags given at creation; a deleted OU's tags go with it.
    let tagged = w.ok(
        "CreateOrganizationalUnit",
        json!({"ParentId": root, "Name": "Tagged", "Tags": [{"Key": "k", "Value": "v"}]}),
    )["OrganizationalUnit"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(tag_list(&w.ok("ListTagsForResource", json!({"ResourceId": tagged}))).len(), 1);
    w.ok("DeleteOrganizationalUnit", json!({"OrganizationalUnitId": tagged}));
    w.err("ListTagsForResource", json!({"ResourceId": tagged}), "TargetNotFoundException");
    let tx = w.services.store().read().unwrap();
    assert!(super::model::TAGS.get(&*tx, &tagged).unwrap().is_none());
}

#[test]
fn close_account_suspends_it_once() {
    let w = World::new();
    w.ok("CloseAccount", json!({"AccountId": DEV}));
    let described = w.ok("DescribeAccount", json!({"AccountId": DEV}));
    assert_eq!(described["Account"]["Status"], "SUSPENDED");
    assert_eq!(described["Account"]["State"], "SUSPENDED");
    w.err("CloseAccount", json!({"AccountId": DEV}), "AccountAlreadyClosedException");
    w.err("CloseAccount", json!({"AccountId": PROD}), "AccountNotFoundException");
    let e = w.err("CloseAccount", json!({"AccountId": MGMT}), "ConstraintViolationException");
    assert_eq!(e.fields, [("Reason", "CANNOT_CLOSE_MANAGEMENT_ACCOUNT".to_owned())]);
    let e = w.call_as(&member(DEV), "CloseAccount", json!({"AccountId": DEV})).unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    // A suspended account still belongs to the organization.
    assert_eq!(ids(&w.ok("ListAccounts", json!({}))["Accounts"], "Id"), [MGMT, DEV]);
}

#[test]
fn removed_and_departed_accounts_leave_every_view() {
    let w = World::new();
    w.add_account(PROD, "Production");
    let root = w.root_id();
    w.enable(SCP);
    let ou = w.create_ou(&root, "Workloads");
    w.ok(
        "MoveAccount",
        json!({"AccountId": DEV, "SourceParentId": root, "DestinationParentId": ou}),
    );
    w.ok("TagResource", json!({"ResourceId": DEV, "Tags": [{"Key": "k", "Value": "v"}]}));
    assert!(w.levels(DEV, SCP).is_some());

    w.err("DeleteOrganization", json!({}), "OrganizationNotEmptyException");
    w.err(
        "RemoveAccountFromOrganization",
        json!({"AccountId": MGMT}),
        "MasterCannotLeaveOrganizationException",
    );
    w.ok("RemoveAccountFromOrganization", json!({"AccountId": DEV}));
    assert_eq!(ids(&w.ok("ListAccounts", json!({}))["Accounts"], "Id"), [MGMT, PROD]);
    w.err("DescribeAccount", json!({"AccountId": DEV}), "AccountNotFoundException");
    assert!(w.ok("ListAccountsForParent", json!({"ParentId": ou}))["Accounts"]
        .as_array()
        .unwrap()
        .is_empty());
    w.err("RemoveAccountFromOrganization", json!({"AccountId": DEV}), "AccountNotFoundException");
    assert!(w.levels(DEV, SCP).is_none(), "no SCPs outside the organization");
    let e = w.call_as(&member(DEV), "DescribeOrganization", json!({})).unwrap_err();
    assert_eq!(e.code, "AWSOrganizationsNotInUseException");
    {
        let tx = w.services.store().read().unwrap();
        assert!(super::model::TAGS.get(&*tx, DEV).unwrap().is_none());
        // The account itself (and its access role) still exists.
        assert!(crate::accounts::ACCOUNTS.get(&*tx, DEV).unwrap().is_some());
    }

    // A member leaves by itself; the management account cannot.
    w.ok("DescribeOrganization", json!({}));
    w.call_as(&member(PROD), "LeaveOrganization", json!({})).unwrap();
    let e = w.call_as(&member(PROD), "DescribeOrganization", json!({})).unwrap_err();
    assert_eq!(e.code, "AWSOrganizationsNotInUseException");
    w.err("LeaveOrganization", json!({}), "MasterCannotLeaveOrganizationException");

    w.ok("DeleteOrganization", json!({}));
    w.err("DescribeOrganization", json!({}), "AWSOrganizationsNotInUseException");
    w.ok("CreateOrganization", json!({}));
    let root = w.root_id();
    assert!(w.ok("ListOrganizationalUnitsForParent", json!({"ParentId": root}))
        ["OrganizationalUnits"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(ids(&w.ok("ListAccounts", json!({}))["Accounts"], "Id"), [MGMT]);
}

#[test]
fn list_create_account_status_filters_and_pages() {
    let w = World::new();
    w.services.clock().advance_ms(1);
    w.add_account(PROD, "Production");
    w.services.clock().advance_ms(1);
    w.add_account("222222222222", "Staging");
    let all = w.ok("ListCreateAccountStatus", json!({}));
    let names: Vec<&str> = all["CreateAccountStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["AccountName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Development", "Production", "Staging"]);
    let page = w.ok("ListCreateAccountStatus", json!({"MaxResults": 2}));
    assert_eq!(page["CreateAccountStatuses"].as_array().unwrap().len(), 2);
    let rest = w.ok("ListCreateAccountStatus", json!({"NextToken": page["NextToken"]}));
    assert_eq!(rest["CreateAccountStatuses"][0]["AccountName"], "Staging");
    assert!(rest.get("NextToken").is_none());
    let none = w.ok("ListCreateAccountStatus", json!({"States": ["IN_PROGRESS", "FAILED"]}));
    assert!(none["CreateAccountStatuses"].as_array().unwrap().is_empty());
    let done = w.ok("ListCreateAccountStatus", json!({"States": ["SUCCEEDED"]}));
    assert_eq!(done["CreateAccountStatuses"].as_array().unwrap().len(), 3);
}

#[test]
fn trusted_access_and_delegated_administrators() {
    let w = World::new();
    w.ok("EnableAWSServiceAccess", json!({"ServicePrincipal": "config.amazonaws.com"}));
    let first = w.ok("ListAWSServiceAccessForOrganization", json!({}));
    w.ok("EnableAWSServiceAccess", json!({"ServicePrincipal": "config.amazonaws.com"}));
    assert_eq!(w.ok("ListAWSServiceAccessForOrganization", json!({})), first);
    assert_eq!(first["EnabledServicePrincipals"][0]["ServicePrincipal"], "config.amazonaws.com");
    w.ok("DisableAWSServiceAccess", json!({"ServicePrincipal": "config.amazonaws.com"}));
    w.ok("DisableAWSServiceAccess", json!({"ServicePrincipal": "config.amazonaws.com"}));
    let empty = w.ok("ListAWSServiceAccessForOrganization", json!({}));
    assert!(empty["EnabledServicePrincipals"].as_array().unwrap().is_empty());
    let bad = json!({"ServicePrincipal": "nope.amazonaws.com"});
    assert_eq!(
        w.reason("EnableAWSServiceAccess", bad, "InvalidInputException"),
        "UNRECOGNIZED_SERVICE_PRINCIPAL"
    );

    let ssm = json!({"AccountId": DEV, "ServicePrincipal": "ssm.amazonaws.com"});
    w.ok("RegisterDelegatedAdministrator", ssm.clone());
    w.err("RegisterDelegatedAdministrator", ssm.clone(), "AccountAlreadyRegisteredException");
    let e = w.err(
        "RegisterDelegatedAdministrator",
        json!({"AccountId": MGMT, "ServicePrincipal": "ssm.amazonaws.com"}),
        "ConstraintViolationException",
    );
    assert_eq!(
        e.fields,
        [("Reason", "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR".to_owned())]
    );
    w.err(
        "RegisterDelegatedAdministrator",
        json!({"AccountId": PROD, "ServicePrincipal": "ssm.amazonaws.com"}),
        "AccountNotFoundException",
    );
    // RAM supports trusted access but no delegated administrator.
    let ram = json!({"AccountId": DEV, "ServicePrincipal": "ram.amazonaws.com"});
    w.err("RegisterDelegatedAdministrator", ram, "InvalidInputException");
    w.ok(
        "RegisterDelegatedAdministrator",
        json!({"AccountId": DEV, "ServicePrincipal": "guardduty.amazonaws.com"}),
    );

    let admins =
        w.ok("ListDelegatedAdministrators", json!({"ServicePrincipal": "ssm.amazonaws.com"}));
    let admin = &admins["DelegatedAdministrators"][0];
    assert_eq!(admin["Id"], DEV);
    assert_eq!(admin["JoinedMethod"], "CREATED");
    assert!(admin["DelegationEnabledDate"].as_f64().is_some());
    let services = w.ok("ListDelegatedServicesForAccount", json!({"AccountId": DEV}));
    assert_eq!(
        ids(&services["DelegatedServices"], "ServicePrincipal"),
        ["guardduty.amazonaws.com", "ssm.amazonaws.com"]
    );
    w.err(
        "ListDelegatedServicesForAccount",
        json!({"AccountId": MGMT}),
        "AccountNotRegisteredException",
    );
    // A delegated administrator may read them; another member may not.
    w.call_as(&member(DEV), "ListDelegatedAdministrators", json!({})).unwrap();
    w.add_account(PROD, "Production");
    let e = w.call_as(&member(PROD), "ListDelegatedAdministrators", json!({})).unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");

    // A delegated administrator cannot leave before it is deregistered.
    let e = w.err(
        "RemoveAccountFromOrganization",
        json!({"AccountId": DEV}),
        "ConstraintViolationException",
    );
    assert_eq!(e.fields, [("Reason", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG".to_owned())]);
    w.ok("DeregisterDelegatedAdministrator", ssm.clone());
    w.err("DeregisterDelegatedAdministrator", ssm, "InvalidInputException");
    w.ok(
        "DeregisterDelegatedAdministrator",
        json!({"AccountId": DEV, "ServicePrincipal": "guardduty.amazonaws.com"}),
    );
    w.err(
        "DeregisterDelegatedAdministrator",
        json!({"AccountId": DEV, "ServicePrincipal": "guardduty.amazonaws.com"}),
        "AccountNotRegisteredException",
    );
    assert!(w.ok("ListDelegatedAdministrators", json!({}))["DelegatedAdministrators"]
        .as_array()
        .unwrap()
        .is_empty());
    w.ok("RemoveAccountFromOrganization", json!({"AccountId": DEV}));
}

#[test]
fn effective_policy_inherits_down_the_tree() {
    let w = World::new();
    let root = w.root_id();
    let ou = w.create_ou(&root, "Workloads");
    w.ok(
        "MoveAccount",
        json!({"AccountId": DEV, "SourceParentId": root, "DestinationParentId": ou}),
    );
    w.err(
        "DescribeEffectivePolicy",
        json!({"PolicyType": "TAG_POLICY", "TargetId": DEV}),
        "EffectivePolicyNotFoundException",
    );
    w.enable("TAG_POLICY");
    let at_root = w.create_policy(
        "Root",
        "TAG_POLICY",
        r#"{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter","@@operators_allowed_for_child_policies":["@@none"]},"tag_value":{"@@assign":["100","200"]}},"owner":{"tag_key":{"@@assign":"Owner"}}}}"#,
    );
    let at_ou = w.create_policy(
        "Ou",
        "TAG_POLICY",
        r#"{"tags":{"costcenter":{"tag_key":{"@@assign":"COSTCENTER"},"tag_value":{"@@append":["300"],"@@remove":["100"]}}}}"#,
    );
    w.ok("AttachPolicy", json!({"PolicyId": at_root, "TargetId": root}));
    w.ok("AttachPolicy", json!({"PolicyId": at_ou, "TargetId": ou}));
    let out = w.ok("DescribeEffectivePolicy", json!({"PolicyType": "TAG_POLICY", "TargetId": DEV}));
    let effective = &out["EffectivePolicy"];
    assert_eq!(effective["TargetId"], DEV);
    assert_eq!(effective["PolicyType"], "TAG_POLICY");
    let content: Value =
        serde_json::from_str(effective["PolicyContent"].as_str().unwrap()).unwrap();
    assert_eq!(
        content,
        json!({"tags": {
            // @@none at the root: the OU's @@assign of the key is ignored.
            "costcenter": {"tag_key": "CostCenter", "tag_value": ["200", "300"]},
            "owner": {"tag_key": "Owner"}
        }})
    );
    // The management account only has the root's policy.
    let mgmt = w.ok("DescribeEffectivePolicy", json!({"PolicyType": "TAG_POLICY"}));
    let content: Value =
        serde_json::from_str(mgmt["EffectivePolicy"]["PolicyContent"].as_str().unwrap()).unwrap();
    assert_eq!(content["tags"]["costcenter"]["tag_value"], json!(["100", "200"]));
    // A member sees its own, not another account's; roots and OUs are not targets.
    w.call_as(&member(DEV), "DescribeEffectivePolicy", json!({"PolicyType": "TAG_POLICY"}))
        .unwrap();
    let e = w
        .call_as(
            &member(DEV),
            "DescribeEffectivePolicy",
            json!({"PolicyType": "TAG_POLICY", "TargetId": MGMT}),
        )
        .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert_eq!(
        w.reason(
            "DescribeEffectivePolicy",
            json!({"PolicyType": "TAG_POLICY", "TargetId": ou}),
            "InvalidInputException"
        ),
        "TARGET_NOT_SUPPORTED"
    );
    w.err(
        "DescribeEffectivePolicy",
        json!({"PolicyType": "TAG_POLICY", "TargetId": PROD}),
        "TargetNotFoundException",
    );
}

#[test]
fn resource_policy_put_describe_delete() {
    let w = World::new();
    w.err("DescribeResourcePolicy", json!({}), "ResourcePolicyNotFoundException");
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{DEV}:root"}},"Action":"organizations:DescribeOrganization","Resource":"*"}}]}}"#
    );
    let put =
        w.ok("PutResourcePolicy", json!({"Content": doc, "Tags": [{"Key": "k", "Value": "v"}]}));
    let id = put["ResourcePolicy"]["ResourcePolicySummary"]["Id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("rp-"));
    let org = org_of(&w);
    assert_eq!(
        put["ResourcePolicy"]["ResourcePolicySummary"]["Arn"],
        format!("arn:aws:organizations::{MGMT}:resourcepolicy/{}/{id}", org.id)
    );
    assert_eq!(w.ok("DescribeResourcePolicy", json!({})), put);
    assert_eq!(tag_list(&w.ok("ListTagsForResource", json!({"ResourceId": id}))).len(), 1);
    let foreign = doc.replace("organizations:DescribeOrganization", "s3:GetObject");
    assert_eq!(
        w.reason("PutResourcePolicy", json!({"Content": foreign}), "InvalidInputException"),
        "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"
    );
    let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","Resource":"*"}]}"#;
    w.err("PutResourcePolicy", json!({"Content": no_principal}), "InvalidInputException");
    // Putting again keeps the id.
    let again = w.ok("PutResourcePolicy", json!({"Content": doc}));
    assert_eq!(again["ResourcePolicy"]["ResourcePolicySummary"]["Id"], id.as_str());
    w.ok("DeleteResourcePolicy", json!({}));
    w.err("DeleteResourcePolicy", json!({}), "ResourcePolicyNotFoundException");
    w.err("ListTagsForResource", json!({"ResourceId": id}), "TargetNotFoundException");
}

#[test]
fn organization_arns_carry_the_partition_of_its_region() {
    let w = World::bare();
    let input = json!({});
    let call = crate::test_support::call(
        "organizations",
        "CreateOrganization",
        "cn-north-1",
        &w.root,
        &input,
    );
    let org = w.services.call(&call).unwrap();
    assert!(org["Organization"]["Arn"].as_str().unwrap().starts_with("arn:aws-cn:organizations::"));
    let root = &w.ok("ListRoots", json!({}))["Roots"][0];
    assert!(root["Arn"].as_str().unwrap().starts_with("arn:aws-cn:"));
    let managed = w.ok("ListPolicies", json!({"Filter": SCP}));
    assert_eq!(
        managed["Policies"][0]["Arn"],
        "arn:aws-cn:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    );
    assert_eq!(super::model::partition_of("us-east-1"), "aws");
    assert_eq!(super::model::partition_of("us-gov-west-1"), "aws-us-gov");
    assert_eq!(super::model::partition_of("us-isob-east-1"), "aws-iso-b");
}

#[test]
fn authorization_names_each_operation_resource() {
    let w = World::new();
    let org = org_of(&w);
    let requests = |op: &str, input: Value| {
        let call = crate::test_support::call("organizations", op, "us-east-1", &w.root, &input);
        super::actions::requests(&w.services, &call).unwrap()
    };
    let tag = requests(
        "TagResource",
        json!({"ResourceId": DEV, "Tags": [{"Key": "team", "Value": "a"}]}),
    );
    assert_eq!(tag.len(), 1);
    assert_eq!(tag[0].action, "organizations:TagResource");
    assert_eq!(tag[0].resource, org.account_arn(DEV));
    assert_eq!(tag[0].resource_account.as_deref(), Some(MGMT));
    assert!(tag[0].context.iter().any(|(k, _)| k == "aws:RequestTag/team"));
    assert!(tag[0].context.iter().any(|(k, _)| k == "aws:TagKeys"));
    let close = requests("CloseAccount", json!({"AccountId": DEV}));
    assert_eq!(close[0].resource, org.account_arn(DEV));
    let unknown = requests("CloseAccount", json!({"AccountId": PROD}));
    assert_eq!(unknown[0].resource, "*");
    let access =
        requests("EnableAWSServiceAccess", json!({"ServicePrincipal": "ssm.amazonaws.com"}));
    assert_eq!(access[0].resource, "*");
    assert!(access[0].context.iter().any(|(k, _)| k == "organizations:ServicePrincipal"));
    let root = w.root_id();
    let ou = w.create_ou(&root, "Workloads");
    let ou_tags = requests("ListTagsForResource", json!({"ResourceId": ou}));
    assert_eq!(ou_tags[0].resource, super::tree::ou_arn(&org, &ou));
}

fn handshake_id(v: &Value) -> String {
    v["Handshake"]["Id"].as_str().unwrap().to_owned()
}

#[test]
fn invitations_bring_departed_accounts_back() {
    let w = World::new();
    let dev = member(DEV);
    w.ok("RemoveAccountFromOrganization", json!({"AccountId": DEV}));
    let invite = w.ok(
        "InviteAccountToOrganization",
        json!({"Target": {"Id": DEV, "Type": "ACCOUNT"}, "Notes": "welcome back"}),
    );
    let id = handshake_id(&invite);
    assert!(id.starts_with("h-"));
    let h = &invite["Handshake"];
    assert_eq!(h["State"], "OPEN");
    assert_eq!(h["Action"], "INVITE");
    let org = org_of(&w);
    assert_eq!(h["Arn"], format!("arn:aws:organizations::{MGMT}:handshake/{}/invite/{id}", org.id));
    assert_eq!(h["Parties"][1], json!({"Id": DEV, "Type": "ACCOUNT"}));
    w.err(
        "InviteAccountToOrganization",
        json!({"Target": {"Id": DEV, "Type": "ACCOUNT"}}),
        "DuplicateHandshakeException",
    );
    assert_eq!(
        w.reason(
            "InviteAccountToOrganization",
            json!({"Target": {"Id": PROD, "Type": "ACCOUNT"}}),
            "InvalidInputException"
        ),
        "INVALID_PARTY_TYPE_TARGET"
    );
    let mine = w.call_as(&dev, "ListHandshakesForAccount", json!({})).unwrap();
    assert_eq!(ids(&mine["Handshakes"], "Id"), [id.as_str()]);
    assert_eq!(
        ids(&w.ok("ListHandshakesForOrganization", json!({}))["Handshakes"], "Id"),
        [id.as_str()]
    );
    // Only the invited account accepts.
    let e = w.err("AcceptHandshake", json!({"HandshakeId": id}), "AccessDeniedException");
    assert_eq!(e.status, 400);
    let accepted = w.call_as(&dev, "AcceptHandshake", json!({"HandshakeId": id})).unwrap();
    assert_eq!(accepted["Handshake"]["State"], "ACCEPTED");
    let account = w.ok("DescribeAccount", json!({"AccountId": DEV}));
    assert_eq!(account["Account"]["JoinedMethod"], "INVITED");
    w.call_as(&dev, "DescribeOrganization", json!({})).unwrap();
    let e = w.call_as(&dev, "AcceptHandshake", json!({"HandshakeId": id})).unwrap_err();
    assert_eq!(e.code, "HandshakeAlreadyInStateException");
    w.err("CancelHandshake", json!({"HandshakeId": id}), "InvalidHandshakeTransitionException");
    let e = w.err(
        "InviteAccountToOrganization",
        json!({"Target": {"Id": DEV, "Type": "ACCOUNT"}}),
        "HandshakeConstraintViolationException",
    );
    assert_eq!(e.fields, [("Reason", "ALREADY_IN_AN_ORGANIZATION".to_owned())]);

    // Declined by email; other accounts cannot see it.
    w.ok("RemoveAccountFromOrganization", json!({"AccountId": DEV}));
    let by_mail = w.ok(
        "InviteAccountToOrganization",
        json!({"Target": {"Id": "dev@example.com", "Type": "EMAIL"}}),
    );
    let id = handshake_id(&by_mail);
    w.add_account(PROD, "Production");
    let e = w.call_as(&member(PROD), "DescribeHandshake", json!({"HandshakeId": id})).unwrap_err();
    assert_eq!(e.code, "HandshakeNotFoundException");
    let declined = w.call_as(&dev, "DeclineHandshake", json!({"HandshakeId": id})).unwrap();
    assert_eq!(declined["Handshake"]["State"], "DECLINED");
    w.err("CancelHandshake", json!({"HandshakeId": id}), "InvalidHandshakeTransitionException");
    w.err("DescribeAccount", json!({"AccountId": DEV}), "AccountNotFoundException");
    let cancel_me =
        w.ok("InviteAccountToOrganization", json!({"Target": {"Id": DEV, "Type": "ACCOUNT"}}));
    let canceled = w.ok("CancelHandshake", json!({"HandshakeId": handshake_id(&cancel_me)}));
    assert_eq!(canceled["Handshake"]["State"], "CANCELED");
    let invites =
        w.ok("ListHandshakesForOrganization", json!({"Filter": {"ActionType": "INVITE"}}));
    assert_eq!(invites["Handshakes"].as_array().unwrap().len(), 3);
}

#[test]
fn enable_all_features_waits_for_invited_members() {
    let w = World::bare();
    w.ok("CreateOrganization", json!({"FeatureSet": "CONSOLIDATED_BILLING"}));
    w.add_account(DEV, "Development");
    w.add_account(PROD, "Production");
    w.ok("RemoveAccountFromOrganization", json!({"AccountId": PROD}));
    let invite =
        w.ok("InviteAccountToOrganization", json!({"Target": {"Id": PROD, "Type": "ACCOUNT"}}));
    w.call_as(&member(PROD), "AcceptHandshake", json!({"HandshakeId": handshake_id(&invite)}))
        .unwrap();
    w.err(
        "EnablePolicyType",
        json!({"RootId": w.root_id(), "PolicyType": SCP}),
        "PolicyTypeNotAvailableForOrganizationException",
    );

    let started = w.ok("EnableAllFeatures", json!({}));
    let parent = handshake_id(&started);
    assert_eq!(started["Handshake"]["Action"], "ENABLE_ALL_FEATURES");
    let e = w.err("EnableAllFeatures", json!({}), "HandshakeConstraintViolationException");
    assert_eq!(
        e.fields,
        [("Reason", "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION".to_owned())]
    );
    // Only the invited member approves; the created one is not asked.
    let approvals =
        w.ok("ListHandshakesForOrganization", json!({"Filter": {"ParentHandshakeId": parent}}));
    let approvals = approvals["Handshakes"].as_array().unwrap();
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["Parties"][1]["Id"], PROD);
    w.err("AcceptHandshake", json!({"HandshakeId": parent}), "InvalidHandshakeTransitionException");
    let approval = approvals[0]["Id"].as_str().unwrap();
    w.call_as(&member(PROD), "AcceptHandshake", json!({"HandshakeId": approval})).unwrap();
    let done = w.ok("AcceptHandshake", json!({"HandshakeId": parent}));
    assert_eq!(done["Handshake"]["State"], "ACCEPTED");
    assert_eq!(w.ok("DescribeOrganization", json!({}))["Organization"]["FeatureSet"], "ALL");
    w.enable(SCP);
    let e = w.err("EnableAllFeatures", json!({}), "HandshakeConstraintViolationException");
    assert_eq!(e.fields, [("Reason", "ORGANIZATION_ALREADY_HAS_ALL_FEATURES".to_owned())]);
}
