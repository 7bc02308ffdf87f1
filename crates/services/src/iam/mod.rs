//! AWS IAM (query protocol): one function per operation, named as AWS names it.

pub mod aws_managed;
pub mod model;

use serde_json::Value;

use crate::{unknown_operation, Call, ServiceError, Services};

pub(crate) fn dispatch(_services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    Err(unknown_operation(call))
}
