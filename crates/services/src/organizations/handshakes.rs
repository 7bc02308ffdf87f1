//! Handshakes: `InviteAccountToOrganization`, `AcceptHandshake`, `DeclineHandshake`,
//! `CancelHandshake`, `DescribeHandshake`, `ListHandshakesForAccount`,
//! `ListHandshakesForOrganization`, and `EnableAllFeatures`, which AWS runs as handshakes too.
//!
//! Invitations: xacct can invite only accounts it knows that are outside the organization
//! (accounts that left it); the invited account accepts as itself and joins under the root
//! (`JoinedMethod` `INVITED`). An open invitation expires after 15 days (shown `EXPIRED`).
//!
//! All features: `EnableAllFeatures` (organization with consolidated billing only) opens an
//! `ENABLE_ALL_FEATURES` handshake for the management account and an `APPROVE_ALL_FEATURES`
//! handshake for every invited member (AWS does not ask accounts the organization created);
//! once every member approved, the management account accepts its handshake and the
//! organization switches to `ALL`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use xacct_store::{ReadTx, Table, WriteTx};

use super::model::{OrganizationRecord, DEPARTED_ACCOUNTS, ORGANIZATION, ORGANIZATION_KEY};
use super::ous::{page, required};
use super::tree;
use super::{error, organization_for_management, organization_of};
use crate::accounts::ACCOUNTS;
use crate::{ids, Call, Caller, ServiceError, Services};

/// How long an invitation stays open (AWS: 15 days).
const INVITE_LIFETIME: f64 = 15.0 * 24.0 * 3600.0;
/// How long the all-features handshakes stay open (AWS: 90 days).
const ALL_FEATURES_LIFETIME: f64 = 90.0 * 24.0 * 3600.0;

/// One handshake.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HandshakeRecord {
    /// `h-` + 10 lowercase alphanumerics.
    pub id: String,
    /// `INVITE`, `ENABLE_ALL_FEATURES` or `APPROVE_ALL_FEATURES`.
    pub action: String,
    /// `OPEN`, `ACCEPTED`, `DECLINED` or `CANCELED` (`EXPIRED` is computed).
    pub state: String,
    /// The organization's id.
    pub organization_id: String,
    /// The account that must accept or decline it.
    pub recipient: String,
    /// How the recipient was named (`ACCOUNT` or `EMAIL`) and the name used.
    pub recipient_party: (String, String),
    pub notes: Option<String>,
    /// The `ENABLE_ALL_FEATURES` handshake an `APPROVE_ALL_FEATURES` one belongs to.
    pub parent: Option<String>,
    pub requested: f64,
    pub expiration: f64,
}

/// Handshakes by id.
pub const HANDSHAKES: Table<HandshakeRecord> = Table::new("org_handshakes", 1);

fn duplicate_handshake() -> ServiceError {
    ServiceError::client(
        "DuplicateHandshakeException",
        400,
        "A handshake with the same action and target already exists.",
    )
}

/// The model's descriptions (AWS's exact texts are not known).
fn invalid_transition() -> ServiceError {
    ServiceError::client(
        "InvalidHandshakeTransitionException",
        400,
        "You can't perform the operation on the handshake in its current state.",
    )
}

fn already_in_state() -> ServiceError {
    ServiceError::client(
        "HandshakeAlreadyInStateException",
        400,
        "The specified handshake is already in the requested state.",
    )
}

fn constraint(reason: &'static str, message: &str) -> ServiceError {
    ServiceError::client("HandshakeConstraintViolationException", 400, message)
        .with_field("Reason", reason)
}

/// The state as clients see it: an open handshake past its expiration is `EXPIRED`.
fn state_at(h: &HandshakeRecord, now: f64) -> &str {
    if h.state == "OPEN" && now > h.expiration {
        "EXPIRED"
    } else {
        &h.state
    }
}

