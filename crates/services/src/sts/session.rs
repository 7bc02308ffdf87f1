//! What a temporary-credential session carries, and the sealed session token that carries it.
//! Sessions are stateless: nothing is stored per session. The token is the session context,
//! serialized and sealed with XChaCha20-Poly1305 under a server key; the temporary secret is
//! derived from the access key id with HMAC-SHA256 under the same server key, so any node that
//! shares the store can verify any session.
//!
//! Token layout (then base64url without padding): `version (1) ‖ nonce (24) ‖ ciphertext+tag`,
//! with the access key id as associated data, so a token presented with another access key id
//! does not open.
//!
//! Security: the server key never leaves this module except as derived subkeys; secrets are
//! compared in constant time; nothing here logs.

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{ids, Caller, PrincipalKind, ServiceError};

/// Who called `GetSessionToken`: the long-term principal a non-role session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    /// `true` for the account's root user, `false` for an IAM user.
    pub root: bool,
    /// The principal's ARN.
    pub arn: String,
    /// `aws:userid`: the account id for root, `AIDA…` for a user.
    pub user_id: String,
    /// The user's name (empty for root).
    pub name: String,
}

/// The context of a session (assumed role or `GetSessionToken`), sealed into its token.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionContext {
    /// The account the session acts in (the role's account).
    #[serde(default)]
    pub account: String,
    /// The temporary access key id (`ASIA…`) the token is bound to.
    #[serde(default)]
    pub access_key_id: String,
    /// Role sessions: the role's ARN (`arn:aws:iam::ACCT:role/PATH/NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Role sessions: the role's unique id (`AROA…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    /// Role sessions: the role's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// Role sessions: the session name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// Epoch seconds.
    pub issued_at: i64,
    /// Epoch seconds.
    pub expires_at: i64,
    /// The inline session policy document (`Policy`), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_policies: Vec<String>,
    /// Managed session policies (`PolicyArns`), resolved in the session's account on each use
    /// (their documents can be far larger than a token should be).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_policy_arns: Vec<String>,
    /// Session tags (key, value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// Tag keys that pass on when this session assumes another role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// Whether the session was created with MFA.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mfa_authenticated: bool,
    /// 0 for a session made with long-term credentials; +1 per role chaining hop.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub chain_depth: u32,
    /// `GetSessionToken` and `GetFederationToken` sessions: the user or root who asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<Issuer>,
    /// `GetFederationToken` sessions: the federated user's name (`Name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated_name: Option<String>,
    /// Sessions an AWS service assumed to act for a customer (never sealed into a token): the
    /// service principal, e.g. `proton.amazonaws.com` (CloudTrail's `invokedBy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl SessionContext {
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` for a role session (the role's path is
    /// not part of it, as in AWS).
    pub fn assumed_role_arn(&self) -> Option<String> {
        let role = self.role_name.as_deref()?;
        let session = self.session_name.as_deref()?;
        Some(format!("arn:aws:sts::{}:assumed-role/{role}/{session}", self.account))
    }

    /// The caller these credentials authenticate.
    pub fn caller(self: &std::sync::Arc<Self>) -> Caller {
        let session = Some(std::sync::Arc::clone(self));
        if let Some(name) = &self.federated_name {
            return Caller {
                kind: PrincipalKind::FederatedUser,
                account: self.account.clone(),
                arn: format!("arn:aws:sts::{}:federated-user/{name}", self.account),
                user_id: format!("{}:{name}", self.account),
                access_key_id: self.access_key_id.clone(),
                name: String::new(),
                session,
            };
        }
        match (&self.issuer, self.assumed_role_arn()) {
            (Some(issuer), _) => Caller {
                kind: if issuer.root { PrincipalKind::Root } else { PrincipalKind::IamUser },
                account: self.account.clone(),
                arn: issuer.arn.clone(),
                user_id: issuer.user_id.clone(),
                access_key_id: self.access_key_id.clone(),
                name: issuer.name.clone(),
                session,
            },
            (None, Some(arn)) => Caller {
                kind: PrincipalKind::AssumedRole,
                account: self.account.clone(),
                arn,
                user_id: format!(
                    "{}:{}",
                    self.role_id.as_deref().unwrap_or_default(),
                    self.session_name.as_deref().unwrap_or_default()
                ),
                access_key_id: self.access_key_id.clone(),
                name: String::new(),
                session,
            },
            // A context without role or issuer is never sealed; treat it as the account.
            (None, None) => Caller { session, ..Caller::root(&self.account, &self.access_key_id) },
        }
    }
}

/// Why a session token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// Unknown, forged, tampered with, or used with another access key id.
    Invalid,
    /// Authentic but past its expiry.
    Expired,
    /// The server could not check it (store failure).
    Internal(ServiceError),
}

/// The server key, split into one subkey per use.
pub struct SessionKeys {
    seal: [u8; 32],
    secret: [u8; 32],
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(..)")
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(key) {
        mac.update(data);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

const TOKEN_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

impl SessionKeys {
    /// Derives the subkeys from the 32-byte server key.
    pub fn new(master: &[u8; 32]) -> SessionKeys {
        SessionKeys {
            seal: hmac(master, b"xacct sts session token seal v1"),
            secret: hmac(master, b"xacct sts session secret v1"),
        }
    }

    /// The temporary secret access key of `access_key_id`: 40 characters of AWS's secret
    /// alphabet, a pure function of the key id and the server key.
    pub fn derived_secret(&self, access_key_id: &str) -> String {
        let mac = hmac(&self.secret, access_key_id.as_bytes());
        let mut s = STANDARD_NO_PAD.encode(mac);
        s.truncate(40);
        s
    }

    /// Whether `presented` is the derived secret of `access_key_id` (constant time).
    pub fn secret_matches(&self, access_key_id: &str, presented: &str) -> bool {
        let expected = self.derived_secret(access_key_id);
        expected.as_bytes().ct_eq(presented.as_bytes()).into()
    }

    /// Seals `context` into a session token bound to `context.access_key_id`.
    pub fn seal(&self, context: &SessionContext) -> Result<String, ServiceError> {
        let plain = serde_json::to_vec(context)
            .map_err(|e| ServiceError::internal(format!("session encode: {e}")))?;
        // The nonce travels in the token (public); it must only never repeat.
        let nonce_bytes = ids::public_random_bytes::<NONCE_LEN>()?;
        let cipher = XChaCha20Poly1305::new((&self.seal).into());
        let aad = aad(&context.access_key_id);
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce_bytes), Payload { msg: &plain, aad: &aad })
            .map_err(|_| ServiceError::internal("session seal failed"))?;
        let mut blob = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        blob.push(TOKEN_VERSION);
        blob.extend_from_slice(&nonce_bytes);
        blob.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(blob))
    }

    /// Opens `token` presented with `access_key_id` and checks it has not expired at `now`.
    pub fn open(
        &self,
        access_key_id: &str,
        token: &str,
        now: i64,
    ) -> Result<SessionContext, SessionError> {
        // Far above any real token; refuses absurd inputs before decoding them.
        if token.len() > 16 * 1024 {
            return Err(SessionError::Invalid);
        }
        let blob = URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .map_err(|_| SessionError::Invalid)?;
        let (version, rest) = blob.split_first().ok_or(SessionError::Invalid)?;
        if *version != TOKEN_VERSION || rest.len() < NONCE_LEN + 16 {
            return Err(SessionError::Invalid);
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new((&self.seal).into());
        let aad = aad(access_key_id);
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
            .map_err(|_| SessionError::Invalid)?;
        let context: SessionContext =
            serde_json::from_slice(&plain).map_err(|_| SessionError::Invalid)?;
        if context.access_key_id != access_key_id {
            return Err(SessionError::Invalid);
        }
        if now >= context.expires_at {
            return Err(SessionError::Expired);
        }
        Ok(context)
    }
}

fn aad(access_key_id: &str) -> Vec<u8> {
    let mut v = b"xacct-sts-v1:".to_vec();
    v.extend_from_slice(access_key_id.as_bytes());
    v
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A temporary access key id: `ASIA` + 16 base32 characters whose first 48 bits hold the
/// account id shifted left by 7 (the layout AWS's own key ids use, so [`account_of_key_id`]
/// answers `GetAccessKeyInfo` without state); the rest is random.
pub fn temporary_access_key_id(account: &str) -> Result<String, ServiceError> {
    let account: u64 = account
        .parse()
        .map_err(|_| ServiceError::internal(format!("account id `{account}` is not numeric")))?;
    // Key ids are public.
    let random = ids::public_random_bytes::<5>()?;
    let [r0, r1, r2, r3, r4] = random;
    let head = (account << 7) | u64::from(r0 & 0x7f);
    let mut bytes = [0u8; 10];
    for (i, b) in bytes.iter_mut().take(6).enumerate() {
        *b = (head >> (8 * (5 - i))) as u8;
    }
    bytes[6..].copy_from_slice(&[r1, r2, r3, r4]);
    Ok(format!("ASIA{}", base32_encode(&bytes)))
}

fn base32_encode(bytes: &[u8; 10]) -> String {
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(*b);
    }
    (0..16)
        .map(|i| {
            let idx = ((bits >> (75 - 5 * i)) & 0x1f) as usize;
            char::from(BASE32.get(idx).copied().unwrap_or(b'A'))
        })
        .collect()
}

/// The account encoded in an access key id (`AKIA…`/`ASIA…` + base32): the first 48 bits of
/// the decoded suffix, masked with `0x7fff_ffff_ff80` and shifted right by 7. `None` when the
/// suffix is not base32 or too short.
pub fn account_of_key_id(access_key_id: &str) -> Option<String> {
    let suffix = access_key_id.get(4..)?;
    if suffix.len() < 10 {
        return None;
    }
    let mut head: u64 = 0;
    let mut nbits = 0;
    for c in suffix.bytes() {
        let v = BASE32.iter().position(|b| *b == c)?;
        head = (head << 5) | v as u64;
        nbits += 5;
        if nbits >= 50 {
            break;
        }
    }
    let first48 = head >> (nbits - 48);
    Some(format!("{:012}", (first48 & 0x7fff_ffff_ff80) >> 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> SessionKeys {
        SessionKeys::new(&[7u8; 32])
    }

    fn context(akid: &str) -> SessionContext {
        SessionContext {
            account: "999999999999".into(),
            access_key_id: akid.into(),
            role_arn: Some("arn:aws:iam::999999999999:role/UpdateApp".into()),
            role_id: Some("AROAEXAMPLEEXAMPLE01".into()),
            role_name: Some("UpdateApp".into()),
            session_name: Some("David-ProdUpdate".into()),
            issued_at: 1_000,
            expires_at: 4_600,
            session_policies: vec!["{}".into()],
            session_policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            tags: vec![("Project".into(), "prod".into())],
            transitive_tag_keys: vec!["Project".into()],
            source_identity: Some("david".into()),
            mfa_authenticated: true,
            chain_depth: 0,
            issuer: None,
            federated_name: None,
            invoked_by: None,
        }
    }

    #[test]
    fn seal_open_round_trip() {
        let k = keys();
        let akid = temporary_access_key_id("999999999999").unwrap();
        let ctx = context(&akid);
        let token = k.seal(&ctx).unwrap();
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(k.open(&akid, &token, 1_000).unwrap(), ctx);
        // Two seals of the same context differ (fresh nonce) and both open.
        let again = k.seal(&ctx).unwrap();
        assert_ne!(token, again);
        assert_eq!(k.open(&akid, &again, 4_599).unwrap(), ctx);
    }

    #[test]
    fn tampered_foreign_or_other_key_id_is_invalid() {
        let k = keys();
        let akid = temporary_access_key_id("999999999999").unwrap();
        let token = k.seal(&context(&akid)).unwrap();
        let mut bytes = token.clone().into_bytes();
        let mid = bytes.len() / 2;
        bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(k.open(&akid, &tampered, 1_000), Err(SessionError::Invalid));
        let other = temporary_access_key_id("999999999999").unwrap();
        assert_eq!(k.open(&other, &token, 1_000), Err(SessionError::Invalid));
        let foreign = SessionKeys::new(&[8u8; 32]);
        assert_eq!(foreign.open(&akid, &token, 1_000), Err(SessionError::Invalid));
        for junk in ["", "x", "AQ", &"A".repeat(20_000), "!!!!"] {
            assert_eq!(k.open(&akid, junk, 1_000), Err(SessionError::Invalid));
        }
    }

    #[test]
    fn expiry_is_enforced() {
        let k = keys();
        let akid = temporary_access_key_id("999999999999").unwrap();
        let token = k.seal(&context(&akid)).unwrap();
        assert!(k.open(&akid, &token, 4_599).is_ok());
        assert_eq!(k.open(&akid, &token, 4_600), Err(SessionError::Expired));
        assert_eq!(k.open(&akid, &token, 100_000), Err(SessionError::Expired));
    }

    #[test]
    fn derived_secret_is_stable_and_key_bound() {
        let k = keys();
        let a = k.derived_secret("ASIAAAAAAAAAAAAAAAAA");
        assert_eq!(a.len(), 40);
        assert_eq!(a, keys().derived_secret("ASIAAAAAAAAAAAAAAAAA"));
        assert_ne!(a, k.derived_secret("ASIAAAAAAAAAAAAAAAAB"));
        assert_ne!(a, SessionKeys::new(&[9u8; 32]).derived_secret("ASIAAAAAAAAAAAAAAAAA"));
        assert!(k.secret_matches("ASIAAAAAAAAAAAAAAAAA", &a));
        assert!(!k.secret_matches("ASIAAAAAAAAAAAAAAAAA", &a[..39]));
    }

    #[test]
    fn key_ids_encode_their_account() {
        for account in ["999999999999", "111111111111", "000000000000", "123456789012"] {
            let id = temporary_access_key_id(account).unwrap();
            assert_eq!(id.len(), 20);
            assert!(id.starts_with("ASIA"));
            assert_eq!(account_of_key_id(&id).as_deref(), Some(account), "{id}");
        }
        // A published example: AWS's decoding of ASIAY34FZKBOKMUTVV7A is 609629065308.
        assert_eq!(account_of_key_id("ASIAY34FZKBOKMUTVV7A").as_deref(), Some("609629065308"));
        assert_eq!(account_of_key_id("AKIA"), None);
        assert_eq!(account_of_key_id("AKIA0000000000000000"), None);
    }

    #[test]
    fn session_callers() {
        let ctx = std::sync::Arc::new(context("ASIAX"));
        let c = ctx.caller();
        assert_eq!(c.kind, PrincipalKind::AssumedRole);
        assert_eq!(c.arn, "arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate");
        assert_eq!(c.user_id, "AROAEXAMPLEEXAMPLE01:David-ProdUpdate");
        let mut user = context("ASIAY");
        user.issuer = Some(Issuer {
            root: false,
            arn: "arn:aws:iam::111111111111:user/David".into(),
            user_id: "AIDAEXAMPLE".into(),
            name: "David".into(),
        });
        let c = std::sync::Arc::new(user).caller();
        assert_eq!(c.kind, PrincipalKind::IamUser);
        assert_eq!(c.arn, "arn:aws:iam::111111111111:user/David");
        assert!(c.session.is_some());
    }
}
