//! Authorization of every operation: each service's `actions.rs` turns an operation call into
//! the [`ActionRequest`]s it needs (action, resource ARN, condition keys); this module gathers the
//! policies that apply (the caller's identity policies, boundary, session policies, SCPs of the
//! account's organization path, the resource's policy) and asks `xacct-policy` to decide.

/// A condition key's value in the request context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    One(String),
    Many(Vec<String>),
}

/// One permission an operation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// The IAM action, e.g. `iam:CreateRole`.
    pub action: &'static str,
    /// The resource ARN (or `*` for actions without a resource).
    pub resource: String,
    /// The account owning the resource; `None` for `*`.
    pub resource_account: Option<String>,
    /// Operation-specific condition keys (`iam:PassedToService`, `aws:RequestTag/…`, …).
    pub context: Vec<(String, ContextValue)>,
}

impl ActionRequest {
    /// A request for `action` on `resource` owned by `account`.
    pub fn new(action: &'static str, resource: impl Into<String>, account: Option<&str>) -> Self {
        ActionRequest {
            action,
            resource: resource.into(),
            resource_account: account.map(str::to_owned),
            context: Vec::new(),
        }
    }
}
