//! Accounts and their long-term credentials: account records, access keys (root keys now, IAM
//! user keys with the IAM issue), the bootstrap of the management account, and a read-through
//! cache of access keys that SigV4 verification consults on every request.
//!
//! Security: secret access keys live in the store (the data directory is private to the server)
//! and in this cache; they are never logged and never leave through an API except the one-time
//! answer that creates them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use xacct_store::{Store, Table, WriteTx};

use crate::{ids, Caller, PrincipalKind, ServiceError};

/// An AWS account known to xacct.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountRecord {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `ACTIVE`, `SUSPENDED` or `PENDING_CLOSURE` (Organizations' `AccountStatus`).
    pub status: String,
    /// `CREATED` or `INVITED`; the management account is `INVITED` into its own organization
    /// as AWS shows it.
    pub joined_method: String,
    /// Epoch seconds.
    pub joined_timestamp: f64,
}

/// Who an access key belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind")]
pub enum KeyOwner {
    /// The account's root user.
    Root,
    /// An IAM user (name and unique id).
    User { name: String, user_id: String, path: String },
}

/// A long-term access key.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
    pub owner: KeyOwner,
    /// `Active` or `Inactive`.
    pub status: String,
    /// Epoch seconds.
    pub create_date: f64,
}

impl std::fmt::Debug for AccessKeyRecord {
    // The secret never reaches a log line through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .field("owner", &self.owner)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Accounts, keyed by account id.
pub const ACCOUNTS: Table<AccountRecord> = Table::new("accounts", 1);
/// Access keys, keyed by access key id.
pub const ACCESS_KEYS: Table<AccessKeyRecord> = Table::new("access_keys", 1);

/// A verified-ready key: the secret to check a signature with and the caller it stands for.
#[derive(Clone)]
pub struct ResolvedKey {
    pub secret_access_key: String,
    pub active: bool,
    pub caller: Caller,
}

impl std::fmt::Debug for ResolvedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedKey")
            .field("active", &self.active)
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

impl AccessKeyRecord {
    /// The caller this key authenticates.
    pub fn caller(&self) -> Caller {
        match &self.owner {
            KeyOwner::Root => Caller::root(&self.account_id, &self.access_key_id),
            KeyOwner::User { name, user_id, path } => Caller {
                kind: PrincipalKind::IamUser,
                account: self.account_id.clone(),
                arn: format!("arn:aws:iam::{}:user{}{}", self.account_id, path, name),
                user_id: user_id.clone(),
                access_key_id: self.access_key_id.clone(),
                name: name.clone(),
                session: None,
            },
        }
    }
}

/// Read-through cache of access keys by id. Entries are dropped whenever a key is written.
#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<String, Arc<ResolvedKey>>>,
}

impl KeyCache {
    /// The cached entry, or the store's, cached for next time. `None` for an unknown key.
    pub fn resolve(
        &self,
        store: &dyn Store,
        access_key_id: &str,
    ) -> Result<Option<Arc<ResolvedKey>>, ServiceError> {
        if let Ok(map) = self.entries.read() {
            if let Some(hit) = map.get(access_key_id) {
                return Ok(Some(Arc::clone(hit)));
            }
        }
        let tx = store.read()?;
        let Some(record) = ACCESS_KEYS.get(&*tx, access_key_id)? else {
            return Ok(None);
        };
        let resolved = Arc::new(ResolvedKey {
            active: record.status == "Active",
            caller: record.caller(),
            secret_access_key: record.secret_access_key,
        });
        if let Ok(mut map) = self.entries.write() {
            map.insert(access_key_id.to_owned(), Arc::clone(&resolved));
        }
        Ok(Some(resolved))
    }

    /// Forgets one key (after it was changed or deleted).
    pub fn invalidate(&self, access_key_id: &str) {
        if let Ok(mut map) = self.entries.write() {
            map.remove(access_key_id);
        }
    }

    /// Forgets every key.
    pub fn clear(&self) {
        if let Ok(mut map) = self.entries.write() {
            map.clear();
        }
    }
}

/// A freshly created access key, returned once to whoever asked for it.
#[derive(Clone, PartialEq)]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for NewAccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccessKey")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Creates a root access key for `account_id` inside `tx`.
pub fn create_root_key(
    tx: &mut dyn WriteTx,
    account_id: &str,
    now: f64,
    given: Option<NewAccessKey>,
) -> Result<NewAccessKey, ServiceError> {
    let key = match given {
        Some(k) => k,
        None => NewAccessKey {
            access_key_id: ids::unique_id("AKIA")?,
            secret_access_key: ids::secret_access_key()?,
        },
    };
    let record = AccessKeyRecord {
        access_key_id: key.access_key_id.clone(),
        secret_access_key: key.secret_access_key.clone(),
        account_id: account_id.to_owned(),
        owner: KeyOwner::Root,
        status: "Active".to_owned(),
        create_date: now,
    };
    if !ACCESS_KEYS.insert_new(tx, &key.access_key_id, &record)? {
        return Err(ServiceError::client(
            "EntityAlreadyExists",
            409,
            format!("Access key `{}` already exists.", key.access_key_id),
        ));
    }
    Ok(key)
}
