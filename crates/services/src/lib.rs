//! xacct's AWS services. Each service is a module with one function per operation, named as AWS
//! names it; handlers receive a verified caller and a decoded input (a JSON value keyed by the
//! model's member names, see `xacct-wire`) and return an output value or a [`ServiceError`].
//! This crate knows nothing of HTTP or of the concrete database: state goes through
//! `xacct_store::Store`.
//!
//! Security: handlers trust [`Caller`] only because the server builds it from a verified
//! signature (or from `--auth off`, the explicit mock mode).

pub mod accounts;
pub mod authz;
pub mod clock;
pub mod cloudformation;
pub mod cloudtrail;
mod error;
pub mod iam;
pub mod ids;
pub mod jobs;
pub mod kms;
pub mod organizations;
pub mod proton;
pub mod s3;
pub mod sts;
#[cfg(test)]
pub(crate) mod test_support;

use std::sync::{Arc, OnceLock};

use serde_json::Value;
use xacct_store::{BlobStore, CachingStore, Store};

pub use accounts::{KeyCache, NewAccessKey, ResolvedKey};
pub use clock::Clock;
pub use error::ServiceError;

/// The kind of principal that signed a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Root,
    IamUser,
    AssumedRole,
    FederatedUser,
    Service,
}

/// The authenticated principal of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub kind: PrincipalKind,
    /// The 12-digit account the principal belongs to.
    pub account: String,
    /// The principal's ARN as `GetCallerIdentity` shows it.
    pub arn: String,
    /// `aws:userid`: the account id for root, the unique id for a user, `AROA…:session` for a role.
    pub user_id: String,
    /// The access key id the request was signed with.
    pub access_key_id: String,
    /// The user's friendly name (`aws:username`), empty when the principal has none.
    pub name: String,
    /// Temporary credentials: the session's context.
    pub session: Option<Arc<sts::session::SessionContext>>,
}

impl Caller {
    /// The root user of `account`.
    pub fn root(account: &str, access_key_id: &str) -> Caller {
        Caller {
            kind: PrincipalKind::Root,
            account: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.to_owned(),
            access_key_id: access_key_id.to_owned(),
            name: String::new(),
            session: None,
        }
    }
}

/// Server-wide settings the services need.
#[derive(Debug, Clone)]
pub struct Config {
    /// The management account's id (`XACCT_MANAGEMENT_ACCOUNT_ID`).
    pub management_account_id: String,
    /// The management account's email, shown by Organizations.
    pub management_account_email: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            management_account_id: "000000000000".to_owned(),
            management_account_email: "management@example.com".to_owned(),
        }
    }
}

/// One operation call, as the server hands it over after verification and decoding.
#[derive(Debug)]
pub struct Call<'a> {
    /// Our service id: `iam`, `sts`, `organizations`, …
    pub service: &'a str,
    /// The operation as AWS names it, e.g. `GetCallerIdentity`.
    pub operation: &'a str,
    pub region: &'a str,
    pub caller: &'a Caller,
    pub input: &'a Value,
    pub request_id: &'a str,
    /// The client's IP address as the server saw it (`aws:SourceIp`, CloudTrail's
    /// `sourceIPAddress`); empty when unknown (in-process tests).
    pub source_ip: &'a str,
    /// The `User-Agent` header, empty when absent (CloudTrail's `userAgent`).
    pub user_agent: &'a str,
    /// Object bytes both ways (S3 `PutObject`/`UploadPart` payloads the server staged, the
    /// `GetObject` body it streams back); `None` for every other call.
    pub streams: Option<&'a s3::Streams>,
}

/// What [`Services::bootstrap`] did.
#[derive(Debug)]
pub struct Bootstrap {
    /// The management account did not exist and was created now.
    pub created: bool,
    /// A root key generated now (only when none was given and none existed).
    pub generated_root_key: Option<NewAccessKey>,
}

/// Every service over one store. Its state is shared with the job worker (see [`jobs`]), which
/// runs on its own thread with a handle to the same state; dropping `Services` stops the worker
/// after the job it is running (graceful stop).
pub struct Services {
    shared: Arc<Shared>,
    /// The job worker thread (none for the worker's own handle, or once stopped).
    worker: jobs::Worker,
}

