//! CloudTrail operation → the permissions it needs, after AWS's Service Authorization Reference
//! ("Actions, resources, and condition keys for AWS CloudTrail"): `LookupEvents`, `ListTrails`
//! and `DescribeTrails` act on `*`; every trail operation on the trail's ARN
//! (`arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`, from the name in the call's region or the
//! ARN given); `CreateTrail` and `AddTags` add `aws:RequestTag/…` and `aws:TagKeys`,
//! `RemoveTags` `aws:TagKeys`; `ListTags` needs `cloudtrail:ListTags` on each ARN listed.

use serde_json::Value;

use super::model::trail_arn;
use crate::authz::{ActionRequest, ContextValue};
use crate::{input_str, Call, ServiceError};

/// Where an operation's trail comes from.
#[derive(Debug, Clone, Copy)]
enum Res {
    Star,
    /// A trail name or ARN in this member.
    Trail(&'static str),
    /// Every ARN of `ResourceIdList`.
    EachResourceId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    None,
    /// `aws:RequestTag/…`, `aws:TagKeys` from this tag list member.
    Tags(&'static str),
    /// `aws:TagKeys` from the keys of this tag list member.
    Untag(&'static str),
}

fn entry(operation: &str) -> Option<(&'static str, Res, Keys)> {
    use Res::{EachResourceId, Star, Trail};
    let name = Trail("Name");
    let trail_name = Trail("TrailName");
    Some(match operation {
        "LookupEvents" => ("cloudtrail:LookupEvents", Star, Keys::None),
        "ListTrails" => ("cloudtrail:ListTrails", Star, Keys::None),
        "DescribeTrails" => ("cloudtrail:DescribeTrails", Star, Keys::None),
        "CreateTrail" => ("cloudtrail:CreateTrail", name, Keys::Tags("TagsList")),
        "GetTrail" => ("cloudtrail:GetTrail", name, Keys::None),
        "GetTrailStatus" => ("cloudtrail:GetTrailStatus", name, Keys::None),
        "UpdateTrail" => ("cloudtrail:UpdateTrail", name, Keys::None),
        "DeleteTrail" => ("cloudtrail:DeleteTrail", name, Keys::None),
        "StartLogging" => ("cloudtrail:StartLogging", name, Keys::None),
        "StopLogging" => ("cloudtrail:StopLogging", name, Keys::None),
        "PutEventSelectors" => ("cloudtrail:PutEventSelectors", trail_name, Keys::None),
        "GetEventSelectors" => ("cloudtrail:GetEventSelectors", trail_name, Keys::None),
        "PutInsightSelectors" => ("cloudtrail:PutInsightSelectors", trail_name, Keys::None),
        "GetInsightSelectors" => ("cloudtrail:GetInsightSelectors", trail_name, Keys::None),
        "AddTags" => ("cloudtrail:AddTags", Trail("ResourceId"), Keys::Tags("TagsList")),
        "RemoveTags" => ("cloudtrail:RemoveTags", Trail("ResourceId"), Keys::Untag("TagsList")),
        "ListTags" => ("cloudtrail:ListTags", EachResourceId, Keys::None),
        _ => return None,
    })
}

/// The ARN a trail name or ARN stands for in `call` (a name is in the call's region).
pub fn arn_for(call: &Call<'_>, name_or_arn: &str) -> String {
    if name_or_arn.starts_with("arn:") {
        name_or_arn.to_owned()
    } else {
        trail_arn(call.region, &call.caller.account, name_or_arn)
    }
}

/// The account of a trail ARN (`None` when it is not one).
fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| crate::ids::is_account_id(a))
}

/// The permissions `call` needs before its handler runs.
pub fn requests(call: &Call<'_>) -> Result<Vec<ActionRequest>, ServiceError> {
    let Some((action, res, keys)) = entry(call.operation) else {
        return Err(crate::unknown_operation(call));
    };
    let input = call.input;
    let one = |arn: String| {
        let account = arn_account(&arn).map(str::to_owned);
        ActionRequest { resource_account: account, ..ActionRequest::new(action, arn, None) }
    };
    let mut requests = match res {
        Res::Star => vec![ActionRequest::new(action, "*", None)],
        Res::Trail(member) => {
            vec![one(arn_for(call, input_str(input, member).unwrap_or("*")))]
        }
        Res::EachResourceId => input
            .get("ResourceIdList")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter().filter_map(Value::as_str).map(|id| one(arn_for(call, id))).collect()
            })
            .unwrap_or_default(),
    };
    let tags: Vec<(String, String)> = match keys {
        Keys::None => Vec::new(),
        Keys::Tags(member) | Keys::Untag(member) => input
            .get(member)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|t| {
                        let k = input_str(t, "Key")?;
                        Some((k.to_owned(), input_str(t, "Value").unwrap_or_default().to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    if !tags.is_empty() {
        for r in &mut requests {
            if matches!(keys, Keys::Tags(_)) {
                for (k, v) in &tags {
                    r.context.push((format!("aws:RequestTag/{k}"), ContextValue::One(v.clone())));
                }
            }
            r.context.push((
                "aws:TagKeys".to_owned(),
                ContextValue::Many(tags.iter().map(|(k, _)| k.clone()).collect()),
            ));
        }
    }
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Caller;
    use serde_json::json;

    fn reqs(operation: &str, input: Value) -> Vec<ActionRequest> {
        let caller = Caller::root("111111111111", "AKIA");
        let call = Call {
            service: "cloudtrail",
            operation,
            region: "eu-west-1",
            caller: &caller,
            input: &input,
            request_id: "r",
            source_ip: "",
            user_agent: "",
            streams: None,
        };
        requests(&call).unwrap()
    }

    #[test]
    fn table() {
        let r = reqs("LookupEvents", json!({}));
        assert_eq!((r[0].action, r[0].resource.as_str()), ("cloudtrail:LookupEvents", "*"));
        let r = reqs("GetTrail", json!({"Name": "audit"}));
        assert_eq!(r[0].resource, "arn:aws:cloudtrail:eu-west-1:111111111111:trail/audit");
        assert_eq!(r[0].resource_account.as_deref(), Some("111111111111"));
        let arn = "arn:aws:cloudtrail:us-east-1:222222222222:trail/x";
        let r = reqs("StartLogging", json!({"Name": arn}));
        assert_eq!(
            (r[0].resource.as_str(), r[0].resource_account.as_deref()),
            (arn, Some("222222222222"))
        );
        let r =
            reqs("CreateTrail", json!({"Name": "t1", "TagsList": [{"Key": "team", "Value": "a"}]}));
        assert!(r[0]
            .context
            .contains(&("aws:RequestTag/team".into(), ContextValue::One("a".into()))));
        let r = reqs("RemoveTags", json!({"ResourceId": arn, "TagsList": [{"Key": "team"}]}));
        assert!(r[0].context.iter().all(|(k, _)| k == "aws:TagKeys"));
        let r = reqs("ListTags", json!({"ResourceIdList": [arn, "other"]}));
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].action, "cloudtrail:ListTags");
        assert_eq!(
            reqs("PutEventSelectors", json!({"TrailName": "t1"}))[0].action,
            "cloudtrail:PutEventSelectors"
        );
    }
}
