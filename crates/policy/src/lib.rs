//! `xacct-policy`: the AWS IAM policy language and its evaluation logic, as a pure library.
//!
//! - [`Policy::parse`] parses a JSON policy document, validates it the way IAM does for its
//!   [`PolicyKind`] (refusing with IAM's own `MalformedPolicyDocument` message text), and
//!   compiles it for fast evaluation.
//! - [`evaluate`] decides a [`Request`] against a [`PolicySet`] with AWS's documented logic
//!   (explicit deny, SCPs and RCPs per organization level, permissions boundaries, session
//!   policies, same-account and cross-account rules) and returns a [`Decision`] carrying the
//!   statements that decided it and AWS's "because …" clause.
//! - [`cli::evaluate_json`] runs one decision described as JSON (for `xacct policy evaluate`).
//!
//! No IO, no clock: time and everything else about the request come in the [`Context`].
//!
//! ```
//! use xacct_policy::{evaluate, Context, Policy, PolicyKind, PolicySet, Principal, Request};
//!
//! let identity = Policy::parse(
//!     r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole",
//!         "Resource":"arn:aws:iam::999999999999:role/UpdateApp"}}"#,
//!     PolicyKind::Identity,
//! )?
//! .with_label("AllowAssumeUpdateApp");
//! let trust = Policy::parse(
//!     r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
//!         "Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}}"#,
//!     PolicyKind::Trust,
//! )?;
//! let context = Context::new().with("aws:SecureTransport", "true");
//! let request = Request {
//!     principal: Principal::user("arn:aws:iam::111111111111:user/David", "111111111111"),
//!     action: "sts:AssumeRole",
//!     resource: "arn:aws:iam::999999999999:role/UpdateApp",
//!     resource_account: Some("999999999999"),
//!     context: &context,
//! };
//! let policies = PolicySet {
//!     identity: &[&identity],
//!     resource: Some(&trust),
//!     resource_policy_required: true, // a role trust policy must allow
//!     ..PolicySet::default()
//! };
//! let decision = evaluate(&request, &policies);
//! assert!(decision.is_allowed());
//! assert_eq!(&*decision.matched[0].policy, "AllowAssumeUpdateApp");
//! # Ok::<(), xacct_policy::PolicyError>(())
//! ```

mod arn;
pub mod cli;
mod condition;
mod context;
mod error;
mod eval;
mod glob;
mod parse;
mod policy;
mod principal;
mod template;

pub use arn::ArnParts;
pub use context::Context;
pub use error::{PolicyError, PolicyErrorCode};
pub use eval::{evaluate, Decision, Effect, MatchedStatement, PolicySet, PolicyType, Request};
pub use policy::{ParseOptions, Policy, PolicyKind, StatementEffect, Version};
pub use principal::{Principal, PrincipalKind};

/// IAM's wildcard matching: `*` matches any run of characters (including `/` and `:`), `?`
/// exactly one. `fold_case` compares ASCII case-insensitively (as for actions).
pub fn wildcard_match(pattern: &str, text: &str, fold_case: bool) -> bool {
    let folded;
    let pattern = if fold_case {
        folded = pattern.to_ascii_lowercase();
        folded.as_str()
    } else {
        pattern
    };
    glob::wildcard_match(pattern, text, fold_case)
}

/// Size of a policy document as IAM counts it against quotas (whitespace excluded).
pub fn policy_size(document: &str) -> usize {
    parse::policy_size(document)
}