/// The state of [`Services`], shared with the job worker's handle.
pub struct Shared {
    /// Every write goes through the caching wrapper, so cached reads stay current.
    store: Arc<CachingStore>,
    clock: Arc<Clock>,
    config: Config,
    keys: KeyCache,
    /// Compiled policies and session keys (see [`authz::AuthzState`]).
    authz: authz::AuthzState,
    /// CloudTrail recording: the store handlers write through and the event appender.
    audit: cloudtrail::Audit,
    /// Where object bytes live (S3); unset until [`Services::with_blob_store`].
    blobs: OnceLock<Arc<dyn BlobStore>>,
    /// Wakes the job worker when a job is enqueued, and stops it.
    jobs: jobs::Signal,
}

impl std::ops::Deref for Services {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.worker.stop(&self.shared.jobs);
    }
}

impl Services {
    /// The services over `store`, with the job worker started (it picks up at once the jobs an
    /// earlier run left queued or running, see [`jobs`]).
    pub fn new(store: Arc<dyn Store>, clock: Arc<Clock>, config: Config) -> Self {
        // Handlers write through the audit wrapper, which writes through the read cache.
        let cached = Arc::new(CachingStore::new(store));
        let shared = Arc::new(Shared {
            audit: cloudtrail::Audit::new(Arc::clone(&cached) as Arc<dyn Store>),
            store: cached,
            clock,
            config,
            keys: KeyCache::default(),
            authz: authz::AuthzState::default(),
            blobs: OnceLock::new(),
            jobs: jobs::Signal::default(),
        });
        let handle = Services { shared: Arc::clone(&shared), worker: jobs::Worker::none() };
        Services { shared, worker: jobs::Worker::start(handle) }
    }

    /// The same services keeping object bytes in `blobs` (S3 needs one). Set once: a second
    /// blob store is ignored.
    #[must_use]
    pub fn with_blob_store(self, blobs: Arc<dyn BlobStore>) -> Self {
        if self.shared.blobs.set(blobs).is_err() {
            tracing::warn!("a blob store was already configured; keeping the first");
        }
        self
    }

    /// The same services without a job worker thread: queued jobs run only when
    /// [`Services::run_jobs`] is called (tests drive the worker step by step this way).
    #[must_use]
    pub fn without_job_worker(self) -> Self {
        self.worker.stop(&self.shared.jobs);
        self
    }

    /// Runs every due job on the calling thread; returns how many ran (see [`jobs`]).
    pub fn run_jobs(&self) -> usize {
        jobs::run_due(self, false)
    }

    /// Stops the job worker after the job it is running (graceful shutdown); queued jobs stay
    /// in the store for the next start.
    pub fn stop_job_worker(&self) {
        self.worker.stop(&self.shared.jobs);
    }

    /// The blob store, or an internal error when none was configured.
    pub fn blob_store(&self) -> Result<&dyn BlobStore, ServiceError> {
        self.blobs
            .get()
            .map(|b| &**b)
            .ok_or_else(|| ServiceError::internal("no blob store is configured for object data"))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The store. Write transactions committed during [`Services::call`] carry the call's
    /// CloudTrail event (see [`cloudtrail::audit`]).
    pub fn store(&self) -> &dyn Store {
        self.audit.store()
    }

    /// CloudTrail recording (flush, shutdown).
    pub fn audit(&self) -> &cloudtrail::Audit {
        &self.audit
    }

    /// A cached read view for authorization's lookups: current as of the request's start, not
    /// one snapshot (see `xacct_store::CachingStore`). Handlers that need a snapshot use
    /// [`Services::store`].
    pub fn cached_read(&self) -> Box<dyn xacct_store::ReadTx + '_> {
        self.store.cached_read()
    }

    /// The number of record-changing commits so far (see `xacct_store::CachingStore`).
    pub fn store_generation(&self) -> u64 {
        self.store.generation()
    }

    /// The access-key cache: whoever writes or deletes an access key invalidates its entry.
    pub fn key_cache(&self) -> &KeyCache {
        &self.keys
    }

    /// Authorization's caches (compiled policies, session keys).
    pub fn authz_state(&self) -> &authz::AuthzState {
        &self.authz
    }

