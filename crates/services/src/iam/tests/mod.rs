//! Unit tests of the IAM operations over a real SQLite store in a temporary directory, called
//! the way the server calls them (a `Call` with a root caller and a decoded input).

mod access_keys;
mod entities;
mod lookup;
mod mfa;
mod policies;
mod providers;
mod roles;
mod simulate;

use std::sync::Arc;

use serde_json::{json, Value};

use crate::accounts::{AccountRecord, ACCOUNTS};
use crate::{Caller, Clock, Config, ServiceError, Services};

pub const DEV: &str = "111111111111";
pub const PROD: &str = "999999999999";

pub struct World {
    pub services: Services,
    pub root: Caller,
    _dir: tempfile::TempDir,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = xacct_store::open_sqlite(dir.path()).unwrap();
        let services = Services::new(store, Arc::new(Clock::new()), Config::default());
        {
            let mut tx = services.store().write().unwrap();
            for id in [DEV, PROD] {
                let rec = AccountRecord {
                    id: id.to_owned(),
                    name: id.to_owned(),
                    email: format!("{id}@example.com"),
                    status: "ACTIVE".to_owned(),
                    joined_method: "CREATED".to_owned(),
                    joined_timestamp: 0.0,
                };
                ACCOUNTS.put(&mut *tx, id, &rec).unwrap();
            }
            tx.commit().unwrap();
        }
        World { services, root: Caller::root(DEV, "AKIAROOTDEV000000000"), _dir: dir }
    }

    /// Calls `operation` as `caller`.
    pub fn call_as(
        &self,
        caller: &Caller,
        operation: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        let call = crate::test_support::call("iam", operation, "us-east-1", caller, &input);
        self.services.call(&call)
    }

    /// Calls `operation` as the Development account's root.
    pub fn call(&self, operation: &str, input: Value) -> Result<Value, ServiceError> {
        self.call_as(&self.root, operation, input)
    }

    pub fn ok(&self, operation: &str, input: Value) -> Value {
        match self.call(operation, input) {
            Ok(v) => v,
            Err(e) => panic!("{operation} failed: {e}"),
        }
    }

    /// Asserts the call fails with `code` and `status`; returns the message.
    pub fn err(&self, operation: &str, input: Value, code: &str, status: u16) -> String {
        match self.call(operation, input) {
            Ok(v) => panic!("{operation} succeeded: {v}"),
            Err(e) => {
                assert_eq!((e.code, e.status), (code, status), "{operation}: {}", e.message);
                e.message
            }
        }
    }
}

/// A small valid identity policy.
pub fn allow(action: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}).to_string()
}

/// A trust policy trusting `principal` (an `AWS` principal).
pub fn trust(principal: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}).to_string()
}

/// URL-decodes a document the way clients do.
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
