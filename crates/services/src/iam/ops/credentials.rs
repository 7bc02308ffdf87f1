//! Other credentials of users and the account: SSH public keys (for CodeCommit), X.509 signing
//! certificates, the account password policy and the credential report.

use serde_json::{json, Value};
use xacct_store::ReadTx;

use super::{implicit_user, load_user};
use crate::accounts::{KeyOwner, ACCESS_KEYS, ACCOUNTS};
use crate::iam::common::{
    base64, base64_decode, empty, hex, md5, opt, opt_bool, opt_i64, required, with_paging, Paging,
};
use crate::iam::error;
use crate::iam::model::{
    account_prefix, entity_key, PasswordPolicyRecord, UserCredentialRecord, CREDENTIAL_REPORTS,
    PASSWORD_POLICIES, SIGNING_CERTIFICATES, SSH_PUBLIC_KEYS, USERS, VIRTUAL_MFA,
};
use crate::{ids, Call, ServiceError, Services};

/// SSH public keys per user (AWS's quota).
pub const SSH_KEYS_PER_USER: usize = 5;
/// Signing certificates per user (AWS's quota).
pub const CERTIFICATES_PER_USER: usize = 2;

fn credential_key(account: &str, user: &str, id: &str) -> String {
    format!("{}/{id}", entity_key(account, user))
}

fn user_prefix(account: &str, user: &str) -> String {
    format!("{}/", entity_key(account, user))
}

fn check_status(status: &str) -> Result<(), ServiceError> {
    if status != "Active" && status != "Inactive" {
        return Err(error::validation(
            status,
            "status",
            "Member must satisfy enum value set: [Active, Inactive]",
        ));
    }
    Ok(())
}

/// The colon-separated MD5 fingerprint of an `ssh-rsa …` or PEM public key, or `None` if the
/// body is neither.
fn ssh_fingerprint(body: &str) -> Option<String> {
    let trimmed = body.trim();
    let der = if let Some(rest) = trimmed.strip_prefix("ssh-rsa ") {
        base64_decode(rest.split_whitespace().next()?)?
    } else if trimmed.starts_with("-----BEGIN") {
        let inner: String = trimmed.lines().filter(|l| !l.starts_with("-----")).collect();
        base64_decode(&inner)?
    } else {
        return None;
    };
    if der.is_empty() {
        return None;
    }
    let digest = hex(&md5(&der));
    let pairs: Vec<&str> =
        (0..digest.len()).step_by(2).filter_map(|i| digest.get(i..i + 2)).collect();
    Some(pairs.join(":"))
}

fn ssh_json(k: &UserCredentialRecord, with_body: bool) -> Value {
    let mut v = json!({
        "UserName": k.user_name,
        "SSHPublicKeyId": k.id,
        "Status": k.status,
        "UploadDate": k.upload_date,
    });
    if with_body {
        if let Some(obj) = v.as_object_mut() {
            obj.insert("Fingerprint".into(), json!(k.fingerprint));
            obj.insert("SSHPublicKeyBody".into(), json!(k.body));
        }
    }
    v
}

fn load_ssh_key(
    tx: &dyn ReadTx,
    account: &str,
    user: &str,
    id: &str,
) -> Result<UserCredentialRecord, ServiceError> {
    SSH_PUBLIC_KEYS.get(tx, &credential_key(account, user, id))?.ok_or_else(|| {
        error::no_such_entity(format!("The Public Key with id {id} cannot be found."))
    })
}

