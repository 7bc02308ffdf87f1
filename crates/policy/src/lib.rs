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
