//! Typed access over the raw record store: [`Table`] descriptors naming a table, its record type
//! and current schema version, plus free functions for one-off typed reads and writes.
//!
//! Versioning: a record is written with its table's current version. Reading a record of an
//! older version runs the table's [`Upgrade`] hook when it has one (otherwise the JSON is decoded
//! as is, which suits additive changes with `#[serde(default)]`); reading a newer version than
//! the table knows is an error, so an old binary never misreads a newer record.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{ReadTx, Record, StoreError, WriteTx};

/// Turns the JSON of a record written at version `from` into the JSON of the current version,
/// or says in a short static reason why it cannot.
pub type Upgrade = fn(from: u32, old: serde_json::Value) -> Result<serde_json::Value, &'static str>;

/// A typed table: `const ROLES: Table<RoleRecord> = Table::new("roles", 1);`.
pub struct Table<T> {
    name: &'static str,
    version: u32,
    upgrade: Option<Upgrade>,
    // fn() -> T: the descriptor neither owns a T nor restricts Send/Sync.
    record: PhantomData<fn() -> T>,
}

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Table<T> {}

impl<T> std::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table").field("name", &self.name).field("version", &self.version).finish()
    }
}

impl<T> Table<T> {
    /// A table named `name` whose records are currently written at schema `version`.
    pub const fn new(name: &'static str, version: u32) -> Self {
        Table { name, version, upgrade: None, record: PhantomData }
    }

    /// The same table, upgrading records older than its version through `upgrade`.
    pub const fn with_upgrade(self, upgrade: Upgrade) -> Self {
        Table { upgrade: Some(upgrade), ..self }
    }

    /// The table's name in the store.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The schema version new records are written with.
    pub const fn version(&self) -> u32 {
        self.version
    }
}

impl<T: Serialize + DeserializeOwned> Table<T> {
    /// Reads and decodes the record at `key`, upgrading it if it is older.
    pub fn get<X: ReadTx + ?Sized>(&self, tx: &X, key: &str) -> Result<Option<T>, StoreError> {
        match tx.get(self.name, key)? {
            Some(record) => self.decode(key, &record).map(Some),
            None => Ok(None),
        }
    }

    /// Writes `value` at `key` with the table's current version.
    pub fn put<X: WriteTx + ?Sized>(
        &self,
        tx: &mut X,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        tx.put(self.name, key, &Record::encode(self.name, key, self.version, value)?)
    }

    /// Writes `value` at `key` only if the key is free; `false` if it was taken.
    pub fn insert_new<X: WriteTx + ?Sized>(
        &self,
        tx: &mut X,
        key: &str,
        value: &T,
    ) -> Result<bool, StoreError> {
        tx.insert_new(self.name, key, &Record::encode(self.name, key, self.version, value)?)
    }

    /// Removes the record at `key`; whether there was one.
    pub fn delete<X: WriteTx + ?Sized>(&self, tx: &mut X, key: &str) -> Result<bool, StoreError> {
        tx.delete(self.name, key)
    }

    /// Decoded records with `prefix`, after `after`, in key order, at most `limit`
    /// (see [`ReadTx::scan`]).
    pub fn scan<X: ReadTx + ?Sized>(
        &self,
        tx: &X,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, T)>, StoreError> {
        tx.scan(self.name, prefix, after, limit)?
            .into_iter()
            .map(|(key, record)| {
                let value = self.decode(&key, &record)?;
                Ok((key, value))
            })
            .collect()
    }

    /// Decodes `record` (stored at `key`) as the current version of `T`.
    pub fn decode(&self, key: &str, record: &Record) -> Result<T, StoreError> {
        if record.version > self.version {
            return Err(StoreError::UnknownVersion {
                table: self.name.to_owned(),
                key: key.to_owned(),
                found: record.version,
                supported: self.version,
            });
        }
        match self.upgrade {
            Some(upgrade) if record.version < self.version => {
                let old: serde_json::Value = record.decode(self.name, key)?;
                let new = upgrade(record.version, old).map_err(|reason| StoreError::Upgrade {
                    table: self.name.to_owned(),
                    key: key.to_owned(),
                    from: record.version,
                    reason,
                })?;
                T::deserialize(new)
                    .map_err(|e| StoreError::decode(self.name, key, record.version, &e))
            }
            _ => record.decode(self.name, key),
        }
    }
}

/// Reads and decodes the record at `table`/`key`, whatever its version.
pub fn get<T: DeserializeOwned, X: ReadTx + ?Sized>(
    tx: &X,
    table: &str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match tx.get(table, key)? {
        Some(record) => record.decode(table, key).map(Some),
        None => Ok(None),
    }
}

/// Serializes `value` and writes it at `table`/`key` with schema `version`.
pub fn put<T: Serialize + ?Sized, X: WriteTx + ?Sized>(
    tx: &mut X,
    table: &str,
    key: &str,
    version: u32,
    value: &T,
) -> Result<(), StoreError> {
    tx.put(table, key, &Record::encode(table, key, version, value)?)
}

/// Serializes `value` and writes it only if `table`/`key` is free; `false` if it was taken.
pub fn insert_new<T: Serialize + ?Sized, X: WriteTx + ?Sized>(
    tx: &mut X,
    table: &str,
    key: &str,
    version: u32,
    value: &T,
) -> Result<bool, StoreError> {
    tx.insert_new(table, key, &Record::encode(table, key, version, value)?)
}

/// [`ReadTx::scan`], decoding each record as `T`.
pub fn scan_typed<T: DeserializeOwned, X: ReadTx + ?Sized>(
    tx: &X,
    table: &str,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, T)>, StoreError> {
    tx.scan(table, prefix, after, limit)?
        .into_iter()
        .map(|(key, record)| {
            let value = record.decode(table, &key)?;
            Ok((key, value))
        })
        .collect()
}
