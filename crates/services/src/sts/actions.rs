//! STS operation → the permissions it needs before it runs (AWS Service Authorization
//! Reference, "AWS Security Token Service").
//!
//! - `GetCallerIdentity` needs none: AWS documents that no policy can deny it.
//! - `GetSessionToken` needs none: it is an authentication operation.
//! - `AssumeRole` is authorized inside its handler, because its decision needs the role's trust
//!   policy as a required resource policy and the request's own condition keys
//!   (`sts:ExternalId`, MFA, tags); see [`super::assume_role`].
//! - `GetAccessKeyInfo` needs `sts:GetAccessKeyInfo` on `*`.
//! - `GetFederationToken` needs `sts:GetFederationToken` on the federated user
//!   (`arn:aws:sts::ACCOUNT:federated-user/NAME`), and `sts:TagSession` when it passes tags.
//!   UNVERIFIED: the resource form; the Service Authorization Reference was not at hand, and a
//!   policy naming `Resource: "*"` (the common case) matches either way.

use crate::authz::{ActionRequest, ContextValue};
use crate::{Call, ServiceError};

/// The permissions `call` needs before its handler runs.
pub fn requests(call: &Call<'_>) -> Result<Vec<ActionRequest>, ServiceError> {
    Ok(match call.operation {
        "GetAccessKeyInfo" => {
            vec![ActionRequest::new("sts:GetAccessKeyInfo", "*", None)]
        }
        "GetFederationToken" => {
            let name = crate::input_str(call.input, "Name").unwrap_or_default();
            let account = call.caller.account.as_str();
            let arn = format!("arn:aws:sts::{account}:federated-user/{name}");
            let tags: Vec<(String, String)> = call
                .input
                .get("Tags")
                .and_then(serde_json::Value::as_array)
                .map(|l| {
                    l.iter()
                        .map(|t| {
                            let s = |m| crate::input_str(t, m).unwrap_or_default().to_owned();
                            (s("Key"), s("Value"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut get = ActionRequest::new("sts:GetFederationToken", arn.clone(), Some(account));
            let mut out = Vec::new();
            if !tags.is_empty() {
                let keys: Vec<String> = tags.iter().map(|(k, _)| k.clone()).collect();
                let mut tag = ActionRequest::new("sts:TagSession", arn, Some(account));
                for (k, v) in &tags {
                    let key = format!("aws:RequestTag/{k}");
                    get = get.with(key.clone(), ContextValue::One(v.clone()));
                    tag = tag.with(key, ContextValue::One(v.clone()));
                }
                get = get.with("aws:TagKeys", ContextValue::Many(keys.clone()));
                tag = tag.with("aws:TagKeys", ContextValue::Many(keys));
                out.push(tag);
            }
            out.insert(0, get);
            out
        }
        // Authorized in the handler (trust policy) or needing no permission.
        "AssumeRole" | "GetCallerIdentity" | "GetSessionToken" => Vec::new(),
        // Unknown operations are refused by dispatch.
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Caller;
    use serde_json::json;

    fn call_of(operation: &str) -> Vec<ActionRequest> {
        let caller = Caller::root("111111111111", "AKIA");
        let input = json!({});
        let call = crate::test_support::call("sts", operation, "us-east-1", &caller, &input);
        requests(&call).unwrap()
    }

    #[test]
    fn table() {
        assert!(call_of("GetCallerIdentity").is_empty());
        assert!(call_of("GetSessionToken").is_empty());
        assert!(call_of("AssumeRole").is_empty());
        let info = call_of("GetAccessKeyInfo");
        assert_eq!(info.len(), 1);
        assert_eq!(info[0].action, "sts:GetAccessKeyInfo");
        assert_eq!(info[0].resource, "*");
    }
}