    /// The caller and temporary secret of session credentials: `access_key_id` (`ASIA…`) with
    /// the session `token` it was issued with, checked at `now` (epoch seconds).
    pub fn resolve_session(
        &self,
        access_key_id: &str,
        token: &str,
        now: i64,
    ) -> Result<(String, Caller), sts::session::SessionError> {
        sts::resolve_session(self, access_key_id, token, now)
    }

    /// Makes sure the management account exists with a root access key: `root_key` when given
    /// (it replaces nothing: an existing key with that id must belong to the management root),
    /// otherwise one generated once and reported in the result.
    pub fn bootstrap(&self, root_key: Option<NewAccessKey>) -> Result<Bootstrap, ServiceError> {
        let mgmt = self.config.management_account_id.clone();
        let now = self.clock.now_epoch_f64();
        let mut tx = self.store.write()?;
        let created = accounts::ACCOUNTS.get(&*tx, &mgmt)?.is_none();
        if created {
            let record = accounts::AccountRecord {
                id: mgmt.clone(),
                name: "Management".to_owned(),
                email: self.config.management_account_email.clone(),
                status: "ACTIVE".to_owned(),
                joined_method: "INVITED".to_owned(),
                joined_timestamp: now,
            };
            accounts::ACCOUNTS.put(&mut *tx, &mgmt, &record)?;
        }
        let mut generated = None;
        match root_key {
            Some(given) => match accounts::ACCESS_KEYS.get(&*tx, &given.access_key_id)? {
                Some(existing) => {
                    let same_owner =
                        existing.account_id == mgmt && existing.owner == accounts::KeyOwner::Root;
                    if !same_owner {
                        return Err(ServiceError::internal(
                            "the configured root access key id belongs to another principal",
                        ));
                    }
                    if existing.secret_access_key != given.secret_access_key {
                        let mut updated = existing;
                        updated.secret_access_key = given.secret_access_key.clone();
                        accounts::ACCESS_KEYS.put(&mut *tx, &given.access_key_id, &updated)?;
                        self.keys.invalidate(&given.access_key_id);
                    }
                }
                None => {
                    accounts::create_root_key(&mut *tx, &mgmt, now, Some(given))?;
                }
            },
            None => {
                let marker = META.get(&*tx, "root-key-generated")?;
                if marker.is_none() {
                    let key = accounts::create_root_key(&mut *tx, &mgmt, now, None)?;
                    META.put(&mut *tx, "root-key-generated", &key.access_key_id)?;
                    generated = Some(key);
                }
            }
        }
        tx.commit()?;
        // The session key is made once with the store and reloaded (e.g. after a reset).
        sts::reload_session_keys(self)?;
        Ok(Bootstrap { created, generated_root_key: generated })
    }

    /// The key for `access_key_id`, if it exists (active or not).
    pub fn resolve_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<Arc<ResolvedKey>>, ServiceError> {
        self.keys.resolve(&*self.store, access_key_id)
    }

    /// The caller `--auth off` assumes for an access key id: the root of the account named by a
    /// 12-digit key id, else the management account's root.
    pub fn mock_caller(&self, access_key_id: Option<&str>) -> Caller {
        match access_key_id {
            Some(k) if ids::is_account_id(k) => Caller::root(k, k),
            Some(k) => Caller::root(&self.config.management_account_id, k),
            None => Caller::root(&self.config.management_account_id, ""),
        }
    }

    /// Runs one operation: authorizes it (every permission it needs, see `authz`), then
    /// dispatches it. A denied operation changes nothing. Every call is recorded as a
    /// CloudTrail event, whatever its outcome (see [`cloudtrail`]).
    pub fn call(&self, call: &Call<'_>) -> Result<Value, ServiceError> {
        cloudtrail::recorded(self, call, || self.authorize_and_dispatch(call))
    }

    fn authorize_and_dispatch(&self, call: &Call<'_>) -> Result<Value, ServiceError> {
        let requests = match call.service {
            "iam" => iam::actions::requests(call)?,
            "sts" => sts::actions::requests(call)?,
            "organizations" => organizations::actions::requests(self, call)?,
            "cloudtrail" => cloudtrail::actions::requests(call)?,
            "cloudformation" => cloudformation::actions::requests(self, call)?,
            "proton" => proton::actions::requests(self, call)?,
            // S3 authorizes inside its handlers: the bucket policy takes part (see `s3`).
            _ => Vec::new(),
        };
        authz::authorize(self, call, &requests)?;
        match call.service {
            "sts" => sts::dispatch(self, call),
            "iam" => iam::dispatch(self, call),
            "organizations" => organizations::dispatch(self, call),
            // KMS authorizes in its handlers: the key policy is a required resource policy.
            "kms" => kms::dispatch(self, call),
            "cloudtrail" => cloudtrail::dispatch(self, call),
            "cloudformation" => cloudformation::dispatch(self, call),
            "s3" => s3::dispatch(self, call),
            "proton" => proton::dispatch(self, call),
            _ => Err(unknown_operation(call)),
        }
    }

