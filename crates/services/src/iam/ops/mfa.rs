//! Virtual MFA devices: a real TOTP seed (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) from
//! the OS RNG, enabling with two consecutive codes, deactivation, deletion, listing, tags.
//!
//! Security: the seed leaves the server only in the `CreateVirtualMFADevice` answer.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;

use super::load_user;
use super::users::user_json;
use crate::iam::common::{
    base32, base64, check_name, empty, hex, list_tags, merge_tags, opt, path_member, put_opt,
    required, tags_json, tags_member, unhex, untag, with_paging, Paging,
};
use crate::iam::error;
use crate::iam::lookup::{mfa_device_key, mfa_device_name};
use crate::iam::model::{account_prefix, entity_key, VirtualMfaRecord, USERS, VIRTUAL_MFA};
use crate::{ids, Call, ServiceError, Services};

/// TOTP time step, seconds.
const STEP: i64 = 30;

/// The 6-digit TOTP code of `seed` for time step `counter` (RFC 4226 dynamic truncation).
pub fn totp_code(seed: &[u8], counter: i64) -> Option<String> {
    let mut mac = Hmac::<Sha1>::new_from_slice(seed).ok()?;
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest.last()? & 0x0f);
    let slice = digest.get(offset..offset + 4)?;
    let mut word = [0u8; 4];
    word.copy_from_slice(slice);
    let bin = u32::from_be_bytes(word) & 0x7fff_ffff;
    Some(format!("{:06}", bin % 1_000_000))
}

/// Whether `code` is the TOTP code of `seed` at `now_unix`, one step either side accepted
/// (clock drift), as AWS tolerates.
pub fn verify_totp(seed: &[u8], code: &str, now_unix: i64) -> bool {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let t = now_unix.div_euclid(STEP);
    (t - 1..=t + 1).any(|c| totp_code(seed, c).is_some_and(|expected| constant_eq(&expected, code)))
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Two consecutive codes: `code1` at some step near now and `code2` at the next.
fn verify_consecutive(seed: &[u8], code1: &str, code2: &str, now_unix: i64) -> bool {
    let t = now_unix.div_euclid(STEP);
    (t - 2..=t).any(|c| {
        totp_code(seed, c).is_some_and(|x| constant_eq(&x, code1))
            && totp_code(seed, c + 1).is_some_and(|y| constant_eq(&y, code2))
    })
}

fn load_device(
    tx: &dyn xacct_store::ReadTx,
    account: &str,
    serial: &str,
) -> Result<VirtualMfaRecord, ServiceError> {
    let missing = || {
        error::no_such_entity(format!(
            "VirtualMFADevice with serial number {serial} doesn't exist."
        ))
    };
    let name = mfa_device_name(account, serial).ok_or_else(missing)?;
    VIRTUAL_MFA
        .get(tx, &entity_key(account, name))?
        .filter(|d| d.serial_number == serial)
        .ok_or_else(missing)
}

fn check_code(code: &str, member: &str) -> Result<(), ServiceError> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error::validation(
            code,
            member,
            "Member must satisfy regular expression pattern: [\\d]+",
        ));
    }
    Ok(())
}

pub fn create_virtual_mfa_device(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "VirtualMFADeviceName")?;
    check_name(name, "VirtualMFADeviceName", 226)?;
    let path = path_member(call)?;
    let tags = tags_member(call, "Tags")?;
    let seed = ids::random_bytes::<20>()?;
    let record = VirtualMfaRecord {
        account_id: account.clone(),
        name: name.to_owned(),
        serial_number: format!("arn:aws:iam::{account}:mfa{path}{name}"),
        path,
        seed_hex: hex(&seed),
        create_date: services.clock().now_epoch_f64(),
        user_name: None,
        enable_date: None,
        tags,
    };
    let base32_seed = base32(&seed);
    let qr = qr_code_png(&format!("otpauth://totp/{name}@{account}?secret={base32_seed}"))?;
    let mut tx = services.store().write()?;
    if !VIRTUAL_MFA.insert_new(&mut *tx, &mfa_device_key(&record), &record)? {
        return Err(error::entity_already_exists(
            "MFADevice entity at the same path and name already exists.",
        ));
    }
    tx.commit()?;
    // Base32StringSeed is a blob: its wire form is the base64 of the base32 text.
    let mut device = json!({
        "SerialNumber": record.serial_number,
        "Base32StringSeed": base64(base32_seed.as_bytes()),
        "QRCodePNG": base64(&qr),
    });
    if !record.tags.is_empty() {
        put_opt(&mut device, "Tags", Some(tags_json(&record.tags)));
    }
    Ok(json!({ "VirtualMFADevice": device }))
}

/// Pixels per QR module, and the quiet zone around the code in modules.
const QR_SCALE: usize = 4;
const QR_QUIET: usize = 4;

