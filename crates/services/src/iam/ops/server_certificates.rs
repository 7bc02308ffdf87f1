//! Server certificates (for load balancers and CloudFront): upload, read, list, rename or move,
//! delete, tags.
//!
//! An upload is checked as IAM checks it: the body must be one PEM X.509 certificate, the
//! private key a PEM RSA or EC key (PKCS#1, SEC1 or PKCS#8) belonging to that certificate, and
//! the chain, if given, the issuing certificate followed by its own issuers. `Expiration` is the
//! certificate's notAfter. Chain signatures are not verified, only the issuer/subject links.
//!
//! Security: the private key is checked and then dropped; it is never stored, logged or
//! returned.

use serde_json::{json, Value};

use crate::iam::common::{
    check_name, check_path, empty, list_tags, merge_tags, opt, path_member, path_prefix, put_opt,
    required, tags_json, tags_member, untag, with_paging, Paging,
};
use crate::iam::error;
use crate::iam::model::{account_prefix, entity_key, ServerCertificateRecord, SERVER_CERTIFICATES};
use crate::{ids, Call, ServiceError, Services};

/// Server certificates per account (AWS's default quota, ServerCertificatesPerAccount).
pub const SERVER_CERTIFICATES_PER_ACCOUNT: usize = 20;

fn malformed(message: &str) -> ServiceError {
    ServiceError::client("MalformedCertificate", 400, message)
}

fn not_found(name: &str) -> ServiceError {
    error::no_such_entity(format!("The Server Certificate with name {name} cannot be found."))
}

fn load(
    tx: &dyn xacct_store::ReadTx,
    account: &str,
    name: &str,
) -> Result<ServerCertificateRecord, ServiceError> {
    SERVER_CERTIFICATES.get(tx, &entity_key(account, name))?.ok_or_else(|| not_found(name))
}

fn metadata_json(c: &ServerCertificateRecord) -> Value {
    json!({
        "Path": c.path,
        "ServerCertificateName": c.name,
        "ServerCertificateId": c.id,
        "Arn": c.arn,
        "UploadDate": c.upload_date,
        "Expiration": c.expiration,
    })
}

fn name_member<'v>(call: &'v Call<'_>, member: &str) -> Result<&'v str, ServiceError> {
    let name = required(call, member)?;
    check_name(name, member, 128)?;
    Ok(name)
}

pub fn upload_server_certificate(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = name_member(call, "ServerCertificateName")?;
    let path = path_member(call)?;
    let body = required(call, "CertificateBody")?;
    let key = required(call, "PrivateKey")?;
    let chain = opt(call, "CertificateChain");
    let tags = tags_member(call, "Tags")?;
    let expiration = x509::check_upload(body, key, chain)?;
    let record = ServerCertificateRecord {
        account_id: account.clone(),
        name: name.to_owned(),
        id: ids::unique_id("ASCA")?,
        arn: format!("arn:aws:iam::{account}:server-certificate{path}{name}"),
        path,
        body: body.to_owned(),
        chain: chain.map(str::to_owned),
        upload_date: services.clock().now_epoch_f64(),
        expiration,
        tags,
    };
    let mut tx = services.store().write()?;
    let existing = SERVER_CERTIFICATES.scan(&*tx, &account_prefix(account), None, usize::MAX)?;
    if existing.iter().any(|(_, c)| c.name.eq_ignore_ascii_case(name)) {
        // UNVERIFIED wording, after IAM's other "already exists" messages.
        return Err(error::entity_already_exists(format!(
            "The Server Certificate with name {name} already exists."
        )));
    }
    if existing.len() >= SERVER_CERTIFICATES_PER_ACCOUNT {
        return Err(error::quota("ServerCertificatesPerAccount", SERVER_CERTIFICATES_PER_ACCOUNT));
    }
    SERVER_CERTIFICATES.put(&mut *tx, &entity_key(account, name), &record)?;
    tx.commit()?;
    let mut out = json!({ "ServerCertificateMetadata": metadata_json(&record) });
    if !record.tags.is_empty() {
        put_opt(&mut out, "Tags", Some(tags_json(&record.tags)));
    }
    Ok(out)
}