    /// Records the event of a call the server refused after authenticating it, before it
    /// reached [`Services::call`] (its input did not decode): `code` and `message` are the
    /// error the client got.
    pub fn record_rejected(&self, call: &Call<'_>, code: &str, message: &str) {
        cloudtrail::record_rejected(self, call, code, message);
    }

    /// Empties every table and bootstraps the management account again with `root_key`.
    pub fn reset(&self, root_key: Option<NewAccessKey>) -> Result<(), ServiceError> {
        // Queued events belong to the state being emptied.
        self.audit.flush();
        let mut tx = self.store.write()?;
        let blobs = s3::all_blobs(&*tx)?;
        tx.clear_events()?;
        for table in TABLES
            .iter()
            .chain(iam::model::TABLE_NAMES)
            .chain(kms::model::TABLE_NAMES)
            .chain(cloudtrail::model::TABLE_NAMES)
            .chain(cloudformation::model::TABLE_NAMES)
            .chain(proton::model::TABLE_NAMES)
            .chain(jobs::TABLE_NAMES)
        {
            loop {
                let batch = tx.scan(table, "", None, 500)?;
                if batch.is_empty() {
                    break;
                }
                for (key, _) in batch {
                    tx.delete(table, &key)?;
                }
            }
        }
        tx.commit()?;
        // Blobs go only once no record names them.
        s3::delete_blobs(self, &blobs);
        self.keys.clear();
        self.bootstrap(root_key)?;
        Ok(())
    }
}

/// Server-level settings (e.g. whether a root key was generated).
pub const META: xacct_store::Table<String> = xacct_store::Table::new("meta", 1);

/// Every table the services write, for [`Services::reset`].
const TABLES: &[&str] = &[
    "meta",
    "accounts",
    "access_keys",
    organizations::model::ORGANIZATION.name(),
    organizations::model::CREATE_ACCOUNT_STATUS.name(),
    organizations::model::ORGANIZATIONAL_UNITS.name(),
    organizations::model::ACCOUNT_PLACEMENTS.name(),
    organizations::model::ROOTS.name(),
    organizations::model::ORG_POLICIES.name(),
    organizations::model::ATTACHMENTS_BY_TARGET.name(),
    organizations::model::ATTACHMENTS_BY_POLICY.name(),
    organizations::model::DEPARTED_ACCOUNTS.name(),
    organizations::model::TAGS.name(),
    organizations::model::SERVICE_ACCESS.name(),
    organizations::model::DELEGATED_ADMINS.name(),
    organizations::model::RESOURCE_POLICY.name(),
    organizations::handshakes::HANDSHAKES.name(),
    iam::model::ROLES.name(),
    s3::model::BUCKETS.name(),
    s3::model::OBJECTS.name(),
    s3::model::UPLOADS.name(),
    s3::model::PARTS.name(),
    s3::model::BUCKET_CONFIGS.name(),
    s3::model::VERSIONS.name(),
];

/// The code of [`unknown_operation`]: the server renders it as the protocol's own unknown-operation
/// error (`InvalidAction` for query, `UnknownOperationException` for json).
pub const UNKNOWN_OPERATION: &str = "UnknownOperation";

/// The error for an operation the service does not implement: the protocol's own code for an
/// unknown operation, so clients see the shape AWS gives.
pub fn unknown_operation(call: &Call<'_>) -> ServiceError {
    ServiceError::client(
        UNKNOWN_OPERATION,
        400,
        format!("The action `{}` is not valid for the service `{}`.", call.operation, call.service),
    )
}

/// Reads a string member of an input object.
pub(crate) fn input_str<'v>(input: &'v Value, member: &str) -> Option<&'v str> {
    input.get(member).and_then(Value::as_str)
}