pub fn upload_ssh_public_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let user_name = required(call, "UserName")?;
    let body = required(call, "SSHPublicKeyBody")?;
    let fingerprint = ssh_fingerprint(body).ok_or_else(|| {
        ServiceError::client("InvalidPublicKey", 400, "The public key is not valid.")
    })?;
    let mut tx = services.store().write()?;
    let user = load_user(&*tx, account, user_name)?;
    let existing =
        SSH_PUBLIC_KEYS.scan(&*tx, &user_prefix(account, &user.user_name), None, usize::MAX)?;
    if existing.iter().any(|(_, k)| k.fingerprint == fingerprint) {
        return Err(ServiceError::client(
            "DuplicateSSHPublicKey",
            400,
            "The SSH public key you uploaded is already associated with this user.",
        ));
    }
    if existing.len() >= SSH_KEYS_PER_USER {
        return Err(error::quota("KeysPerUser", SSH_KEYS_PER_USER));
    }
    let record = UserCredentialRecord {
        account_id: account.clone(),
        user_name: user.user_name.clone(),
        id: ids::unique_id("APKA")?,
        body: body.to_owned(),
        fingerprint,
        status: "Active".to_owned(),
        upload_date: services.clock().now_epoch_f64(),
    };
    SSH_PUBLIC_KEYS.put(
        &mut *tx,
        &credential_key(account, &user.user_name, &record.id),
        &record,
    )?;
    tx.commit()?;
    Ok(json!({ "SSHPublicKey": ssh_json(&record, true) }))
}

pub fn get_ssh_public_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let user_name = required(call, "UserName")?;
    let id = required(call, "SSHPublicKeyId")?;
    let tx = services.store().read()?;
    let user = load_user(&*tx, &call.caller.account, user_name)?;
    let key = load_ssh_key(&*tx, &call.caller.account, &user.user_name, id)?;
    Ok(json!({ "SSHPublicKey": ssh_json(&key, true) }))
}

pub fn list_ssh_public_keys(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let paging = Paging::from_call(call)?;
    let tx = services.store().read()?;
    let name = match opt(call, "UserName") {
        Some(n) => Some(n.to_owned()),
        None => implicit_user(call)?,
    };
    let items: Vec<(String, Value)> = match name {
        Some(n) => {
            let user = load_user(&*tx, account, &n)?;
            SSH_PUBLIC_KEYS
                .scan(&*tx, &user_prefix(account, &user.user_name), None, usize::MAX)?
                .into_iter()
                .map(|(k, v)| (k, ssh_json(&v, false)))
                .collect()
        }
        None => Vec::new(),
    };
    let (page, next) = paging.page(items);
    Ok(with_paging(json!({ "SSHPublicKeys": page }), next))
}

pub fn update_ssh_public_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let user_name = required(call, "UserName")?;
    let id = required(call, "SSHPublicKeyId")?;
    let status = required(call, "Status")?;
    check_status(status)?;
    let mut tx = services.store().write()?;
    let user = load_user(&*tx, account, user_name)?;
    let mut key = load_ssh_key(&*tx, account, &user.user_name, id)?;
    key.status = status.to_owned();
    SSH_PUBLIC_KEYS.put(&mut *tx, &credential_key(account, &user.user_name, id), &key)?;
    tx.commit()?;
    Ok(empty())
}

pub fn delete_ssh_public_key(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let user_name = required(call, "UserName")?;
    let id = required(call, "SSHPublicKeyId")?;
    let mut tx = services.store().write()?;
    let user = load_user(&*tx, account, user_name)?;
    load_ssh_key(&*tx, account, &user.user_name, id)?;
    SSH_PUBLIC_KEYS.delete(&mut *tx, &credential_key(account, &user.user_name, id))?;
    tx.commit()?;
    Ok(empty())
}

/// The user a signing-certificate operation is about (the caller without `UserName`).
fn certificate_user(tx: &dyn ReadTx, call: &Call<'_>) -> Result<String, ServiceError> {
    let name = match opt(call, "UserName") {
        Some(n) => n.to_owned(),
        None => implicit_user(call)?.ok_or_else(|| {
            error::invalid_input(
                "The root user's signing certificates are not managed through IAM users.",
            )
        })?,
    };
    Ok(load_user(tx, &call.caller.account, &name)?.user_name)
}