pub fn get_server_certificate(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let name = required(call, "ServerCertificateName")?;
    let tx = services.store().read()?;
    let c = load(&*tx, &call.caller.account, name)?;
    let mut cert = json!({
        "ServerCertificateMetadata": metadata_json(&c),
        "CertificateBody": c.body,
    });
    put_opt(&mut cert, "CertificateChain", c.chain.as_ref().map(|ch| json!(ch)));
    if !c.tags.is_empty() {
        put_opt(&mut cert, "Tags", Some(tags_json(&c.tags)));
    }
    Ok(json!({ "ServerCertificate": cert }))
}

pub fn list_server_certificates(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let paging = Paging::from_call(call)?;
    let prefix = path_prefix(call)?;
    let tx = services.store().read()?;
    let items: Vec<(String, Value)> = SERVER_CERTIFICATES
        .scan(&*tx, &account_prefix(&call.caller.account), None, usize::MAX)?
        .into_iter()
        .filter(|(_, c)| c.path.starts_with(&prefix))
        .map(|(k, c)| (k, metadata_json(&c)))
        .collect();
    let (page, next) = paging.page(items);
    Ok(with_paging(json!({ "ServerCertificateMetadataList": page }), next))
}

pub fn update_server_certificate(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "ServerCertificateName")?;
    let new_name = match opt(call, "NewServerCertificateName") {
        Some(_) => Some(name_member(call, "NewServerCertificateName")?),
        None => None,
    };
    let new_path = opt(call, "NewPath");
    if let Some(p) = new_path {
        check_path(p, "NewPath")?;
    }
    let mut tx = services.store().write()?;
    let mut c = load(&*tx, account, name)?;
    if let Some(n) = new_name {
        if !n.eq_ignore_ascii_case(&c.name)
            && SERVER_CERTIFICATES.get(&*tx, &entity_key(account, n))?.is_some()
        {
            // UNVERIFIED wording, as for a duplicate upload.
            return Err(error::entity_already_exists(format!(
                "The Server Certificate with name {n} already exists."
            )));
        }
    }
    SERVER_CERTIFICATES.delete(&mut *tx, &entity_key(account, &c.name))?;
    if let Some(n) = new_name {
        n.clone_into(&mut c.name);
    }
    if let Some(p) = new_path {
        p.clone_into(&mut c.path);
    }
    c.arn = format!("arn:aws:iam::{account}:server-certificate{}{}", c.path, c.name);
    SERVER_CERTIFICATES.put(&mut *tx, &entity_key(account, &c.name), &c)?;
    tx.commit()?;
    Ok(empty())
}

pub fn delete_server_certificate(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "ServerCertificateName")?;
    let mut tx = services.store().write()?;
    let c = load(&*tx, account, name)?;
    SERVER_CERTIFICATES.delete(&mut *tx, &entity_key(account, &c.name))?;
    tx.commit()?;
    Ok(empty())
}

fn modify(
    services: &Services,
    call: &Call<'_>,
    change: impl FnOnce(&mut ServerCertificateRecord) -> Result<(), ServiceError>,
) -> Result<Value, ServiceError> {
    let account = &call.caller.account;
    let name = required(call, "ServerCertificateName")?;
    let mut tx = services.store().write()?;
    let mut c = load(&*tx, account, name)?;
    change(&mut c)?;
    SERVER_CERTIFICATES.put(&mut *tx, &entity_key(account, &c.name), &c)?;
    tx.commit()?;
    Ok(empty())
}

pub fn tag_server_certificate(services: &Services, call: &Call<'_>) -> Result<Value, ServiceError> {
    let tags = tags_member(call, "Tags")?;
    modify(services, call, |c| merge_tags(&mut c.tags, tags))
}

pub fn untag_server_certificate(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    modify(services, call, |c| untag(call, &mut c.tags))
}

pub fn list_server_certificate_tags(
    services: &Services,
    call: &Call<'_>,
) -> Result<Value, ServiceError> {
    let name = required(call, "ServerCertificateName")?;
    let tx = services.store().read()?;
    let c = load(&*tx, &call.caller.account, name)?;
    list_tags(call, &c.tags)
}

/// Just enough DER to check an upload: the certificate's issuer, subject, notAfter and public
/// key, and the public key a private key implies.
mod x509 {
    use super::malformed;
    use crate::iam::common::base64_decode;
    use crate::ServiceError;

