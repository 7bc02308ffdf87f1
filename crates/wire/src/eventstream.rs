//! The `application/vnd.amazon.eventstream` message framing (S3 API reference, "Appendix:
//! SelectObjectContent Response"): a prelude (total length, headers length, both 4-byte
//! big-endian), the prelude's CRC32, the headers, the payload and the whole message's CRC32.
//! Each header is a 1-byte name length, the name, a value type and the value; S3 Select only
//! sends type 7 (string: a 2-byte big-endian length and UTF-8 bytes).

/// Header value type 7: a string.
const STRING_TYPE: u8 = 7;

/// Why a message cannot be framed: a header name over 255 bytes or a value over 65,535.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError;

/// One encoded message with string `headers` and `payload`.
///
/// # Errors
/// [`FrameError`] when a header name or value is too long for its length field, or the message
/// is over 4 GiB.
pub fn encode_message(headers: &[(&str, &str)], payload: &[u8]) -> Result<Vec<u8>, FrameError> {
    let mut head = Vec::new();
    for (name, value) in headers {
        let name_len = u8::try_from(name.len()).map_err(|_| FrameError)?;
        let value_len = u16::try_from(value.len()).map_err(|_| FrameError)?;
        head.push(name_len);
        head.extend_from_slice(name.as_bytes());
        head.push(STRING_TYPE);
        head.extend_from_slice(&value_len.to_be_bytes());
        head.extend_from_slice(value.as_bytes());
    }
    // Prelude (8) + prelude CRC (4) + headers + payload + message CRC (4).
    let total = u32::try_from(16 + head.len() + payload.len()).map_err(|_| FrameError)?;
    let head_len = u32::try_from(head.len()).map_err(|_| FrameError)?;
    let mut out = Vec::with_capacity(16 + head.len() + payload.len());
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&head_len.to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The End event S3 Select sends last, byte for byte: two headers, no payload.
    #[test]
    fn end_event_golden() {
        let m = encode_message(&[(":message-type", "event"), (":event-type", "End")], b"")
            .expect("frames");
        let expected: Vec<u8> = [
            &[0, 0, 0, 0x38, 0, 0, 0, 0x28][..],
            &0xc1c6_84d4_u32.to_be_bytes(),
            &[13],
            b":message-type",
            &[7, 0, 5],
            b"event",
            &[11],
            b":event-type",
            &[7, 0, 3],
            b"End",
        ]
        .concat();
        assert_eq!(m.get(..m.len() - 4), Some(expected.as_slice()));
        let crc = crc32fast::hash(&expected);
        assert_eq!(m.get(m.len() - 4..), Some(&crc.to_be_bytes()[..]));
        assert_eq!(m.len(), 0x38);
    }

    #[test]
    fn payload_follows_headers_and_lengths_add_up() {
        let m = encode_message(&[(":event-type", "Records")], b"a,b\n").expect("frames");
        let total = u32::from_be_bytes(m[0..4].try_into().expect("4 bytes")) as usize;
        let head = u32::from_be_bytes(m[4..8].try_into().expect("4 bytes")) as usize;
        assert_eq!(total, m.len());
        assert_eq!(head, 1 + 11 + 1 + 2 + 7);
        assert_eq!(&m[12 + head..total - 4], b"a,b\n");
        assert_eq!(
            u32::from_be_bytes(m[8..12].try_into().expect("4 bytes")),
            crc32fast::hash(&m[..8])
        );
    }

    #[test]
    fn over_long_header_value_is_refused() {
        let long = "x".repeat(70_000);
        assert_eq!(encode_message(&[("a", &long)], b""), Err(FrameError));
    }
}