/// A PNG (8-bit greyscale) of the QR code of `text`: what `QRCodePNG` carries, the
/// `otpauth://totp/NAME@ACCOUNT?secret=BASE32` URI an authenticator app scans.
fn qr_code_png(text: &str) -> Result<Vec<u8>, ServiceError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| ServiceError::internal(format!("qr code: {e}")))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QR_QUIET) * QR_SCALE;
    let mut raw = Vec::with_capacity(side * (side + 1));
    for y in 0..side {
        raw.push(0); // filter: none
        let my = (y / QR_SCALE).checked_sub(QR_QUIET).filter(|m| *m < modules);
        for x in 0..side {
            let mx = (x / QR_SCALE).checked_sub(QR_QUIET).filter(|m| *m < modules);
            let is_dark = match (mx, my) {
                (Some(mx), Some(my)) => colors.get(my * modules + mx) == Some(&qrcode::Color::Dark),
                _ => false,
            };
            raw.push(if is_dark { 0 } else { 255 });
        }
    }
    let side = u32::try_from(side).map_err(|_| ServiceError::internal("qr code too large"))?;
    png_greyscale(side, side, &raw)
}

/// A PNG file of 8-bit greyscale rows, each already prefixed with its filter byte.
fn png_greyscale(width: u32, height: u32, filtered: &[u8]) -> Result<Vec<u8>, ServiceError> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> Result<(), ServiceError> {
        let len = u32::try_from(data.len()).map_err(|_| ServiceError::internal("png chunk"))?;
        out.extend_from_slice(&len.to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
        Ok(())
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(filtered).map_err(|e| ServiceError::internal(format!("png: {e}")))?;
    let idat = z.finish().map_err(|e| ServiceError::internal(format!("png: {e}")))?;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr)?;
    chunk(&mut out, b"IDAT", &idat)?;
    chunk(&mut out, b"IEND", &[])?;
    Ok(out)
}

pub fn enable_mfa_device(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let user_name = required(call, "UserName")?;
    let serial = required(call, "SerialNumber")?;
    let code1 = required(call, "AuthenticationCode1")?;
    let code2 = required(call, "AuthenticationCode2")?;
    check_code(code1, "authenticationCode1")?;
    check_code(code2, "authenticationCode2")?;
    let mut tx = services.store().write()?;
    let user = load_user(&*tx, account, user_name)?;
    let mut device = load_device(&*tx, account, serial)?;
    if device.user_name.is_some() {
        return Err(error::entity_already_exists("MFA Device is already in use."));
    }
    let seed =
        unhex(&device.seed_hex).ok_or_else(|| ServiceError::internal("mfa seed is not hex"))?;
    if !verify_consecutive(&seed, code1, code2, services.clock().now_unix()) {
        return Err(error::invalid_authentication_code(
            "Authentication code for device is not valid.",
        ));
    }
    device.user_name = Some(user.user_name);
    device.enable_date = Some(services.clock().now_epoch_f64());
    VIRTUAL_MFA.put(&mut *tx, &mfa_device_key(&device), &device)?;
    tx.commit()?;
    Ok(empty())
}

pub fn resync_mfa_device(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let user_name = required(call, "UserName")?;
    let serial = required(call, "SerialNumber")?;
    let code1 = required(call, "AuthenticationCode1")?;
    let code2 = required(call, "AuthenticationCode2")?;
    let tx = services.store().read()?;
    let user = load_user(&*tx, account, user_name)?;
    let device = load_device(&*tx, account, serial)?;
    if !device.user_name.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&user.user_name)) {
        return Err(error::no_such_entity(format!(
            "MFA Device with serial number {serial} does not exist."
        )));
    }
    let seed =
        unhex(&device.seed_hex).ok_or_else(|| ServiceError::internal("mfa seed is not hex"))?;
    if !verify_consecutive(&seed, code1, code2, services.clock().now_unix()) {
        return Err(error::invalid_authentication_code(
            "Authentication code for device is not valid.",
        ));
    }
    Ok(empty())
}

pub fn deactivate_mfa_device(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let serial = required(call, "SerialNumber")?;
    let mut tx = services.store().write()?;
    let mut device = load_device(&*tx, account, serial)?;
    let enabled_for = device.user_name.clone();
    let matches_user = match (opt(call, "UserName"), &enabled_for) {
        (_, None) => false,
        (Some(u), Some(e)) => {
            load_user(&*tx, account, u)?;
            u.eq_ignore_ascii_case(e)
        }
        (None, Some(_)) => true,
    };
    if !matches_user {
        return Err(error::no_such_entity(format!(
            "MFA Device with serial number {serial} does not exist."
        )));
    }
    device.user_name = None;
    device.enable_date = None;
    VIRTUAL_MFA.put(&mut *tx, &mfa_device_key(&device), &device)?;
    tx.commit()?;
    Ok(empty())
}

