//! Access keys of IAM users (at most two each, `Active`/`Inactive`) and of the root user when it
//! calls without `UserName`. Keys live in `accounts::ACCESS_KEYS`, so SigV4 authentication sees
//! a new key at once; every change invalidates the key cache.

use serde_json::{json, Value};

use super::load_user;
use crate::accounts::{self, AccessKeyRecord, KeyOwner, ACCESS_KEYS};
use crate::iam::common::{empty, opt, required, with_paging, Paging};
use crate::iam::error;
use crate::iam::model::{entity_key, UserRecord, USERS};
use crate::{ids, Call, ServiceError, Services};

/// Access keys per user (AWS's fixed quota); the root user has the same limit.
pub const KEYS_PER_USER: usize = 2;

/// Whose keys an operation is about.
enum KeyHolder {
    User(Box<UserRecord>),
    Root,
}

fn holder(tx: &dyn xacct_store::ReadTx, call: &Call<'_>) -> Result<KeyHolder, ServiceError> {
    let account = &call.caller.account;
    let name = match opt(call, "UserName") {
        Some(n) => Some(n.to_owned()),
        None => super::implicit_user(call)?,
    };
    match name {
        Some(n) => Ok(KeyHolder::User(Box::new(load_user(tx, account, &n)?))),
        None => Ok(KeyHolder::Root),
    }
}

/// The root user's keys in `account`.
fn root_keys(
    tx: &dyn xacct_store::ReadTx,
    account: &str,
) -> Result<Vec<AccessKeyRecord>, ServiceError> {
    Ok(ACCESS_KEYS
        .scan(tx, "", None, usize::MAX)?
        .into_iter()
        .map(|(_, k)| k)
        .filter(|k| k.account_id == account && k.owner == KeyOwner::Root)
        .collect())
}

fn key_name(k: &AccessKeyRecord) -> Option<&str> {
    match &k.owner {
        KeyOwner::User { name, .. } => Some(name),
        KeyOwner::Root => None,
    }
}

fn key_not_found(id: &str) -> ServiceError {
    error::no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

/// The key `id` of `holder`, or `NoSuchEntity`.
fn holder_key(
    tx: &dyn xacct_store::ReadTx,
    account: &str,
    holder: &KeyHolder,
    id: &str,
) -> Result<AccessKeyRecord, ServiceError> {
    let key = ACCESS_KEYS
        .get(tx, id)?
        .filter(|k| k.account_id == account)
        .ok_or_else(|| key_not_found(id))?;
    let belongs = match (holder, &key.owner) {
        (KeyHolder::User(u), KeyOwner::User { user_id, .. }) => *user_id == u.user_id,
        (KeyHolder::Root, KeyOwner::Root) => true,
        _ => false,
    };
    if !belongs {
        return Err(key_not_found(id));
    }
    Ok(key)
}

pub fn create_access_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let record = match holder(&*tx, call)? {
        KeyHolder::User(mut user) => {
            if user.access_keys.len() >= KEYS_PER_USER {
                return Err(error::quota("AccessKeysPerUser", KEYS_PER_USER));
            }
            let record = AccessKeyRecord {
                access_key_id: ids::unique_id("AKIA")?,
                secret_access_key: ids::secret_access_key()?,
                account_id: account.clone(),
                owner: KeyOwner::User {
                    name: user.user_name.clone(),
                    user_id: user.user_id.clone(),
                    path: user.path.clone(),
                },
                status: "Active".to_owned(),
                create_date: now,
            };
            if !ACCESS_KEYS.insert_new(&mut *tx, &record.access_key_id, &record)? {
                return Err(ServiceError::internal("access key id collision"));
            }
            user.access_keys.push(record.access_key_id.clone());
            USERS.put(&mut *tx, &entity_key(account, &user.user_name), &user)?;
            record
        }
        KeyHolder::Root => {
            if root_keys(&*tx, account)?.len() >= KEYS_PER_USER {
                return Err(error::quota("AccessKeysPerUser", KEYS_PER_USER));
            }
            let new = accounts::create_root_key(&mut *tx, account, now, None)?;
            ACCESS_KEYS
                .get(&*tx, &new.access_key_id)?
                .ok_or_else(|| ServiceError::internal("root key vanished"))?
        }
    };
    tx.commit()?;
    services.key_cache().invalidate(&record.access_key_id);
    let mut key = json!({
        "AccessKeyId": record.access_key_id,
        "Status": record.status,
        "SecretAccessKey": record.secret_access_key,
        "CreateDate": record.create_date,
    });
    if let (Some(name), Some(obj)) = (key_name(&record), key.as_object_mut()) {
        obj.insert("UserName".into(), json!(name));
    }
    Ok(json!({ "AccessKey": key }))
}

