//! Identity providers: OpenID Connect (`oidc-provider/HOST/PATH`) and SAML
//! (`saml-provider/NAME`) providers of an account, with their client ids, thumbprints,
//! metadata documents and tags. Roles name them as `Federated` principals.

use serde_json::{json, Value};

use crate::iam::common::{
    empty, list_tags, merge_tags, opt, opt_strings, put_opt, required, tags_json, tags_member,
    untag,
};
use crate::iam::error;
use crate::iam::model::{
    account_prefix, entity_key, OidcProviderRecord, SamlProviderRecord, OIDC_PROVIDERS,
    SAML_PROVIDERS,
};
use crate::{ids, Call, ServiceError, Services};

/// Client ids per OIDC provider (AWS's quota).
pub const CLIENT_IDS_PER_PROVIDER: usize = 100;
/// Thumbprints per OIDC provider.
pub const THUMBPRINTS_PER_PROVIDER: usize = 5;

/// `https://host/path?query` → `host/path`, or `None` if it is not an http(s) URL.
fn oidc_host_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default().trim_end_matches('/');
    (!rest.is_empty()).then(|| rest.to_owned())
}

fn oidc_key(account: &str, host_path: &str) -> String {
    format!("{account}/{}", host_path.to_ascii_lowercase())
}

/// The provider named by an ARN of `account`, or AWS's `NoSuchEntity`.
fn load_oidc(
    tx: &dyn xacct_store::ReadTx,
    account: &str,
    arn: &str,
) -> Result<OidcProviderRecord, ServiceError> {
    let missing =
        || error::no_such_entity(format!("OpenIDConnect Provider not found for arn {arn}"));
    let host_path =
        arn.strip_prefix(&format!("arn:aws:iam::{account}:oidc-provider/")).ok_or_else(missing)?;
    OIDC_PROVIDERS
        .get(tx, &oidc_key(account, host_path))?
        .filter(|p| p.arn == arn)
        .ok_or_else(missing)
}

fn check_thumbprints(thumbprints: &[String]) -> Result<(), ServiceError> {
    if thumbprints.len() > THUMBPRINTS_PER_PROVIDER {
        return Err(error::invalid_input("Thumbprint list must contain fewer than 5 entries."));
    }
    Ok(())
}

pub fn create_open_id_connect_provider(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let url = required(call, "Url")?;
    let host_path = oidc_host_path(url)
        .ok_or_else(|| error::invalid_input("Invalid Open ID Connect Provider URL"))?;
    let client_ids = opt_strings(call, "ClientIDList");
    let thumbprints = opt_strings(call, "ThumbprintList");
    check_thumbprints(&thumbprints)?;
    if client_ids.len() > CLIENT_IDS_PER_PROVIDER {
        return Err(error::quota("ClientIdsPerOpenIdConnectProvider", CLIENT_IDS_PER_PROVIDER));
    }
    let tags = tags_member(call, "Tags")?;
    let record = OidcProviderRecord {
        account_id: account.clone(),
        arn: format!("arn:aws:iam::{account}:oidc-provider/{host_path}"),
        url: host_path.clone(),
        client_ids,
        thumbprints,
        create_date: services.clock().now_epoch_f64(),
        tags,
    };
    let mut tx = services.store().write()?;
    if !OIDC_PROVIDERS.insert_new(&mut *tx, &oidc_key(account, &host_path), &record)? {
        // IAM's message for a duplicate provider is this one word.
        return Err(error::entity_already_exists("Unknown"));
    }
    tx.commit()?;
    let mut out = json!({ "OpenIDConnectProviderArn": record.arn });
    if !record.tags.is_empty() {
        put_opt(&mut out, "Tags", Some(tags_json(&record.tags)));
    }
    Ok(out)
}

pub fn get_open_id_connect_provider(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let arn = required(call, "OpenIDConnectProviderArn")?;
    let tx = services.store().read()?;
    let p = load_oidc(&*tx, &call.caller.account, arn)?;
    Ok(json!({
        "Url": p.url,
        "ClientIDList": p.client_ids,
        "ThumbprintList": p.thumbprints,
        "CreateDate": p.create_date,
        "Tags": tags_json(&p.tags),
    }))
}

