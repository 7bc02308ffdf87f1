//! AWS IAM. The records other services create today (the role `CreateAccount` makes in a new
//! member account) live in [`model`]; the IAM API itself arrives with the IAM/STS issue.

pub mod model;