    /// `rsaEncryption` (1.2.840.113549.1.1.1) and `id-ecPublicKey` (1.2.840.10045.2.1).
    const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    const EC_OID: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const BIT_STRING: u8 = 0x03;
    const OCTET_STRING: u8 = 0x04;
    const OID: u8 = 0x06;
    const UTC_TIME: u8 = 0x17;
    const GENERALIZED_TIME: u8 = 0x18;

    const CERT_MESSAGE: &str =
        "Unable to parse certificate. Please ensure the certificate is in PEM format.";
    const CHAIN_MESSAGE: &str = "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order.";

    /// One DER element: tag, content, and what follows it.
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = b.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let len = rest.get(..n)?.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, rest.get(n..)?)
        };
        Some((tag, rest.get(..len)?, rest.get(len..)?))
    }

    /// The content of an element with tag `want`, and what follows it.
    fn expect(b: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
        let (tag, content, rest) = tlv(b)?;
        (tag == want).then_some((content, rest))
    }

    /// An INTEGER's magnitude, without the sign-padding zero byte.
    fn unsigned(i: &[u8]) -> &[u8] {
        match i {
            [0, rest @ ..] if !rest.is_empty() => rest,
            _ => i,
        }
    }

    /// A public key: an RSA modulus or an EC point.
    #[derive(Debug, PartialEq, Eq)]
    pub(super) enum PublicKey<'a> {
        Rsa(&'a [u8]),
        Ec(Option<&'a [u8]>),
    }

    impl PublicKey<'_> {
        fn matches(&self, other: &PublicKey<'_>) -> bool {
            match (self, other) {
                (PublicKey::Rsa(a), PublicKey::Rsa(b)) => a == b,
                // A private key without its public point cannot be compared without curve
                // arithmetic; it is accepted.
                (PublicKey::Ec(Some(a)), PublicKey::Ec(Some(b))) => a == b,
                (PublicKey::Ec(_), PublicKey::Ec(_)) => true,
                _ => false,
            }
        }
    }

    /// The parts of a certificate an upload checks.
    #[derive(Debug)]
    pub(super) struct Certificate<'a> {
        pub issuer: &'a [u8],
        pub subject: &'a [u8],
        /// Epoch seconds.
        pub not_after: f64,
        pub key: PublicKey<'a>,
    }

    /// Parses one DER certificate.
    pub(super) fn certificate(der: &[u8]) -> Option<Certificate<'_>> {
        let (cert, rest) = expect(der, SEQUENCE)?;
        if !rest.is_empty() {
            return None;
        }
        let (tbs, _) = expect(cert, SEQUENCE)?;
        let mut r = tbs;
        if r.first() == Some(&0xa0) {
            r = tlv(r)?.2; // [0] version
        }
        let (_, r) = expect(r, INTEGER)?; // serialNumber
        let (_, r) = expect(r, SEQUENCE)?; // signature algorithm
        let (_, after_issuer) = expect(r, SEQUENCE)?;
        let issuer = r.get(..r.len() - after_issuer.len())?;
        let (validity, r) = expect(after_issuer, SEQUENCE)?;
        let (_, _, after_not_before) = tlv(validity)?;
        let (tag, not_after, _) = tlv(after_not_before)?;
        let not_after = asn1_time(tag, not_after)?;
        let (_, after_subject) = expect(r, SEQUENCE)?;
        let subject = r.get(..r.len() - after_subject.len())?;
        let (spki, _) = expect(after_subject, SEQUENCE)?;
        let (alg, rest) = expect(spki, SEQUENCE)?;
        let (oid, _) = expect(alg, OID)?;
        let (bits, _) = expect(rest, BIT_STRING)?;
        let (&unused, bits) = bits.split_first()?;
        if unused != 0 {
            return None;
        }
        let key = if oid == RSA_OID {
            let (rsa, _) = expect(bits, SEQUENCE)?;
            PublicKey::Rsa(unsigned(expect(rsa, INTEGER)?.0))
        } else if oid == EC_OID {
            PublicKey::Ec(Some(bits))
        } else {
            return None;
        };
        Some(Certificate { issuer, subject, not_after, key })
    }

    /// `YYMMDDHHMMSSZ` (UTCTime, years 1950-2049) or `YYYYMMDDHHMMSSZ` (GeneralizedTime).
    fn asn1_time(tag: u8, b: &[u8]) -> Option<f64> {
        let s = std::str::from_utf8(b).ok()?.strip_suffix('Z')?;
        let (year, rest) = match tag {
            UTC_TIME => {
                let yy: i32 = s.get(..2)?.parse().ok()?;
                (if yy < 50 { 2000 + yy } else { 1900 + yy }, s.get(2..)?)
            }
            GENERALIZED_TIME => (s.get(..4)?.parse().ok()?, s.get(4..)?),
            _ => return None,
        };
        if rest.len() != 10 || !rest.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let field = |i: usize| rest.get(i..i + 2)?.parse::<u8>().ok();
        let month = time::Month::try_from(field(0)?).ok()?;
        let date = time::Date::from_calendar_date(year, month, field(2)?).ok()?;
        let t = time::Time::from_hms(field(4)?, field(6)?, field(8)?).ok()?;
        Some(time::PrimitiveDateTime::new(date, t).assume_utc().unix_timestamp() as f64)
    }

    /// The PEM blocks of `text` as (label, DER), or `None` if anything else is in it.
    fn pem_blocks(text: &str) -> Option<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::new();
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        while let Some(begin) = lines.next() {
            let label = begin.strip_prefix("-----BEGIN ")?.strip_suffix("-----")?;
            let end = format!("-----END {label}-----");
            let mut b64 = String::new();
            loop {
                let line = lines.next()?;
                if line == end {
                    break;
                }
                if line.contains(':') {
                    return None; // encrypted PEM headers (Proc-Type, DEK-Info)
                }
                b64.push_str(line);
            }
            out.push((label.to_owned(), base64_decode(&b64)?));
        }
        (!out.is_empty()).then_some(out)
    }

    /// The public key of a PKCS#1, SEC1 or PKCS#8 private key.
    fn private_key_public<'a>(label: &str, der: &'a [u8]) -> Option<PublicKey<'a>> {
        match label {
            "RSA PRIVATE KEY" => {
                let (seq, _) = expect(der, SEQUENCE)?;
                let (_, r) = expect(seq, INTEGER)?; // version
                Some(PublicKey::Rsa(unsigned(expect(r, INTEGER)?.0)))
            }
            "EC PRIVATE KEY" => {
                let (seq, _) = expect(der, SEQUENCE)?;
                let (_, r) = expect(seq, INTEGER)?; // version 1
                let (_, mut r) = expect(r, OCTET_STRING)?;
                let mut point = None;
                while let Some((tag, content, rest)) = tlv(r) {
                    if tag == 0xa1 {
                        let (bits, _) = expect(content, BIT_STRING)?;
                        point = Some(bits.split_first().filter(|(u, _)| **u == 0)?.1);
                    }
                    r = rest;
                }
                Some(PublicKey::Ec(point))
            }
            "PRIVATE KEY" => {
                let (seq, _) = expect(der, SEQUENCE)?;
                let (_, r) = expect(seq, INTEGER)?; // version
                let (alg, r) = expect(r, SEQUENCE)?;
                let (oid, _) = expect(alg, OID)?;
                let (inner, _) = expect(r, OCTET_STRING)?;
                if oid == RSA_OID {
                    private_key_public("RSA PRIVATE KEY", inner)
                } else if oid == EC_OID {
                    private_key_public("EC PRIVATE KEY", inner)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Checks an upload; the certificate's expiration (epoch seconds) if it passes.
    pub(super) fn check_upload(
        body: &str,
        key: &str,
        chain: Option<&str>,
    ) -> Result<f64, ServiceError> {
        let body_blocks = pem_blocks(body).ok_or_else(|| malformed(CERT_MESSAGE))?;
        let [(label, der)] = body_blocks.as_slice() else {
            return Err(malformed(CERT_MESSAGE));
        };
        if label != "CERTIFICATE" {
            return Err(malformed(CERT_MESSAGE));
        }
        let cert = certificate(der).ok_or_else(|| malformed(CERT_MESSAGE))?;
        // UNVERIFIED wording for a private key IAM cannot read.
        let key_blocks =
            pem_blocks(key).ok_or_else(|| malformed("Unable to parse private key."))?;
        let [(key_label, key_der)] = key_blocks.as_slice() else {
            return Err(malformed("Unable to parse private key."));
        };
        let public = private_key_public(key_label, key_der)
            .ok_or_else(|| malformed("Unable to parse private key."))?;
        if !cert.key.matches(&public) {
            // KeyPairMismatch is the model's error; the wording is UNVERIFIED.
            return Err(ServiceError::client(
                "KeyPairMismatch",
                400,
                "The private key did not match the public key provided.",
            ));
        }
        if let Some(chain) = chain {
            let blocks = pem_blocks(chain).ok_or_else(|| malformed(CHAIN_MESSAGE))?;
            let mut issuer = cert.issuer;
            for (label, der) in &blocks {
                let link = (label == "CERTIFICATE").then(|| certificate(der)).flatten();
                match link {
                    Some(c) if c.subject == issuer => issuer = c.issuer,
                    _ => return Err(malformed(CHAIN_MESSAGE)),
                }
            }
        }
        Ok(cert.not_after)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const RSA_CRT: &str = include_str!("../tests/certs/rsa.crt");
        const RSA_PKCS8: &str = include_str!("../tests/certs/rsa.pkcs8.key");
        const RSA_PKCS1: &str = include_str!("../tests/certs/rsa.pkcs1.key");
        const EC_CRT: &str = include_str!("../tests/certs/ec.crt");
        const EC_PKCS8: &str = include_str!("../tests/certs/ec.pkcs8.key");
        const EC_SEC1: &str = include_str!("../tests/certs/ec.sec1.key");
        const CA_CRT: &str = include_str!("../tests/certs/ca.crt");
        const LEAF_CRT: &str = include_str!("../tests/certs/leaf.crt");
        const LEAF_KEY: &str = include_str!("../tests/certs/leaf.key");

        fn code(r: Result<f64, ServiceError>) -> String {
            r.unwrap_err().code.to_owned()
        }

        #[test]
        fn keys_must_belong_to_the_certificate() {
            for key in [RSA_PKCS8, RSA_PKCS1] {
                assert!(check_upload(RSA_CRT, key, None).unwrap() > 2.0e9);
            }
            for key in [EC_PKCS8, EC_SEC1] {
                assert!(check_upload(EC_CRT, key, None).is_ok());
            }
            assert_eq!(code(check_upload(RSA_CRT, LEAF_KEY, None)), "KeyPairMismatch");
            assert_eq!(code(check_upload(RSA_CRT, EC_PKCS8, None)), "KeyPairMismatch");
            assert_eq!(code(check_upload(EC_CRT, RSA_PKCS8, None)), "KeyPairMismatch");
        }

        #[test]
        fn bodies_and_keys_that_are_not_pem_are_malformed() {
            let e = check_upload("certbody", RSA_PKCS8, None).unwrap_err();
            assert_eq!(e.code, "MalformedCertificate");
            assert_eq!(e.message, CERT_MESSAGE);
            assert_eq!(code(check_upload(RSA_CRT, "privatekey", None)), "MalformedCertificate");
            let two = format!("{RSA_CRT}\n{EC_CRT}");
            assert_eq!(code(check_upload(&two, RSA_PKCS8, None)), "MalformedCertificate");
            assert_eq!(code(check_upload(RSA_PKCS8, RSA_PKCS8, None)), "MalformedCertificate");
        }

        #[test]
        fn the_chain_starts_with_the_issuer() {
            assert!(check_upload(LEAF_CRT, LEAF_KEY, Some(CA_CRT)).is_ok());
            let e = check_upload(LEAF_CRT, LEAF_KEY, Some(RSA_CRT)).unwrap_err();
            assert_eq!(e.message, CHAIN_MESSAGE);
            assert_eq!(
                code(check_upload(LEAF_CRT, LEAF_KEY, Some("certchain"))),
                "MalformedCertificate"
            );
        }

        #[test]
        fn not_after_is_read_from_utc_and_generalized_time() {
            // 2036-11-20T13:18:06Z style UTCTime and a GeneralizedTime past 2049.
            assert_eq!(asn1_time(UTC_TIME, b"491231235959Z"), Some(2_524_607_999.0));
            assert_eq!(asn1_time(UTC_TIME, b"700101000000Z"), Some(0.0));
            assert_eq!(asn1_time(GENERALIZED_TIME, b"22920819190520Z"), Some(10_181_358_320.0));
            assert_eq!(asn1_time(UTC_TIME, b"701301000000Z"), None);
        }
    }
}
