//! The store's one error type.
//!
//! Security: records can hold secrets (access keys, sealed-token keys), so no variant carries
//! record contents, and decode failures keep only serde's error category and position, never
//! its message (which quotes the offending value).

use std::path::PathBuf;

/// Everything that can go wrong in a store call. Messages are one lowercase sentence.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A filesystem operation on the data directory failed (creating it, opening the file).
    #[error("could not {op} `{}`: {source}", path.display())]
    Io {
        /// What was being done, e.g. "create the data directory".
        op: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The database engine reported an error other than corruption or contention.
    #[error("the database failed to {op}: {message}")]
    Database {
        /// What was being done, e.g. "commit a transaction".
        op: &'static str,
        /// The engine's message (never includes bound values).
        message: String,
    },
    /// The database file is not a database or is damaged.
    #[error("the database is corrupt or not a database ({op}): {message}")]
    Corrupt {
        /// What was being done when the damage was found.
        op: &'static str,
        /// The engine's message.
        message: String,
    },
    /// Another process held the database lock for longer than the busy timeout.
    #[error("the database is locked by another process")]
    Busy,
    /// A stored record could not be decoded as the expected type.
    #[error(
        "record `{key}` in table `{table}` (version {version}) could not be decoded: \
         {category} error at line {line} column {column}"
    )]
    Decode {
        /// The table name.
        table: String,
        /// The record key.
        key: String,
        /// The record's stored schema version.
        version: u32,
        /// serde_json's error category ("syntax", "data", "eof", "io").
        category: &'static str,
        /// Line of the error in the record's JSON text.
        line: usize,
        /// Column of the error in the record's JSON text.
        column: usize,
    },
    /// A value could not be serialized to JSON (e.g. a map with non-string keys).
    #[error("record `{key}` for table `{table}` could not be encoded as json")]
    Encode {
        /// The table name.
        table: String,
        /// The record key.
        key: String,
    },
    /// A record was written by a newer schema version than this build understands.
    #[error(
        "record `{key}` in table `{table}` has version {found}, newer than the supported {supported}"
    )]
    UnknownVersion {
        /// The table name.
        table: String,
        /// The record key.
        key: String,
        /// The stored version.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A table's upgrade hook refused to upgrade an old record.
    #[error(
        "record `{key}` in table `{table}` could not be upgraded from version {from}: {reason}"
    )]
    Upgrade {
        /// The table name.
        table: String,
        /// The record key.
        key: String,
        /// The stored version.
        from: u32,
        /// Why the hook refused.
        reason: &'static str,
    },
    /// The database was migrated by a newer build than this one.
    #[error("the database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew {
        /// The schema version found in the database.
        found: u32,
        /// The newest schema version this build knows.
        supported: u32,
    },
    /// A `--store` argument could not be understood.
    #[error("invalid store location `{location}`: {reason}")]
    InvalidLocation {
        /// The argument as given.
        location: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The requested backend or feature is not available in this build.
    #[error("{0}")]
    Unsupported(&'static str),
}

impl StoreError {
    /// Builds a [`StoreError::Decode`] from a serde_json error without keeping its message.
    pub(crate) fn decode(table: &str, key: &str, version: u32, err: &serde_json::Error) -> Self {
        let category = match err.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        };
        StoreError::Decode {
            table: table.to_owned(),
            key: key.to_owned(),
            version,
            category,
            line: err.line(),
            column: err.column(),
        }
    }

    /// Builds a [`StoreError::Encode`].
    pub(crate) fn encode(table: &str, key: &str) -> Self {
        StoreError::Encode { table: table.to_owned(), key: key.to_owned() }
    }
}
