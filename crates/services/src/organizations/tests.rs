//! Unit tests of roots, OUs, policies and `policy_levels`, over a real SQLite store in a
//! temporary directory, called the way the server calls them (a `Call` as the management root).

use std::sync::Arc;

use serde_json::{json, Value};

use super::tree::{policy_levels, FULL_AWS_ACCESS_ID};
use super::{create_member_account, NewAccount};
use crate::{Call, Caller, Clock, Config, ServiceError, Services};

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

    /// An organization with the Development account (111111111111) as its member.
    fn new() -> World {
        let w = World::bare();
        w.ok("CreateOrganization", json!({"FeatureSet": "ALL"}));
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
        let call = Call {
            service: "organizations",
            operation,
            region: "us-east-1",
            caller,
            input: &input,
            request_id: "req",
            source_ip: "",
            user_agent: "",
            streams: None,
        };
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
        "INVALID_ENUM_POLICY_TYPE"
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
    let mut want = vec![FULL_AWS_ACCESS_ID.to_owned(), id.clone()];
    want.sort();
    assert_eq!(ids(&listed["Policies"], "Id"), want, "sorted by id");
    let rcps = w.ok("ListPolicies", json!({"Filter": RCP}));
    assert_eq!(ids(&rcps["Policies"], "Id"), ["p-RCPFullAWSAccess"]);
    assert_eq!(
        w.reason("ListPolicies", json!({"Filter": "BAD"}), "InvalidInputException"),
        "INVALID_ENUM_POLICY_TYPE"
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
        "INVALID_ENUM_POLICY_TYPE"
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
    assert!(w.policies_for(&root, SCP).is_empty());
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
