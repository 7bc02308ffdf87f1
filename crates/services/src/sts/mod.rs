//! AWS STS: one function per operation. Sessions (`AssumeRole`, …) arrive with the IAM/STS issue;
//! this module answers `GetCallerIdentity` for every caller it is given.

pub mod session;

use serde_json::{json, Value};

use crate::{unknown_operation, Call, ServiceError, Services};

pub(crate) fn dispatch(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    match call.operation {
        "GetCallerIdentity" => get_caller_identity(services, call),
        _ => Err(unknown_operation(call)),
    }
}

/// `GetCallerIdentity`: needs no permission (AWS documents that no policy can deny it).
pub fn get_caller_identity(_services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    Ok(json!({
        "UserId": call.caller.user_id,
        "Account": call.caller.account,
        "Arn": call.caller.arn,
    }))
}
