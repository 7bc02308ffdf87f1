//! Operation → the permissions it needs, after AWS's Service Authorization Reference for
//! CloudFormation: the stack ARN `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID` as the
//! resource (`stack/NAME/*` when the stack does not exist yet or is named by name only and not
//! found), `*` for account-wide reads; condition keys `cloudformation:TemplateUrl`,
//! `cloudformation:RoleArn`, `cloudformation:ResourceTypes`, `cloudformation:ChangeSetName`,
//! `aws:RequestTag/…`, `aws:TagKeys`.
//! A `RoleARN` also needs `iam:PassRole` on the role, with `iam:PassedToService`
//! `cloudformation.amazonaws.com`.
//!
//! The resources a stack creates are authorized one call at a time when they are provisioned
//! (see `provider::invoke`), not here.

use serde_json::Value;

use super::{model, STACK_ID_PREFIX};
use crate::authz::{ActionRequest, ContextValue};
use crate::{input_str, Call, ServiceError, Services};

/// The service principal CloudFormation acts as.
pub const SERVICE_PRINCIPAL: &str = "cloudformation.amazonaws.com";

/// The stack ARN a request's `StackName` stands for: the ARN itself, the live stack's id for a
/// name, else `stack/NAME/*`.
fn stack_resource(
    services: &Services,
    call: &Call<'_>,
    name: &str,
) -> Result<String, ServiceError> {
    let account = &call.caller.account;
    if name.starts_with(STACK_ID_PREFIX) {
        return Ok(name.to_owned());
    }
    let tx = services.store().read()?;
    let key = model::name_key(account, call.region, name);
    Ok(match model::STACK_NAMES.get(&*tx, &key)? {
        Some(id) => id,
        None => format!("arn:aws:cloudformation:{}:{account}:stack/{name}/*", call.region),
    })
}

fn strings(input: &Value, member: &str) -> Vec<String> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The permissions `call` needs.
pub fn requests(services: &Services, call: &Call<'_>) -> Result<Vec<ActionRequest>, ServiceError> {
    let account = call.caller.account.as_str();
    let input = call.input;
    let action: &'static str = match call.operation {
        "CreateStack" => "cloudformation:CreateStack",
        "UpdateStack" => "cloudformation:UpdateStack",
        "DeleteStack" => "cloudformation:DeleteStack",
        "DescribeStacks" => "cloudformation:DescribeStacks",
        "ListStacks" => "cloudformation:ListStacks",
        "DescribeStackResources" => "cloudformation:DescribeStackResources",
        "DescribeStackResource" => "cloudformation:DescribeStackResource",
        "ListStackResources" => "cloudformation:ListStackResources",
        "DescribeStackEvents" => "cloudformation:DescribeStackEvents",
        "GetTemplate" => "cloudformation:GetTemplate",
        "ValidateTemplate" => "cloudformation:ValidateTemplate",
        "GetTemplateSummary" => "cloudformation:GetTemplateSummary",
        "ListExports" => "cloudformation:ListExports",
        "CreateChangeSet" => "cloudformation:CreateChangeSet",
        "DescribeChangeSet" => "cloudformation:DescribeChangeSet",
        "ExecuteChangeSet" => "cloudformation:ExecuteChangeSet",
        "DeleteChangeSet" => "cloudformation:DeleteChangeSet",
        "ListChangeSets" => "cloudformation:ListChangeSets",
        _ => return Ok(Vec::new()),
    };
    let stack_name = input_str(input, "StackName");
    let resource = match (call.operation, stack_name) {
        ("ListStacks" | "ValidateTemplate" | "ListExports", _) => "*".to_owned(),
        (_, Some(name)) => stack_resource(services, call, name)?,
        _ => "*".to_owned(),
    };
    let owner = (resource != "*").then_some(account);
    let mut main = ActionRequest::new(action, resource, owner);
    if let Some(cs) = input_str(input, "ChangeSetName") {
        main = main.with("cloudformation:ChangeSetName", ContextValue::One(cs.to_owned()));
    }
    if matches!(call.operation, "CreateStack" | "UpdateStack" | "DeleteStack" | "CreateChangeSet") {
        if let Some(url) = input_str(input, "TemplateURL") {
            main = main.with("cloudformation:TemplateUrl", ContextValue::One(url.to_owned()));
        }
        if let Some(role) = input_str(input, "RoleARN") {
            main = main.with("cloudformation:RoleArn", ContextValue::One(role.to_owned()));
        }
        let types = strings(input, "ResourceTypes");
        if !types.is_empty() {
            main = main.with("cloudformation:ResourceTypes", ContextValue::Many(types));
        }
        if let Some(tags) = input.get("Tags").and_then(Value::as_array) {
            let mut keys = Vec::new();
            for t in tags {
                if let (Some(k), Some(v)) = (input_str(t, "Key"), input_str(t, "Value")) {
                    main =
                        main.with(format!("aws:RequestTag/{k}"), ContextValue::One(v.to_owned()));
                    keys.push(k.to_owned());
                }
            }
            if !keys.is_empty() {
                main = main.with("aws:TagKeys", ContextValue::Many(keys));
            }
        }
    }
    let mut out = vec![main];
    if let Some(role) = input_str(input, "RoleARN") {
        let role_account = role
            .strip_prefix("arn:aws:iam::")
            .and_then(|r| r.split(':').next())
            .filter(|a| crate::ids::is_account_id(a))
            .unwrap_or(account);
        out.push(
            ActionRequest::new("iam:PassRole", role, Some(role_account))
                .with("iam:PassedToService", ContextValue::One(SERVICE_PRINCIPAL.to_owned())),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_operation_and_adds_pass_role() {
        let (_dir, services) = crate::test_support::temp_services();
        let caller = crate::Caller::root("111111111111", "AKIA");
        let input = serde_json::json!({
            "StackName": "web",
            "TemplateBody": "{}",
            "RoleARN": "arn:aws:iam::111111111111:role/cfn",
            "Tags": [{"Key": "team", "Value": "blue"}],
        });
        let call = crate::test_support::call(
            "cloudformation",
            "CreateStack",
            "eu-west-1",
            &caller,
            &input,
        );
        let reqs = requests(&services, &call).unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].action, "cloudformation:CreateStack");
        assert_eq!(reqs[0].resource, "arn:aws:cloudformation:eu-west-1:111111111111:stack/web/*");
        assert!(reqs[0].context.contains(&(
            "cloudformation:RoleArn".into(),
            ContextValue::One("arn:aws:iam::111111111111:role/cfn".into())
        )));
        assert!(reqs[0]
            .context
            .contains(&("aws:RequestTag/team".into(), ContextValue::One("blue".into()))));
        assert_eq!(reqs[1].action, "iam:PassRole");
        assert_eq!(reqs[1].resource, "arn:aws:iam::111111111111:role/cfn");

        let input = serde_json::json!({});
        let call = Call { operation: "ListStacks", input: &input, ..call };
        let reqs = requests(&services, &call).unwrap();
        assert_eq!(reqs[0].action, "cloudformation:ListStacks");
        assert_eq!(reqs[0].resource, "*");
    }
}
