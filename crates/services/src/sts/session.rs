//! What a temporary-credential session carries (sealed into its session token, never stored).

/// The context of a session (assumed role or `GetSessionToken`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionContext {
    /// Role sessions: the role's ARN (`arn:aws:iam::ACCT:role/PATH/NAME`).
    pub role_arn: Option<String>,
    /// Role sessions: the session name.
    pub session_name: Option<String>,
    /// Epoch seconds.
    pub issued_at: i64,
    /// Epoch seconds.
    pub expires_at: i64,
    /// Session policy documents (inline `Policy` and the documents of `PolicyArns`).
    pub session_policies: Vec<String>,
    /// Session tags (key, value).
    pub tags: Vec<(String, String)>,
    /// Tag keys that pass on when this session assumes another role.
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    /// Whether the session was created with MFA.
    pub mfa_authenticated: bool,
    /// 0 for a session made with long-term credentials; +1 per role chaining hop.
    pub chain_depth: u32,
}