fn handshake_json(org: &OrganizationRecord, h: &HandshakeRecord, now: f64) -> Value {
    let mut resources = vec![json!({
        "Type": "ORGANIZATION",
        "Value": org.id,
        "Resources": [
            {"Type": "MASTER_EMAIL", "Value": org.management_account_email},
            {"Type": "MASTER_NAME", "Value": "Management"},
            {"Type": "ORGANIZATION_FEATURE_SET", "Value": org.feature_set},
        ],
    })];
    if h.action == "INVITE" {
        resources.push(json!({"Type": h.recipient_party.0, "Value": h.recipient_party.1}));
    }
    if let Some(notes) = &h.notes {
        resources.push(json!({"Type": "NOTES", "Value": notes}));
    }
    if let Some(parent) = &h.parent {
        resources.push(json!({"Type": "PARENT_HANDSHAKE", "Value": parent}));
    }
    json!({
        "Id": h.id,
        "Arn": format!(
            "arn:{}:organizations::{}:handshake/{}/{}/{}",
            org.partition,
            org.management_account_id,
            org.id,
            h.action.to_ascii_lowercase(),
            h.id
        ),
        "Parties": [
            {"Id": org.id, "Type": "ORGANIZATION"},
            {"Id": h.recipient_party.1, "Type": h.recipient_party.0},
        ],
        "State": state_at(h, now),
        "RequestedTimestamp": h.requested,
        "ExpirationTimestamp": h.expiration,
        "Action": h.action,
        "Resources": resources,
    })
}