pub fn update_access_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let id = required(call, "AccessKeyId")?;
    let status = required(call, "Status")?;
    if status != "Active" && status != "Inactive" {
        return Err(error::validation(
            status,
            "status",
            "Member must satisfy enum value set: [Active, Inactive]",
        ));
    }
    let mut tx = services.store().write()?;
    let h = holder(&*tx, call)?;
    let mut key = holder_key(&*tx, account, &h, id)?;
    key.status = status.to_owned();
    ACCESS_KEYS.put(&mut *tx, id, &key)?;
    tx.commit()?;
    services.key_cache().invalidate(id);
    Ok(empty())
}

pub fn delete_access_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let id = required(call, "AccessKeyId")?;
    let mut tx = services.store().write()?;
    let h = holder(&*tx, call)?;
    holder_key(&*tx, account, &h, id)?;
    ACCESS_KEYS.delete(&mut *tx, id)?;
    if let KeyHolder::User(mut user) = h {
        user.access_keys.retain(|k| k != id);
        USERS.put(&mut *tx, &entity_key(account, &user.user_name), &user)?;
    }
    tx.commit()?;
    services.key_cache().invalidate(id);
    Ok(empty())
}

pub fn list_access_keys(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let paging = Paging::from_call(call)?;
    let tx = services.store().read()?;
    let keys: Vec<AccessKeyRecord> = match holder(&*tx, call)? {
        KeyHolder::User(user) => {
            let mut out = Vec::new();
            for id in &user.access_keys {
                if let Some(k) = ACCESS_KEYS.get(&*tx, id)? {
                    out.push(k);
                }
            }
            out
        }
        KeyHolder::Root => root_keys(&*tx, account)?,
    };
    let items: Vec<(String, Value)> = keys
        .iter()
        .map(|k| {
            let mut v = json!({
                "AccessKeyId": k.access_key_id,
                "Status": k.status,
                "CreateDate": k.create_date,
            });
            if let (Some(name), Some(obj)) = (key_name(k), v.as_object_mut()) {
                obj.insert("UserName".into(), json!(name));
            }
            (k.access_key_id.clone(), v)
        })
        .collect();
    let (page, next) = paging.page(items);
    Ok(with_paging(json!({ "AccessKeyMetadata": page }), next))
}

/// `GetAccessKeyLastUsed`: xacct does not record key use, so it answers as AWS does for a key
/// never used (`N/A` service and region, no date).
pub fn get_access_key_last_used(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let id = required(call, "AccessKeyId")?;
    let tx = services.store().read()?;
    let key = ACCESS_KEYS
        .get(&*tx, id)?
        .filter(|k| k.account_id == call.caller.account)
        .ok_or_else(|| {
            ServiceError::client(
                "AccessDenied",
                403,
                "The specified access key ID does not belong to your account or is not valid.",
            )
        })?;
    let mut out = json!({ "AccessKeyLastUsed": { "ServiceName": "N/A", "Region": "N/A" } });
    if let (Some(name), Some(obj)) = (key_name(&key), out.as_object_mut()) {
        obj.insert("UserName".into(), json!(name));
    }
    Ok(out)
}
