//! What each subcommand does.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{json, Value};
use xacct_server::{App, Options};
use xacct_services::{Clock, Config, NewAccessKey, Services};

use crate::client::{self, Client};
use crate::{AuthMode, ServeArgs};

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let (store, description, data_dir) = match &args.store {
        Some(url) => {
            let store =
                xacct_store::open(url).map_err(|e| format!("cannot open store `{url}`: {e}"))?;
            let dir = url.strip_prefix("sqlite://").map(std::path::PathBuf::from);
            (store, url.clone(), dir)
        }
        None => {
            let store = xacct_store::open_sqlite(&args.data)
                .map_err(|e| format!("cannot open the store in `{}`: {e}", args.data.display()))?;
            let desc = format!("sqlite:{}", args.data.join(xacct_store::DB_FILE_NAME).display());
            (store, desc, Some(args.data.clone()))
        }
    };
    let mut config = Config::default();
    if let Some(id) = env_nonempty("XACCT_MANAGEMENT_ACCOUNT_ID") {
        if !xacct_services::ids::is_account_id(&id) {
            return Err(format!("XACCT_MANAGEMENT_ACCOUNT_ID `{id}` is not a 12-digit account id"));
        }
        config.management_account_id = id;
    }
    if let Some(email) = env_nonempty("XACCT_MANAGEMENT_ACCOUNT_EMAIL") {
        config.management_account_email = email;
    }
    let root_key =
        match (
            env_nonempty("XACCT_ROOT_ACCESS_KEY_ID"),
            env_nonempty("XACCT_ROOT_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => {
                Some(NewAccessKey { access_key_id: id, secret_access_key: secret })
            }
            (None, None) => None,
            _ => return Err(
                "set both XACCT_ROOT_ACCESS_KEY_ID and XACCT_ROOT_SECRET_ACCESS_KEY, or neither"
                    .into(),
            ),
        };
    let clock = Arc::new(Clock::new());
    let mut services = Services::new(store, clock, config.clone());
    if let Some(dir) = &data_dir {
        // S3 object bytes live beside the database, never in it.
        let blobs = xacct_store::FsBlobStore::open(&dir.join("blobs"))
            .map_err(|e| format!("cannot open the blob directory: {e}"))?;
        services = services.with_blob_store(Arc::new(blobs));
    }
    let boot =
        services.bootstrap(root_key.clone()).map_err(|e| format!("bootstrap failed: {e}"))?;
    if let Some(key) = &boot.generated_root_key {
        let written = match &data_dir {
            Some(dir) => write_root_credentials(dir, &config.management_account_id, key)
                .map(|p| p.display().to_string())
                .map_err(|e| format!("cannot write the root credentials file: {e}"))?,
            None => "(no data directory)".to_owned(),
        };
        // Printed once, at the first start, for the operator; never logged.
        println!(
            "xacct: management account {} root credentials (also in {written}):",
            config.management_account_id
        );
        println!("export AWS_ACCESS_KEY_ID={}", key.access_key_id);
        println!("export AWS_SECRET_ACCESS_KEY={}", key.secret_access_key);
        let _ = std::io::stdout().flush();
    }
    let options = Options {
        auth: matches!(args.auth, AuthMode::On),
        clock_admin: args.clock_admin,
        root_key,
        store_description: description,
        ..Options::default()
    };
    let models =
        xacct_wire::Models::load().map_err(|e| format!("cannot load the service models: {e}"))?;
    let app = Arc::new(App::new(services, models, options));
    let stopping = Arc::clone(&app);
    // One thread accepts and handles signals; connections run on one single-threaded runtime
    // per core (see `xacct_server::serve_sharded`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let shards = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        tracing::info!(listen = %local, auth = ?matches!(args.auth, AuthMode::On), "xacct serving");
        xacct_server::serve_sharded(app, listener, shards, shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })?;
    // The job worker finishes the job it is running (queued jobs wait in the store for the
    // next start); then CloudTrail events of calls that changed nothing, written in batches,
    // are written before exiting.
    stopping.services().stop_job_worker();
    stopping.services().audit().shutdown();
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutdown requested");
}

/// Writes `DIR/root-credentials` with mode 0600 (created that way, never widened).
fn write_root_credentials(
    dir: &std::path::Path,
    account: &str,
    key: &NewAccessKey,
) -> std::io::Result<std::path::PathBuf> {
    let path = dir.join("root-credentials");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    writeln!(file, "# xacct management account {account} root user")?;
    writeln!(file, "AWS_ACCESS_KEY_ID={}", key.access_key_id)?;
    writeln!(file, "AWS_SECRET_ACCESS_KEY={}", key.secret_access_key)?;
    file.sync_all()?;
    Ok(path)
}

pub fn accounts_create(
    id: Option<String>,
    name: String,
    email: Option<String>,
    profile: Option<String>,
) -> Result<ExitCode, String> {
    let client = Client::from_environment()?;
    let mut body = json!({ "Name": name });
    if let Some(obj) = body.as_object_mut() {
        if let Some(id) = id {
            obj.insert("Id".into(), json!(id));
        }
        if let Some(email) = email {
            obj.insert("Email".into(), json!(email));
        }
    }
    let answer = client.admin_post("/_xacct/accounts", &body)?;
    let text = |v: &Value, a: &str, b: &str| {
        v.get(a).and_then(|x| x.get(b)).and_then(Value::as_str).map(str::to_owned)
    };
    let account =
        text(&answer, "Account", "Id").ok_or("the server's answer lacks the account id")?;
    let key_id = text(&answer, "Credentials", "AccessKeyId")
        .ok_or("the server's answer lacks credentials")?;
    let secret = text(&answer, "Credentials", "SecretAccessKey")
        .ok_or("the server's answer lacks credentials")?;
    match profile {
        Some(profile) => {
            let path = client::write_profile(&profile, &key_id, &secret)?;
            eprintln!("xacct: account {account} created; root credentials written to profile `{profile}` in {}", path.display());
        }
        None => {
            eprintln!("xacct: account {account} created; its root user's credentials:");
            println!("export AWS_ACCESS_KEY_ID={key_id}");
            println!("export AWS_SECRET_ACCESS_KEY={secret}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn accounts_list() -> Result<ExitCode, String> {
    let client = Client::from_environment()?;
    let mut token: Option<String> = None;
    println!("{:<14}{:<10}{:<28}EMAIL", "ID", "STATUS", "NAME");
    loop {
        let mut input = json!({});
        if let (Some(t), Some(obj)) = (&token, input.as_object_mut()) {
            obj.insert("NextToken".into(), json!(t));
        }
        let page = client.json_call(
            "organizations",
            "AWSOrganizationsV20161128.ListAccounts",
            "1.1",
            &input,
        )?;
        for a in page.get("Accounts").and_then(Value::as_array).into_iter().flatten() {
            let f = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("");
            println!("{:<14}{:<10}{:<28}{}", f("Id"), f("Status"), f("Name"), f("Email"));
        }
        token = page.get("NextToken").and_then(Value::as_str).map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn policy_evaluate(file: &str) -> Result<ExitCode, String> {
    let mut input = String::new();
    if file == "-" {
        std::io::stdin()
            .read_to_string(&mut input)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
    } else {
        input = std::fs::read_to_string(file).map_err(|e| format!("cannot read `{file}`: {e}"))?;
    }
    match xacct_policy::cli::evaluate_json(&input) {
        Ok(out) => {
            println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("xacct: {e}");
            Ok(ExitCode::from(2))
        }
    }
}