fn all_handshakes<X: ReadTx + ?Sized>(tx: &X) -> Result<Vec<HandshakeRecord>, ServiceError> {
    let mut out: Vec<HandshakeRecord> =
        tree::scan_all(tx, HANDSHAKES, "")?.into_iter().map(|(_, h)| h).collect();
    out.sort_by(|a, b| a.requested.total_cmp(&b.requested).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

fn new_handshake_id<X: ReadTx + ?Sized>(tx: &X) -> Result<String, ServiceError> {
    loop {
        let candidate = format!("h-{}", ids::lower_alnum(10)?);
        if HANDSHAKES.get(tx, &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
}

/// The open `ENABLE_ALL_FEATURES` handshake, if any.
fn pending_all_features<X: ReadTx + ?Sized>(
    tx: &X,
    now: f64,
) -> Result<Option<HandshakeRecord>, ServiceError> {
    Ok(all_handshakes(tx)?
        .into_iter()
        .find(|h| h.action == "ENABLE_ALL_FEATURES" && state_at(h, now) == "OPEN"))
}

pub fn invite_account_to_organization(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let target = call.input.get("Target").cloned().unwrap_or(Value::Null);
    let party_id = required(&target, "Id")?;
    let party_type = required(&target, "Type")?;
    let notes = crate::input_str(call.input, "Notes").map(str::to_owned);
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let account = match party_type {
        "ACCOUNT" => ACCOUNTS.get(&*tx, party_id)?,
        "EMAIL" => tree::scan_all(&*tx, ACCOUNTS, "")?
            .into_iter()
            .map(|(_, a)| a)
            .find(|a| a.email.eq_ignore_ascii_case(party_id)),
        _ => None,
    };
    let Some(account) = account else {
        // xacct can only invite an account it knows (not AWS's check: AWS knows every account).
        return Err(error::invalid_input(
            "INVALID_PARTY_TYPE_TARGET",
            "You specified the wrong type of entity (account, organization, or email) as a party.",
        ));
    };
    if tree::member_account(&*tx, &account.id)?.is_some() {
        return Err(constraint(
            "ALREADY_IN_AN_ORGANIZATION",
            "The provided account is already a member of an organization.",
        ));
    }
    if pending_all_features(&*tx, now)?.is_some() {
        return Err(constraint(
            "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES",
            "You can't issue new invitations to join an organization while it's in the process of enabling all features.",
        ));
    }
    let open = all_handshakes(&*tx)?
        .into_iter()
        .any(|h| h.action == "INVITE" && h.recipient == account.id && state_at(&h, now) == "OPEN");
    if open {
        return Err(duplicate_handshake());
    }
    let record = HandshakeRecord {
        id: new_handshake_id(&*tx)?,
        action: "INVITE".to_owned(),
        state: "OPEN".to_owned(),
        organization_id: org.id.clone(),
        recipient: account.id.clone(),
        recipient_party: (party_type.to_owned(), party_id.to_owned()),
        notes,
        parent: None,
        requested: now,
        expiration: now + INVITE_LIFETIME,
    };
    HANDSHAKES.put(&mut *tx, &record.id, &record)?;
    tx.commit()?;
    Ok(json!({ "Handshake": handshake_json(&org, &record, now) }))
}

pub fn enable_all_features(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    if org.feature_set == "ALL" {
        return Err(constraint(
            "ORGANIZATION_ALREADY_HAS_ALL_FEATURES",
            "The handshake request is invalid because the organization has already enabled all features.",
        ));
    }
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    if pending_all_features(&*tx, now)?.is_some() {
        return Err(constraint(
            "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION",
            "The handshake request is invalid because the organization has already started the process to enable all features.",
        ));
    }
    let parent = HandshakeRecord {
        id: new_handshake_id(&*tx)?,
        action: "ENABLE_ALL_FEATURES".to_owned(),
        state: "OPEN".to_owned(),
        organization_id: org.id.clone(),
        recipient: org.management_account_id.clone(),
        recipient_party: ("ACCOUNT".to_owned(), org.management_account_id.clone()),
        notes: None,
        parent: None,
        requested: now,
        expiration: now + ALL_FEATURES_LIFETIME,
    };
    HANDSHAKES.put(&mut *tx, &parent.id, &parent)?;
    for account in tree::member_accounts(&*tx)? {
        if account.id == org.management_account_id || account.joined_method != "INVITED" {
            continue;
        }
        let approval = HandshakeRecord {
            id: new_handshake_id(&*tx)?,
            action: "APPROVE_ALL_FEATURES".to_owned(),
            recipient: account.id.clone(),
            recipient_party: ("ACCOUNT".to_owned(), account.id.clone()),
            parent: Some(parent.id.clone()),
            ..parent.clone()
        };
        HANDSHAKES.put(&mut *tx, &approval.id, &approval)?;
    }
    tx.commit()?;
    Ok(json!({ "Handshake": handshake_json(&org, &parent, now) }))
}

/// The handshake `HandshakeId` names, provided `caller` is one of its parties (the recipient,
/// or the management account of its organization); `HandshakeNotFoundException` otherwise.
fn handshake_for<X: ReadTx + ?Sized>(
    tx: &X,
    input: &Value,
    caller: &Caller,
) -> Result<(HandshakeRecord, OrganizationRecord), ServiceError> {
    let id = required(input, "HandshakeId")?;
    let h = HANDSHAKES.get(tx, id)?.ok_or_else(error::handshake_not_found)?;
    let org = ORGANIZATION
        .get(tx, ORGANIZATION_KEY)?
        .filter(|o| o.id == h.organization_id)
        .ok_or_else(error::handshake_not_found)?;
    if caller.account != h.recipient && caller.account != org.management_account_id {
        return Err(error::handshake_not_found());
    }
    Ok((h, org))
}

/// Moves an open handshake to `to`, or the error AWS gives for its current state.
fn transition(h: &mut HandshakeRecord, to: &str, now: f64) -> Result<(), ServiceError> {
    let current = state_at(h, now).to_owned();
    if current == to {
        return Err(already_in_state());
    }
    if current != "OPEN" {
        return Err(invalid_transition());
    }
    h.state = to.to_owned();
    Ok(())
}

pub fn accept_handshake(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let (mut h, mut org) = handshake_for(&*tx, call.input, call.caller)?;
    if call.caller.account != h.recipient {
        return Err(error::access_denied());
    }
    match h.action.as_str() {
        "INVITE" => {
            transition(&mut h, "ACCEPTED", now)?;
            if tree::member_account(&*tx, &h.recipient)?.is_some() {
                return Err(constraint(
                    "ALREADY_IN_AN_ORGANIZATION",
                    "The provided account is already a member of an organization.",
                ));
            }
            let mut account =
                ACCOUNTS.get(&*tx, &h.recipient)?.ok_or_else(error::account_not_found)?;
            account.joined_method = "INVITED".to_owned();
            account.joined_timestamp = now;
            ACCOUNTS.put(&mut *tx, &account.id, &account)?;
            DEPARTED_ACCOUNTS.delete(&mut *tx, &account.id)?;
        }
        "APPROVE_ALL_FEATURES" => transition(&mut h, "ACCEPTED", now)?,
        "ENABLE_ALL_FEATURES" => {
            let waiting = all_handshakes(&*tx)?
                .into_iter()
                .any(|a| a.parent.as_deref() == Some(h.id.as_str()) && a.state != "ACCEPTED");
            if waiting {
                // Guessed: AWS's error for finalizing before every member approved is not known.
                return Err(invalid_transition());
            }
            transition(&mut h, "ACCEPTED", now)?;
            org.feature_set = "ALL".to_owned();
            ORGANIZATION.put(&mut *tx, ORGANIZATION_KEY, &org)?;
        }
        _ => return Err(invalid_transition()),
    }
    HANDSHAKES.put(&mut *tx, &h.id, &h)?;
    tx.commit()?;
    Ok(json!({ "Handshake": handshake_json(&org, &h, now) }))
}

pub fn decline_handshake(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let (mut h, org) = handshake_for(&*tx, call.input, call.caller)?;
    if call.caller.account != h.recipient {
        return Err(error::access_denied());
    }
    transition(&mut h, "DECLINED", now)?;
    HANDSHAKES.put(&mut *tx, &h.id, &h)?;
    tx.commit()?;
    Ok(json!({ "Handshake": handshake_json(&org, &h, now) }))
}

pub fn cancel_handshake(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let now = services.clock().now_epoch_f64();
    let mut tx = services.store().write()?;
    let (mut h, org) = handshake_for(&*tx, call.input, call.caller)?;
    // Only the originator (the management account) cancels.
    if call.caller.account != org.management_account_id {
        return Err(error::access_denied());
    }
    transition(&mut h, "CANCELED", now)?;
    HANDSHAKES.put(&mut *tx, &h.id, &h)?;
    tx.commit()?;
    Ok(json!({ "Handshake": handshake_json(&org, &h, now) }))
}

pub fn describe_handshake(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let now = services.clock().now_epoch_f64();
    let tx = services.store().read()?;
    let (h, org) = handshake_for(&*tx, call.input, call.caller)?;
    Ok(json!({ "Handshake": handshake_json(&org, &h, now) }))
}

/// The handshakes matching the input's `Filter` (`ActionType` or `ParentHandshakeId`).
fn filtered(
    handshakes: Vec<HandshakeRecord>,
    input: &Value,
) -> Result<Vec<HandshakeRecord>, ServiceError> {
    let filter = input.get("Filter").cloned().unwrap_or(Value::Null);
    let action = crate::input_str(&filter, "ActionType");
    let parent = crate::input_str(&filter, "ParentHandshakeId");
    if action.is_some() && parent.is_some() {
        // The model's description of the reason (AWS's exact text is not known).
        return Err(error::invalid_input(
            "MAX_LIMIT_EXCEEDED_FILTER",
            "You can specify only one filter parameter for the operation.",
        ));
    }
    Ok(handshakes
        .into_iter()
        .filter(|h| action.is_none_or(|a| a == h.action))
        .filter(|h| parent.is_none_or(|p| Some(p) == h.parent.as_deref()))
        .collect())
}

fn listed(
    org: &OrganizationRecord,
    handshakes: Vec<HandshakeRecord>,
    input: &Value,
    now: f64,
) -> Result<Value, ServiceError> {
    let items = filtered(handshakes, input)?
        .iter()
        .map(|h| (format!("{:020.6}/{}", h.requested, h.id), handshake_json(org, h, now)))
        .collect();
    page(input, "Handshakes", items)
}

pub fn list_handshakes_for_account(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let now = services.clock().now_epoch_f64();
    let Ok(org) = organization_of(services) else {
        // No organization, no handshakes.
        return page(call.input, "Handshakes", Vec::new());
    };
    let tx = services.store().read()?;
    let mine: Vec<HandshakeRecord> = all_handshakes(&*tx)?
        .into_iter()
        .filter(|h| h.organization_id == org.id && h.recipient == call.caller.account)
        .collect();
    listed(&org, mine, call.input, now)
}

pub fn list_handshakes_for_organization(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let org = organization_for_management(services, call.caller)?;
    let now = services.clock().now_epoch_f64();
    let tx = services.store().read()?;
    let all: Vec<HandshakeRecord> =
        all_handshakes(&*tx)?.into_iter().filter(|h| h.organization_id == org.id).collect();
    listed(&org, all, call.input, now)
}

/// Forgets every handshake (the organization is deleted).
pub fn clear_handshakes(tx: &mut dyn WriteTx) -> Result<(), ServiceError> {
    for (key, _) in tree::scan_all(tx, HANDSHAKES, "")? {
        HANDSHAKES.delete(tx, &key)?;
    }
    Ok(())
}
