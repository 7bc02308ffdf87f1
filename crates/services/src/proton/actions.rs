//! Operation → the permissions it needs, after AWS's Service Authorization Reference for AWS
//! Proton: the action is `proton:<Operation>`; the resource is the connection, template or
//! environment ARN (`arn:aws:proton:REGION:ACCOUNT:environment-account-connection/ID`,
//! `…:environment-template/NAME`, `…:environment/NAME`), `*` for the account-wide lists;
//! `aws:RequestTag/…` and `aws:TagKeys` on the operations that take tags. A
//! `protonServiceRoleArn` also needs `iam:PassRole` with `iam:PassedToService`
//! `proton.amazonaws.com`.
//!
//! Proton has no resource policies: which account may see or change a connection is Proton's
//! own rule (the two accounts, see `connections`), so every request is judged on the caller's
//! identity side, as a request on a resource of the caller's account.

use serde_json::Value;

use super::{connections, model, SERVICE_PRINCIPAL};
use crate::authz::{ActionRequest, ContextValue};
use crate::{input_str, Call, ServiceError, Services};

/// What a request's resource is.
#[derive(Debug, Clone, Copy)]
enum Res {
    Star,
    /// A connection by the id in `id`; `*` for a new one.
    Connection(Option<&'static str>),
    /// The template named by this member.
    Template(&'static str),
    /// The environment named by this member.
    Environment(&'static str),
    /// The ARN in `resourceArn`.
    Arn,
}

fn entry(operation: &str) -> Option<(&'static str, Res)> {
    use Res::{Arn, Connection, Environment, Star, Template};
    Some(match operation {
        "CreateEnvironmentAccountConnection" => {
            ("proton:CreateEnvironmentAccountConnection", Connection(None))
        }
        "AcceptEnvironmentAccountConnection" => {
            ("proton:AcceptEnvironmentAccountConnection", Connection(Some("id")))
        }
        "RejectEnvironmentAccountConnection" => {
            ("proton:RejectEnvironmentAccountConnection", Connection(Some("id")))
        }
        "GetEnvironmentAccountConnection" => {
            ("proton:GetEnvironmentAccountConnection", Connection(Some("id")))
        }
        "UpdateEnvironmentAccountConnection" => {
            ("proton:UpdateEnvironmentAccountConnection", Connection(Some("id")))
        }
        "DeleteEnvironmentAccountConnection" => {
            ("proton:DeleteEnvironmentAccountConnection", Connection(Some("id")))
        }
        "ListEnvironmentAccountConnections" => ("proton:ListEnvironmentAccountConnections", Star),
        "CreateEnvironmentTemplate" => ("proton:CreateEnvironmentTemplate", Template("name")),
        "GetEnvironmentTemplate" => ("proton:GetEnvironmentTemplate", Template("name")),
        "UpdateEnvironmentTemplate" => ("proton:UpdateEnvironmentTemplate", Template("name")),
        "DeleteEnvironmentTemplate" => ("proton:DeleteEnvironmentTemplate", Template("name")),
        "ListEnvironmentTemplates" => ("proton:ListEnvironmentTemplates", Star),
        "CreateEnvironmentTemplateVersion" => {
            ("proton:CreateEnvironmentTemplateVersion", Template("templateName"))
        }
        "GetEnvironmentTemplateVersion" => {
            ("proton:GetEnvironmentTemplateVersion", Template("templateName"))
        }
        "UpdateEnvironmentTemplateVersion" => {
            ("proton:UpdateEnvironmentTemplateVersion", Template("templateName"))
        }
        "DeleteEnvironmentTemplateVersion" => {
            ("proton:DeleteEnvironmentTemplateVersion", Template("templateName"))
        }
        "ListEnvironmentTemplateVersions" => {
            ("proton:ListEnvironmentTemplateVersions", Template("templateName"))
        }
        "CreateEnvironment" => ("proton:CreateEnvironment", Environment("name")),
        "GetEnvironment" => ("proton:GetEnvironment", Environment("name")),
        "UpdateEnvironment" => ("proton:UpdateEnvironment", Environment("name")),
        "DeleteEnvironment" => ("proton:DeleteEnvironment", Environment("name")),
        "ListEnvironments" => ("proton:ListEnvironments", Star),
        "TagResource" => ("proton:TagResource", Arn),
        "UntagResource" => ("proton:UntagResource", Arn),
        "ListTagsForResource" => ("proton:ListTagsForResource", Arn),
        _ => return None,
    })
}

/// The permissions `call` needs before its handler runs; an operation Proton does not serve
/// here is refused as unknown.
pub fn requests(services: &Services, call: &Call<'_>) -> Result<Vec<ActionRequest>, ServiceError> {
    let Some((action, res)) = entry(call.operation) else {
        return Err(crate::unknown_operation(call));
    };
    let input = call.input;
    let account = call.caller.account.as_str();
    let region = call.region;
    let resource = match res {
        Res::Star => "*".to_owned(),
        Res::Connection(None) => {
            format!("arn:aws:proton:{region}:{account}:environment-account-connection/*")
        }
        Res::Connection(Some(member)) => {
            let id = input_str(input, member).unwrap_or_default();
            let tx = services.store().read()?;
            match model::CONNECTIONS.get(&*tx, &model::connection_key(region, id))? {
                Some(c) if connections::visible_to(&c, account) => c.arn,
                _ => connections::arn(region, account, id),
            }
        }
        Res::Template(member) => {
            super::template_arn(region, account, input_str(input, member).unwrap_or_default())
        }
        Res::Environment(member) => {
            super::environment_arn(region, account, input_str(input, member).unwrap_or_default())
        }
        Res::Arn => input_str(input, "resourceArn").unwrap_or("*").to_owned(),
    };
    let owner = (resource != "*").then_some(account);
    let mut main = ActionRequest::new(action, resource, owner);
    let tags: Vec<(String, String)> = input
        .get("tags")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|t| {
                    Some((input_str(t, "key")?.to_owned(), input_str(t, "value")?.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in &tags {
        main = main.with(format!("aws:RequestTag/{k}"), ContextValue::One(v.clone()));
    }
    let mut keys: Vec<String> = tags.into_iter().map(|(k, _)| k).collect();
    if call.operation == "UntagResource" {
        keys.extend(
            input
                .get("tagKeys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned),
        );
    }
    if !keys.is_empty() {
        main = main.with("aws:TagKeys", ContextValue::Many(keys));
    }
    let mut out = vec![main];
    if matches!(call.operation, "CreateEnvironment" | "UpdateEnvironment") {
        if let Some(role) = input_str(input, "protonServiceRoleArn") {
            let role_account = role.split(':').nth(4).filter(|a| crate::ids::is_account_id(a));
            out.push(
                ActionRequest::new("iam:PassRole", role, Some(role_account.unwrap_or(account)))
                    .with("iam:PassedToService", ContextValue::One(SERVICE_PRINCIPAL.to_owned())),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_names_its_action_and_resource() {
        let (_dir, services) = crate::test_support::temp_services();
        let caller = crate::Caller::root("222222222222", "AKIA");
        let input = serde_json::json!({
            "managementAccountId": "111111111111",
            "environmentName": "simple-env-connected",
            "tags": [{"key": "team", "value": "blue"}],
        });
        let call = crate::test_support::call(
            "proton",
            "CreateEnvironmentAccountConnection",
            "us-east-1",
            &caller,
            &input,
        );
        let reqs = requests(&services, &call).unwrap();
        assert_eq!(reqs[0].action, "proton:CreateEnvironmentAccountConnection");
        assert_eq!(
            reqs[0].resource,
            "arn:aws:proton:us-east-1:222222222222:environment-account-connection/*"
        );
        assert!(reqs[0]
            .context
            .contains(&("aws:RequestTag/team".into(), ContextValue::One("blue".into()))));

        let input = serde_json::json!({"name": "prod", "protonServiceRoleArn": "arn:aws:iam::222222222222:role/p"});
        let call = Call { operation: "CreateEnvironment", input: &input, ..call };
        let reqs = requests(&services, &call).unwrap();
        assert_eq!(reqs[0].resource, "arn:aws:proton:us-east-1:222222222222:environment/prod");
        assert_eq!(reqs[1].action, "iam:PassRole");

        let call = Call { operation: "ListEnvironments", ..call };
        assert_eq!(requests(&services, &call).unwrap()[0].resource, "*");
        let call = Call { operation: "CreateService", ..call };
        assert_eq!(requests(&services, &call).unwrap_err().code, crate::UNKNOWN_OPERATION);
    }
}
