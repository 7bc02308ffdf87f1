//! Fixtures shared by the crate's unit tests.

use serde_json::Value;

use crate::{Call, Caller, Clock, Config, Services};

/// Services over a fresh SQLite store in a temp directory (keep the directory alive as long as
/// the services).
pub(crate) fn temp_services() -> (tempfile::TempDir, Services) {
    let dir = tempfile::tempdir().unwrap();
    let store = xacct_store::open_sqlite(dir.path()).unwrap();
    let services = Services::new(store, std::sync::Arc::new(Clock::new()), Config::default());
    (dir, services)
}

/// A call of `service`/`operation` in `region` by `caller` with `input`, without a request's
/// network details.
pub(crate) fn call<'a>(
    service: &'a str,
    operation: &'a str,
    region: &'a str,
    caller: &'a Caller,
    input: &'a Value,
) -> Call<'a> {
    Call {
        service,
        operation,
        region,
        caller,
        input,
        request_id: "r",
        source_ip: "",
        user_agent: "",
        streams: None,
    }
}