pub fn delete_virtual_mfa_device(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let serial = required(call, "SerialNumber")?;
    let mut tx = services.store().write()?;
    let device = load_device(&*tx, account, serial)?;
    if device.user_name.is_some() {
        return Err(error::delete_conflict("MFA VirtualDevice in use. Must deactivate first."));
    }
    VIRTUAL_MFA.delete(&mut *tx, &mfa_device_key(&device))?;
    tx.commit()?;
    Ok(empty())
}

pub fn list_mfa_devices(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let paging = Paging::from_call(call)?;
    let tx = services.store().read()?;
    let user_name = match opt(call, "UserName") {
        Some(n) => Some(load_user(&*tx, account, n)?.user_name),
        None => super::implicit_user(call)?,
    };
    let items: Vec<(String, Value)> = VIRTUAL_MFA
        .scan(&*tx, &account_prefix(account), None, usize::MAX)?
        .into_iter()
        .filter(|(_, d)| match (&d.user_name, &user_name) {
            (Some(owner), Some(u)) => owner.eq_ignore_ascii_case(u),
            _ => false,
        })
        .map(|(k, d)| {
            (
                k,
                json!({
                    "UserName": d.user_name,
                    "SerialNumber": d.serial_number,
                    "EnableDate": d.enable_date,
                }),
            )
        })
        .collect();
    let (page, next) = paging.page(items);
    Ok(with_paging(json!({ "MFADevices": page }), next))
}

pub fn list_virtual_mfa_devices(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let paging = Paging::from_call(call)?;
    let status = opt(call, "AssignmentStatus").unwrap_or("Any");
    let tx = services.store().read()?;
    let mut items = Vec::new();
    for (k, d) in VIRTUAL_MFA.scan(&*tx, &account_prefix(account), None, usize::MAX)? {
        let assigned = d.user_name.is_some();
        let keep = match status {
            "Assigned" => assigned,
            "Unassigned" => !assigned,
            _ => true,
        };
        if !keep {
            continue;
        }
        let mut v = json!({ "SerialNumber": d.serial_number });
        if let Some(u) = &d.user_name {
            if let Some(user) = USERS.get(&*tx, &entity_key(account, u))? {
                put_opt(&mut v, "User", Some(user_json(&user, false)));
            }
            put_opt(&mut v, "EnableDate", d.enable_date.map(|t| json!(t)));
        }
        if !d.tags.is_empty() {
            put_opt(&mut v, "Tags", Some(tags_json(&d.tags)));
        }
        items.push((k, v));
    }
    let (page, next) = paging.page(items);
    Ok(with_paging(json!({ "VirtualMFADevices": page }), next))
}

fn modify(
    services: &Services,
    call: &Call<'_>,
    change: impl FnOnce(&mut VirtualMfaRecord) -> Result<(), ServiceError>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let serial = required(call, "SerialNumber")?;
    let mut tx = services.store().write()?;
    let mut d = load_device(&*tx, account, serial)?;
    change(&mut d)?;
    VIRTUAL_MFA.put(&mut *tx, &mfa_device_key(&d), &d)?;
    tx.commit()?;
    Ok(empty())
}

pub fn tag_mfa_device(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tags = tags_member(call, "Tags")?;
    modify(services, call, |d| merge_tags(&mut d.tags, tags))
}

pub fn untag_mfa_device(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    modify(services, call, |d| untag(call, &mut d.tags))
}

pub fn list_mfa_device_tags(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let serial = required(call, "SerialNumber")?;
    let tx = services.store().read()?;
    let d = load_device(&*tx, &call.caller.account, serial)?;
    list_tags(call, &d.tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 Appendix B, SHA-1 seed "12345678901234567890", last 6 digits.
        let seed = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp_code(seed, t / 30).unwrap(), code, "t={t}");
            assert!(verify_totp(seed, code, t));
            assert!(verify_totp(seed, code, t + 30), "one step late is accepted");
            assert!(!verify_totp(seed, code, t + 95), "three steps late is refused");
        }
        assert!(!verify_totp(seed, "28708", 59));
        assert!(!verify_totp(seed, "abcdef", 59));
    }

    #[test]
    fn qr_code_png_is_a_png_of_the_code() {
        let png = qr_code_png("otpauth://totp/dev@123456789012?secret=ABCDEFGH").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let modules = qrcode::QrCode::new(b"otpauth://totp/dev@123456789012?secret=ABCDEFGH")
            .unwrap()
            .width();
        assert_eq!(width as usize, (modules + 2 * QR_QUIET) * QR_SCALE);
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
        // The pixel rows inflate back: a white quiet zone, then the dark finder pattern.
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut rows = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::ZlibDecoder::new(&png[41..41 + idat_len]),
            &mut rows,
        )
        .unwrap();
        let stride = 1 + width as usize;
        assert_eq!(rows.len(), stride * width as usize);
        assert_eq!(rows[1], 255, "quiet zone is white");
        let first_module = stride * QR_QUIET * QR_SCALE + 1 + QR_QUIET * QR_SCALE;
        assert_eq!(rows[first_module], 0, "finder pattern corner is dark");
    }
}