fn cert_json(c: &UserCredentialRecord) -> Value {
    json!({
        "UserName": c.user_name,
        "CertificateId": c.id,
        "CertificateBody": c.body,
        "Status": c.status,
        "UploadDate": c.upload_date,
    })
}

fn load_cert(
    tx: &dyn ReadTx,
    account: &str,
    user: &str,
    id: &str,
) -> Result<UserCredentialRecord, ServiceError> {
    SIGNING_CERTIFICATES.get(tx, &credential_key(account, user, id))?.ok_or_else(|| {
        error::no_such_entity(format!("The Certificate with id {id} cannot be found."))
    })
}

/// `UploadSigningCertificate`: the body must be a PEM certificate; its id is derived from the
/// certificate's bytes, so the same certificate cannot be uploaded twice.
pub fn upload_signing_certificate(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let body = required(call, "CertificateBody")?;
    let trimmed = body.trim();
    let der = trimmed
        .strip_prefix("-----BEGIN CERTIFICATE-----")
        .and_then(|r| r.trim_end().strip_suffix("-----END CERTIFICATE-----"))
        .and_then(base64_decode)
        .filter(|d| d.first() == Some(&0x30))
        .ok_or_else(|| {
            ServiceError::client("MalformedCertificate", 400, "Certificate is malformed.")
        })?;
    let mut tx = services.store().write()?;
    let user = certificate_user(&*tx, call)?;
    let existing =
        SIGNING_CERTIFICATES.scan(&*tx, &user_prefix(account, &user), None, usize::MAX)?;
    let id = hex(&md5(&der)).to_ascii_uppercase();
    if existing.iter().any(|(_, c)| c.id == id) {
        return Err(ServiceError::client(
            "DuplicateCertificate",
            409,
            "The certificate you uploaded is already associated with this user.",
        ));
    }
    if existing.len() >= CERTIFICATES_PER_USER {
        return Err(error::quota("CertificatesPerUser", CERTIFICATES_PER_USER));
    }
    let record = UserCredentialRecord {
        account_id: account.clone(),
        user_name: user.clone(),
        id,
        body: body.to_owned(),
        fingerprint: String::new(),
        status: "Active".to_owned(),
        upload_date: services.clock().now_epoch_f64(),
    };
    SIGNING_CERTIFICATES.put(&mut *tx, &credential_key(account, &user, &record.id), &record)?;
    tx.commit()?;
    Ok(json!({ "Certificate": cert_json(&record) }))
}

pub fn list_signing_certificates(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let paging = Paging::from_call(call)?;
    let tx = services.store().read()?;
    let user = certificate_user(&*tx, call)?;
    let items: Vec<(String, Value)> = SIGNING_CERTIFICATES
        .scan(&*tx, &user_prefix(&call.caller.account, &user), None, usize::MAX)?
        .into_iter()
        .map(|(k, c)| (k, cert_json(&c)))
        .collect();
    let (page, next) = paging.page(items);
    Ok(with_paging(json!({ "Certificates": page }), next))
}

pub fn update_signing_certificate(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let id = required(call, "CertificateId")?;
    let status = required(call, "Status")?;
    check_status(status)?;
    let mut tx = services.store().write()?;
    let user = certificate_user(&*tx, call)?;
    let mut cert = load_cert(&*tx, account, &user, id)?;
    cert.status = status.to_owned();
    SIGNING_CERTIFICATES.put(&mut *tx, &credential_key(account, &user, id), &cert)?;
    tx.commit()?;
    Ok(empty())
}

pub fn delete_signing_certificate(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let id = required(call, "CertificateId")?;
    let mut tx = services.store().write()?;
    let user = certificate_user(&*tx, call)?;
    load_cert(&*tx, account, &user, id)?;
    SIGNING_CERTIFICATES.delete(&mut *tx, &credential_key(account, &user, id))?;
    tx.commit()?;
    Ok(empty())
}

