//! aws-chunked bodies: Amazon S3's documented streaming example, round trips through
//! `ChunkSigner`, and every way a stream can be broken.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use xacct_sigv4::chunked::{unsigned_chunk, unsigned_final_chunk, ChunkSigner, ChunkedDecoder};
use xacct_sigv4::{
    parse, verify_without_body, HttpRequest, Scope, SigV4Error, SigningKey, StreamingMode,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20130524T000000Z";
const NOW: i64 = 1_369_353_600;

fn scope() -> Scope {
    Scope { date: "20130524".into(), region: "us-east-1".into(), service: "s3".into() }
}

fn key() -> SigningKey {
    SigningKey::for_scope(SECRET, &scope())
}

fn decode_all(
    decoder: &mut ChunkedDecoder,
    body: &[u8],
    piece: usize,
) -> Result<Vec<u8>, SigV4Error> {
    let mut out = Vec::new();
    for p in body.chunks(piece.max(1)) {
        decoder.feed(p, &mut out)?;
    }
    Ok(out)
}

/// Amazon S3 API reference, "Transferring payload in multiple chunks": PUT chunkObject.txt with
/// 65 KiB of `a` in a 64 KiB chunk and a 1 KiB chunk.
#[test]
fn s3_documentation_streaming_example() {
    let auth_value = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let headers = [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", DATE),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", auth_value),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", "66824"),
    ];
    let req = HttpRequest {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &headers,
    };
    let auth = parse(&req).unwrap();
    verify_without_body(&req, &auth, &key(), NOW).unwrap();

    let mut signer = ChunkSigner::new(key(), DATE, &scope(), &auth.signature);
    let first = vec![b'a'; 65_536];
    let second = vec![b'a'; 1024];
    let mut body = Vec::new();
    body.extend(signer.chunk(&first));
    body.extend(signer.chunk(&second));
    body.extend(signer.chunk(b""));
    let text = String::from_utf8_lossy(&body);
    assert!(text.starts_with("10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"));
    assert!(text.contains("\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"));
    assert!(text.ends_with("\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"));
    assert_eq!(body.len(), 66_824);

    for piece in [1, 7, 4096, 100_000] {
        let mut decoder = ChunkedDecoder::new(&auth, &key()).unwrap();
        let out = decode_all(&mut decoder, &body, piece).unwrap();
        assert_eq!(out.len(), 66_560);
        assert!(out.iter().all(|&b| b == b'a'));
        let trailers = decoder.finish().unwrap();
        assert_eq!(trailers.decoded_length, 66_560);
        assert!(trailers.headers.is_empty());
    }

    // One flipped data byte breaks that chunk's signature.
    let mut tampered = body.clone();
    tampered[200] = b'b';
    let mut decoder = ChunkedDecoder::new(&auth, &key()).unwrap();
    assert_eq!(
        decode_all(&mut decoder, &tampered, 8192),
        Err(SigV4Error::ChunkSignatureDoesNotMatch)
    );

    // Chunks cannot be reordered or dropped: the chain breaks.
    let second_start = text.find("\r\n400;").unwrap() + 2;
    let dropped = body[second_start..].to_vec();
    let mut decoder = ChunkedDecoder::new(&auth, &key()).unwrap();
    assert_eq!(
        decode_all(&mut decoder, &dropped, 8192),
        Err(SigV4Error::ChunkSignatureDoesNotMatch)
    );

    // A truncated body is incomplete.
    let mut decoder = ChunkedDecoder::new(&auth, &key()).unwrap();
    decode_all(&mut decoder, &body[..body.len() - 3], 8192).unwrap();
    assert_eq!(decoder.finish(), Err(SigV4Error::IncompleteBody));

    // Bytes after the end are refused.
    let mut extra = body.clone();
    extra.extend_from_slice(b"junk");
    let mut decoder = ChunkedDecoder::new(&auth, &key()).unwrap();
    assert!(matches!(
        decode_all(&mut decoder, &extra, 100_000),
        Err(SigV4Error::MalformedChunk(_))
    ));
}

fn decoder(mode: StreamingMode, seed: &str) -> ChunkedDecoder {
    ChunkedDecoder::with_seed(mode, key(), DATE, &scope(), seed)
}

#[test]
fn small_middle_chunk_is_refused() {
    let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let mut signer = ChunkSigner::new(key(), DATE, &scope(), seed);
    let mut body = signer.chunk(&[1u8; 100]);
    body.extend(signer.chunk(&[2u8; 100]));
    body.extend(signer.chunk(b""));
    let mut d = decoder(StreamingMode::SignedChunks, seed);
    assert_eq!(decode_all(&mut d, &body, 50), Err(SigV4Error::InvalidChunkSize));
    assert_eq!(SigV4Error::InvalidChunkSize.s3_code(), "InvalidChunkSizeError");
}

