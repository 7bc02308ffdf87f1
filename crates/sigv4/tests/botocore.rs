//! Requests signed by botocore's own signers (tests/gen_botocore_vectors.py wrote
//! tests/botocore_vectors.json) must verify with xacct-sigv4 at the signing time, and must not
//! verify with another secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use base64::Engine;
use serde_json::Value;
use xacct_sigv4::chunked::ChunkedDecoder;
use xacct_sigv4::{
    parse, verify, verify_without_body, HttpRequest, PayloadMode, SigV4Error, SigningKey,
};

fn decode(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn botocore_signed_requests_verify() {
    let text = include_str!("botocore_vectors.json");
    let root: Value = serde_json::from_str(text).unwrap();
    let vectors = root["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 10);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let owned: Vec<(String, String)> = v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_str().unwrap().to_owned()))
            .collect();
        let headers: Vec<(&str, &str)> =
            owned.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let req = HttpRequest {
            method: v["method"].as_str().unwrap(),
            path: v["path"].as_str().unwrap(),
            query: v["query"].as_str().unwrap(),
            headers: &headers,
        };
        let body = decode(v["body_base64"].as_str().unwrap());
        let now = v["now_unix"].as_i64().unwrap();
        let secret = v["secret"].as_str().unwrap();

        let auth = parse(&req).unwrap_or_else(|e| panic!("{name}: parse: {e:?}"));
        assert_eq!(auth.access_key_id, v["access_key_id"].as_str().unwrap(), "{name}");
        assert_eq!(auth.scope.service, v["service"].as_str().unwrap(), "{name}");
        let mode = match auth.payload {
            PayloadMode::Hash(_) => "Hash",
            PayloadMode::Unsigned => "Unsigned",
            PayloadMode::Streaming(_) => "Streaming",
            PayloadMode::FromBody => "FromBody",
        };
        assert_eq!(mode, v["expect_payload"].as_str().unwrap(), "{name}");

        if let PayloadMode::Streaming(_) = auth.payload {
            let key = SigningKey::for_scope(secret, &auth.scope);
            verify_without_body(&req, &auth, &key, now)
                .unwrap_or_else(|e| panic!("{name}: seed: {e:?}"));
            let mut decoder = ChunkedDecoder::new(&auth, &key).unwrap();
            let mut out = Vec::new();
            // Feed in awkward pieces to exercise the incremental state machine.
            for piece in body.chunks(997) {
                decoder.feed(piece, &mut out).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            }
            let trailers = decoder.finish().unwrap();
            assert_eq!(out, decode(v["decoded_base64"].as_str().unwrap()), "{name}");
            assert_eq!(trailers.decoded_length, out.len() as u64);
            assert_eq!(trailers.headers[0].0, "x-amz-checksum-crc32", "{name}");
        } else {
            verify(&req, &auth, &body, secret, now)
                .unwrap_or_else(|e| panic!("{name}: verify: {e:?}"));
        }
        assert!(
            matches!(
                verify(&req, &auth, &body, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEX", now),
                Err(SigV4Error::SignatureDoesNotMatch(_))
            ),
            "{name}: wrong secret accepted"
        );
        if let Some(token) = &auth.security_token {
            assert!(token.starts_with("FwoGZXIvYXdz"), "{name}");
        }
    }
}