fn bounded(call: &Call<'_>, member: &str, min: i64, max: i64) -> Result<Option<i64>, ServiceError> {
    match opt_i64(call, member) {
        None => Ok(None),
        Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
        Some(n) => Err(error::validation(
            &n.to_string(),
            &crate::iam::common::lower_first(member),
            &if n < min {
                format!("Member must have value greater than or equal to {min}")
            } else {
                format!("Member must have value less than or equal to {max}")
            },
        )),
    }
}

/// `UpdateAccountPasswordPolicy`: parameters left out take AWS's defaults (minimum length 6,
/// everything else off), as AWS documents.
pub fn update_account_password_policy(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let policy = PasswordPolicyRecord {
        minimum_password_length: bounded(call, "MinimumPasswordLength", 6, 128)?.unwrap_or(6),
        require_symbols: opt_bool(call, "RequireSymbols").unwrap_or(false),
        require_numbers: opt_bool(call, "RequireNumbers").unwrap_or(false),
        require_uppercase_characters: opt_bool(call, "RequireUppercaseCharacters").unwrap_or(false),
        require_lowercase_characters: opt_bool(call, "RequireLowercaseCharacters").unwrap_or(false),
        allow_users_to_change_password: opt_bool(call, "AllowUsersToChangePassword")
            .unwrap_or(false),
        max_password_age: bounded(call, "MaxPasswordAge", 1, 1095)?,
        password_reuse_prevention: bounded(call, "PasswordReusePrevention", 1, 24)?,
        hard_expiry: opt_bool(call, "HardExpiry"),
    };
    let mut tx = services.store().write()?;
    PASSWORD_POLICIES.put(&mut *tx, &call.caller.account, &policy)?;
    tx.commit()?;
    Ok(empty())
}

pub fn get_account_password_policy(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let tx = services.store().read()?;
    let p = PASSWORD_POLICIES.get(&*tx, account)?.ok_or_else(|| {
        error::no_such_entity(format!(
            "The Password Policy with domain name {account} cannot be found."
        ))
    })?;
    let mut out = json!({
        "MinimumPasswordLength": p.minimum_password_length,
        "RequireSymbols": p.require_symbols,
        "RequireNumbers": p.require_numbers,
        "RequireUppercaseCharacters": p.require_uppercase_characters,
        "RequireLowercaseCharacters": p.require_lowercase_characters,
        "AllowUsersToChangePassword": p.allow_users_to_change_password,
        "ExpirePasswords": p.max_password_age.is_some_and(|a| a > 0),
    });
    if let Some(obj) = out.as_object_mut() {
        if let Some(age) = p.max_password_age {
            obj.insert("MaxPasswordAge".into(), json!(age));
        }
        if let Some(reuse) = p.password_reuse_prevention {
            obj.insert("PasswordReusePrevention".into(), json!(reuse));
        }
        if let Some(hard) = p.hard_expiry {
            obj.insert("HardExpiry".into(), json!(hard));
        }
    }
    Ok(json!({ "PasswordPolicy": out }))
}

pub fn delete_account_password_policy(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let mut tx = services.store().write()?;
    if !PASSWORD_POLICIES.delete(&mut *tx, &call.caller.account)? {
        return Err(error::no_such_entity(
            "The account policy with name PasswordPolicy cannot be found.",
        ));
    }
    tx.commit()?;
    Ok(empty())
}

/// `GenerateCredentialReport`: the first call starts the report (`STARTED`); it is ready at
/// once, so the next call answers `COMPLETE`. Reports older than four hours are regenerated.
pub fn generate_credential_report(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let fresh = CREDENTIAL_REPORTS.get(&*tx, account)?.is_some_and(|t| now - t < 4.0 * 3600.0);
    if fresh {
        return Ok(json!({ "State": "COMPLETE" }));
    }
    CREDENTIAL_REPORTS.put(&mut *tx, account, &now)?;
    tx.commit()?;
    Ok(
        json!({ "State": "STARTED", "Description": "No report exists. Starting a new report generation task" }),
    )
}