pub fn list_open_id_connect_providers(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let list: Vec<Value> = OIDC_PROVIDERS
        .scan(&*tx, &account_prefix(&call.caller.account), None, usize::MAX)?
        .into_iter()
        .map(|(_, p)| json!({ "Arn": p.arn }))
        .collect();
    Ok(json!({ "OpenIDConnectProviderList": list }))
}

/// Idempotent, as AWS documents: deleting a provider that does not exist succeeds.
pub fn delete_open_id_connect_provider(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "OpenIDConnectProviderArn")?;
    let mut tx = services.store().write()?;
    if let Ok(p) = load_oidc(&*tx, account, arn) {
        OIDC_PROVIDERS.delete(&mut *tx, &oidc_key(account, &p.url))?;
        tx.commit()?;
    }
    Ok(empty())
}

fn modify_oidc(
    services: &Services,
    call: &Call<'_>,
    change: impl FnOnce(&mut OidcProviderRecord) -> Result<(), ServiceError>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "OpenIDConnectProviderArn")?;
    let mut tx = services.store().write()?;
    let mut p = load_oidc(&*tx, account, arn)?;
    change(&mut p)?;
    OIDC_PROVIDERS.put(&mut *tx, &oidc_key(account, &p.url), &p)?;
    tx.commit()?;
    Ok(empty())
}

pub fn add_client_id_to_open_id_connect_provider(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let client_id = required(call, "ClientID")?.to_owned();
    modify_oidc(services, call, |p| {
        if !p.client_ids.contains(&client_id) {
            if p.client_ids.len() >= CLIENT_IDS_PER_PROVIDER {
                return Err(error::quota(
                    "ClientIdsPerOpenIdConnectProvider",
                    CLIENT_IDS_PER_PROVIDER,
                ));
            }
            p.client_ids.push(client_id);
        }
        Ok(())
    })
}

pub fn remove_client_id_from_open_id_connect_provider(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let client_id = required(call, "ClientID")?.to_owned();
    modify_oidc(services, call, |p| {
        p.client_ids.retain(|c| *c != client_id);
        Ok(())
    })
}

pub fn update_open_id_connect_provider_thumbprint(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let thumbprints = opt_strings(call, "ThumbprintList");
    check_thumbprints(&thumbprints)?;
    modify_oidc(services, call, |p| {
        p.thumbprints = thumbprints;
        Ok(())
    })
}

pub fn tag_open_id_connect_provider(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let tags = tags_member(call, "Tags")?;
    modify_oidc(services, call, |p| merge_tags(&mut p.tags, tags))
}

pub fn untag_open_id_connect_provider(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    modify_oidc(services, call, |p| untag(call, &mut p.tags))
}

pub fn list_open_id_connect_provider_tags(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let arn = required(call, "OpenIDConnectProviderArn")?;
    let tx = services.store().read()?;
    let p = load_oidc(&*tx, &call.caller.account, arn)?;
    list_tags(call, &p.tags)
}

/// The SAML provider named by an ARN of `account`.
fn load_saml(
    tx: &dyn xacct_store::ReadTx,
    account: &str,
    arn: &str,
) -> Result<SamlProviderRecord, ServiceError> {
    let missing = || error::no_such_entity(format!("SAMLProvider {arn} not found"));
    let name =
        arn.strip_prefix(&format!("arn:aws:iam::{account}:saml-provider/")).ok_or_else(missing)?;
    SAML_PROVIDERS.get(tx, &entity_key(account, name))?.filter(|p| p.arn == arn).ok_or_else(missing)
}

fn check_metadata(doc: &str) -> Result<(), ServiceError> {
    if doc.chars().count() < 1000 {
        return Err(error::validation(
            "...",
            "sAMLMetadataDocument",
            "Member must have length greater than or equal to 1000",
        ));
    }
    Ok(())
}