#[test]
fn signed_trailer_round_trip_and_tamper() {
    let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    let mut signer = ChunkSigner::new(key(), DATE, &scope(), seed);
    // ASCII data so the body can be edited as text below.
    let data: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut body = signer.chunk(&data[..10_000]);
    body.extend(signer.chunk(&data[10_000..]));
    body.extend(signer.final_chunk_with_trailers(&[("x-amz-checksum-crc32c", "sOO8/Q==")]));

    let mut d = decoder(StreamingMode::SignedChunksWithTrailer, seed);
    assert_eq!(decode_all(&mut d, &body, 333).unwrap(), data);
    let trailers = d.finish().unwrap();
    assert_eq!(trailers.headers, vec![("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())]);

    let tampered = String::from_utf8_lossy(&body).replace("sOO8/Q==", "AAAAAA==").into_bytes();
    let mut d = decoder(StreamingMode::SignedChunksWithTrailer, seed);
    assert_eq!(decode_all(&mut d, &tampered, 4096), Err(SigV4Error::ChunkSignatureDoesNotMatch));

    // A signed-trailer stream without the trailer signature is malformed.
    let stripped: Vec<u8> = {
        let s = String::from_utf8_lossy(&body).into_owned();
        let cut = s.find("x-amz-trailer-signature").unwrap();
        let mut v = s.as_bytes()[..cut].to_vec();
        v.extend_from_slice(b"\r\n");
        v
    };
    let mut d = decoder(StreamingMode::SignedChunksWithTrailer, seed);
    assert_eq!(
        decode_all(&mut d, &stripped, 4096),
        Err(SigV4Error::MalformedChunk(
            "signed trailer without x-amz-trailer-signature".to_owned()
        ))
    );
}

#[test]
fn unsigned_trailer_is_deframed() {
    let mut body = unsigned_chunk(b"hello ");
    body.extend(unsigned_chunk(b"world"));
    body.extend(unsigned_final_chunk(&[("x-amz-checksum-crc32", "DUoRhQ==")]));
    let mut d = decoder(StreamingMode::UnsignedWithTrailer, "seed-unused");
    assert_eq!(decode_all(&mut d, &body, 3).unwrap(), b"hello world");
    let t = d.finish().unwrap();
    assert_eq!(t.headers, vec![("x-amz-checksum-crc32".to_owned(), "DUoRhQ==".to_owned())]);
    assert_eq!(t.decoded_length, 11);
}

#[test]
fn broken_framing_is_malformed() {
    for bad in [
        &b"zz\r\nabc\r\n0\r\n\r\n"[..],
        b"3\nabc\r\n0\r\n\r\n",
        b"3\r\nabcX\r\n0\r\n\r\n",
        b"0\r\nno-colon-here\r\n\r\n",
        b"ffffffffffffffffff\r\n",
    ] {
        let mut d = decoder(StreamingMode::UnsignedWithTrailer, "");
        let r = decode_all(&mut d, bad, 5);
        assert!(
            matches!(r, Err(SigV4Error::MalformedChunk(_))),
            "{:?} gave {r:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let mut d = decoder(StreamingMode::SignedChunks, "00");
    assert!(matches!(decode_all(&mut d, b"3\r\nabc\r\n", 64), Err(SigV4Error::MalformedChunk(_))));
    let long = vec![b'1'; 5000];
    let mut d = decoder(StreamingMode::UnsignedWithTrailer, "");
    assert!(matches!(decode_all(&mut d, &long, 64), Err(SigV4Error::MalformedChunk(_))));
}

/// The AWS Common Runtime's chunk-signer test vector: the S3 streaming example followed by
/// signed trailers `first:1st`, `second:2nd`, `third:3rd`.
#[test]
fn aws_crt_trailer_signature_vector() {
    let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let mut signer = ChunkSigner::new(key(), DATE, &scope(), seed);
    let mut body = signer.chunk(&[b'a'; 65_536]);
    body.extend(signer.chunk(&[b'a'; 1024]));
    let trailers = [("first", "1st"), ("second", "2nd"), ("third", "3rd")];
    let tail = signer.final_chunk_with_trailers(&trailers);
    let text = String::from_utf8(tail.clone()).unwrap();
    assert_eq!(
        text,
        "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\
         first:1st\r\nsecond:2nd\r\nthird:3rd\r\n\
         x-amz-trailer-signature:df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c\r\n\r\n"
    );
    body.extend(tail);
    let mut d = decoder(StreamingMode::SignedChunksWithTrailer, seed);
    assert_eq!(decode_all(&mut d, &body, 10_000).unwrap().len(), 66_560);
    assert_eq!(d.finish().unwrap().headers.len(), 3);
}

/// Mock mode de-frames signed chunks without a secret: any chunk signature passes, the framing
/// is still enforced.
#[test]
fn unverified_decoder_deframes_without_checking_signatures() {
    let mut signer = ChunkSigner::new(key(), DATE, &scope(), &"0".repeat(64));
    let mut body = signer.chunk(&vec![b'x'; 9000]);
    body.extend(signer.chunk(b"tail"));
    body.extend(signer.final_chunk_with_trailers(&[("x-amz-checksum-crc32", "AAAAAA==")]));
    let mut decoder = ChunkedDecoder::unverified(StreamingMode::SignedChunksWithTrailer);
    let out = decode_all(&mut decoder, &body, 777).unwrap();
    assert_eq!(out.len(), 9004);
    let trailers = decoder.finish().unwrap();
    assert_eq!(trailers.headers, vec![("x-amz-checksum-crc32".to_owned(), "AAAAAA==".to_owned())]);

    let mut decoder = ChunkedDecoder::unverified(StreamingMode::UnsignedWithTrailer);
    let mut out = Vec::new();
    decoder.feed(b"zz\r\n", &mut out).unwrap_err();
}