fn iso(epoch: f64) -> String {
    // Whole seconds are what the report shows.
    let secs = epoch.floor() as i64;
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .map(|s| s.replace('Z', "+00:00"))
        .unwrap_or_else(|| "N/A".to_owned())
}

/// `GetCredentialReport`: AWS's CSV columns, the root user first, then each user.
pub fn get_credential_report(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let tx = services.store().read()?;
    let Some(generated) = CREDENTIAL_REPORTS.get(&*tx, account)? else {
        return Err(ServiceError::client("ReportNotPresent", 410, "Credential report not present"));
    };
    let mut csv = String::from("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n");
    let key_columns = |keys: &[(bool, f64)]| -> String {
        let mut cols = Vec::new();
        for i in 0..2 {
            match keys.get(i) {
                Some((active, created)) => {
                    cols.push(format!("{active},{},N/A,N/A,N/A", iso(*created)));
                }
                None => cols.push("false,N/A,N/A,N/A,N/A".to_owned()),
            }
        }
        cols.join(",")
    };
    let mut root_keys: Vec<(bool, f64)> = ACCESS_KEYS
        .scan(&*tx, "", None, usize::MAX)?
        .into_iter()
        .filter(|(_, k)| k.account_id == *account && k.owner == KeyOwner::Root)
        .map(|(_, k)| (k.status == "Active", k.create_date))
        .collect();
    root_keys.sort_by(|a, b| a.1.total_cmp(&b.1));
    let root_created = ACCOUNTS.get(&*tx, account)?.map_or(0.0, |a| a.joined_timestamp);
    csv.push_str(&format!(
        "<root_account>,arn:aws:iam::{account}:root,{},not_supported,no_information,not_supported,not_supported,false,{},false,N/A,false,N/A\n",
        iso(root_created),
        key_columns(&root_keys)
    ));
    let devices = VIRTUAL_MFA.scan(&*tx, &account_prefix(account), None, usize::MAX)?;
    for (_, u) in USERS.scan(&*tx, &account_prefix(account), None, usize::MAX)? {
        let mut keys = Vec::new();
        for id in &u.access_keys {
            if let Some(k) = ACCESS_KEYS.get(&*tx, id)? {
                keys.push((k.status == "Active", k.create_date));
            }
        }
        keys.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mfa = devices.iter().any(|(_, d)| {
            d.user_name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&u.user_name))
        });
        let (password_enabled, password_changed) = match &u.login_profile {
            Some(p) => ("true", iso(p.create_date)),
            None => ("false", "N/A".to_owned()),
        };
        let mut certs: Vec<(bool, f64)> = SIGNING_CERTIFICATES
            .scan(&*tx, &user_prefix(account, &u.user_name), None, usize::MAX)?
            .into_iter()
            .map(|(_, c)| (c.status == "Active", c.upload_date))
            .collect();
        certs.sort_by(|a, b| a.1.total_cmp(&b.1));
        let cert_cols: Vec<String> = (0..2)
            .map(|i| match certs.get(i) {
                Some((active, at)) => format!("{active},{}", iso(*at)),
                None => "false,N/A".to_owned(),
            })
            .collect();
        let password_last_used = if u.login_profile.is_some() { "no_information" } else { "N/A" };
        csv.push_str(&format!(
            "{},{},{},{password_enabled},{password_last_used},{password_changed},N/A,{mfa},{},{}\n",
            u.user_name,
            u.arn,
            iso(u.create_date),
            key_columns(&keys),
            cert_cols.join(",")
        ));
    }
    Ok(
        json!({ "Content": base64(csv.as_bytes()), "ReportFormat": "text/csv", "GeneratedTime": generated }),
    )
}