/// `CreateSAMLProvider`. The metadata document is kept as given; xacct does not parse its
/// certificates, so `ValidUntil` is one year after creation rather than read from the document.
pub fn create_saml_provider(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "Name")?;
    if name.is_empty()
        || name.len() > 128
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(error::validation(
            name,
            "name",
            "Member must satisfy regular expression pattern: [\\w._-]+",
        ));
    }
    let doc = required(call, "SAMLMetadataDocument")?;
    check_metadata(doc)?;
    let tags = tags_member(call, "Tags")?;
    let now = services.clock().now_epoch_f64();
    let uuid = format!("{}-{}", ids::lower_alnum(8)?, ids::lower_alnum(12)?);
    let record = SamlProviderRecord {
        account_id: account.clone(),
        name: name.to_owned(),
        arn: format!("arn:aws:iam::{account}:saml-provider/{name}"),
        uuid,
        metadata_document: doc.to_owned(),
        create_date: now,
        valid_until: now + 365.0 * 86400.0,
        tags,
    };
    let mut tx = services.store().write()?;
    if !SAML_PROVIDERS.insert_new(&mut *tx, &entity_key(account, name), &record)? {
        return Err(error::entity_already_exists(format!("SAMLProvider {name} already exists")));
    }
    tx.commit()?;
    let mut out = json!({ "SAMLProviderArn": record.arn });
    if !record.tags.is_empty() {
        put_opt(&mut out, "Tags", Some(tags_json(&record.tags)));
    }
    Ok(out)
}

pub fn get_saml_provider(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let arn = required(call, "SAMLProviderArn")?;
    let tx = services.store().read()?;
    let p = load_saml(&*tx, &call.caller.account, arn)?;
    let mut out = json!({
        "SAMLProviderUUID": p.uuid,
        "SAMLMetadataDocument": p.metadata_document,
        "CreateDate": p.create_date,
        "ValidUntil": p.valid_until,
    });
    if !p.tags.is_empty() {
        put_opt(&mut out, "Tags", Some(tags_json(&p.tags)));
    }
    Ok(out)
}

pub fn list_saml_providers(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tx = services.store().read()?;
    let list: Vec<Value> = SAML_PROVIDERS
        .scan(&*tx, &account_prefix(&call.caller.account), None, usize::MAX)?
        .into_iter()
        .map(|(_, p)| json!({"Arn": p.arn, "ValidUntil": p.valid_until, "CreateDate": p.create_date}))
        .collect();
    Ok(json!({ "SAMLProviderList": list }))
}

pub fn update_saml_provider(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "SAMLProviderArn")?;
    let mut tx = services.store().write()?;
    let mut p = load_saml(&*tx, account, arn)?;
    if let Some(doc) = opt(call, "SAMLMetadataDocument") {
        check_metadata(doc)?;
        p.metadata_document = doc.to_owned();
    }
    SAML_PROVIDERS.put(&mut *tx, &entity_key(account, &p.name), &p)?;
    tx.commit()?;
    Ok(json!({ "SAMLProviderArn": p.arn }))
}

pub fn delete_saml_provider(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "SAMLProviderArn")?;
    let mut tx = services.store().write()?;
    let p = load_saml(&*tx, account, arn)?;
    SAML_PROVIDERS.delete(&mut *tx, &entity_key(account, &p.name))?;
    tx.commit()?;
    Ok(empty())
}

fn modify_saml(
    services: &Services,
    call: &Call<'_>,
    change: impl FnOnce(&mut SamlProviderRecord) -> Result<(), ServiceError>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let arn = required(call, "SAMLProviderArn")?;
    let mut tx = services.store().write()?;
    let mut p = load_saml(&*tx, account, arn)?;
    change(&mut p)?;
    SAML_PROVIDERS.put(&mut *tx, &entity_key(account, &p.name), &p)?;
    tx.commit()?;
    Ok(empty())
}

pub fn tag_saml_provider(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tags = tags_member(call, "Tags")?;
    modify_saml(services, call, |p| merge_tags(&mut p.tags, tags))
}

pub fn untag_saml_provider(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    modify_saml(services, call, |p| untag(call, &mut p.tags))
}

pub fn list_saml_provider_tags(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let arn = required(call, "SAMLProviderArn")?;
    let tx = services.store().read()?;
    let p = load_saml(&*tx, &call.caller.account, arn)?;
    list_tags(call, &p.tags)
}
