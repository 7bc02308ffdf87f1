//! S3 Select (`SelectObjectContent`): the request's serialization settings, decompression, the
//! SQL engine (`sql.rs` parses, `eval.rs` evaluates) and the record formats (`formats.rs`).
//! Pure: the handler hands [`run`] a reader of the object's stored bytes. CSV and JSON LINES
//! input is decompressed and evaluated a piece at a time (never held whole); a JSON DOCUMENT,
//! or CSV whose quoted fields may hold record delimiters, is read whole. The answer's records
//! are held until the end.
//!
//! Every error is found before the answer starts (the whole object is evaluated first), so each
//! is an ordinary S3 XML error with status 400; AWS reports errors met mid-stream as an error
//! event instead.

mod eval;
mod formats;
mod sql;

use std::io::Read;

use serde_json::Value;

use eval::{from_rows, Output, Plan, Scope, Val};
use formats::{CsvIn, CsvOut, FileHeaderInfo, OutFormat};

/// An S3 Select error: AWS's code (HTTP 400) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectError {
    pub code: &'static str,
    pub message: String,
}

impl SelectError {
    pub fn new(code: &'static str, message: impl Into<String>) -> SelectError {
        SelectError { code, message: message.into() }
    }
}

/// The input format.
#[derive(Debug, Clone, PartialEq)]
enum InFormat {
    Csv(CsvIn),
    /// JSON DOCUMENT (`lines` false) or LINES (one value per line).
    Json {
        lines: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Bzip2,
}

/// A validated `SelectObjectContentRequest`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    query: sql::Query,
    input: InFormat,
    compression: Compression,
    output: OutFormat,
    /// `RequestProgress.Enabled`.
    pub progress: bool,
}

/// What the answer carries: record payload chunks and the byte counts of the Stats event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub chunks: Vec<Vec<u8>>,
    pub bytes_scanned: u64,
    pub bytes_processed: u64,
    pub bytes_returned: u64,
}

/// Records events carry at most this many bytes (a record is never split).
const CHUNK: usize = 64 * 1024;

fn missing(what: &str) -> SelectError {
    SelectError::new(
        "MissingRequiredParameter",
        format!("The SelectRequest entity is missing a required parameter: `{what}`. Check the service documentation and try again."),
    )
}

fn str_member<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a str> {
    v.and_then(|v| v.get(name)).and_then(Value::as_str)
}

/// One character setting (`QuoteCharacter`...): at most one character.
fn one_char(v: Option<&Value>, name: &str, default: char) -> Result<Option<char>, SelectError> {
    match str_member(v, name) {
        None => Ok(Some(default)),
        Some("") => Ok(None),
        Some(s) => {
            let mut it = s.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Ok(Some(c)),
                _ => Err(SelectError::new(
                    "InvalidRequestParameter",
                    format!("The value of the parameter `{name}` in SelectRequest is invalid: it must be one character."),
                )),
            }
        }
    }
}

/// Validates the request's `Expression`, `ExpressionType`, `InputSerialization`,
/// `OutputSerialization` and `RequestProgress` (member names of the botocore model).
pub fn request(input: &Value) -> Result<Request, SelectError> {
    let expression =
        input.get("Expression").and_then(Value::as_str).ok_or_else(|| missing("Expression"))?;
    match input.get("ExpressionType").and_then(Value::as_str) {
        Some("SQL") => {}
        None => return Err(missing("ExpressionType")),
        Some(_) => {
            return Err(SelectError::new(
                "InvalidExpressionType",
                "The ExpressionType is invalid. Only SQL expressions are supported.",
            ))
        }
    }
    let ins = input.get("InputSerialization").ok_or_else(|| missing("InputSerialization"))?;
    let outs = input.get("OutputSerialization").ok_or_else(|| missing("OutputSerialization"))?;
    let compression = match str_member(Some(ins), "CompressionType") {
        None | Some("NONE") => Compression::None,
        Some("GZIP") => Compression::Gzip,
        Some("BZIP2") => Compression::Bzip2,
        Some(other) => {
            return Err(SelectError::new(
                "InvalidCompressionFormat",
                format!("The file is not in a supported compression format (`{other}`). Only GZIP and BZIP2 are supported."),
            ))
        }
    };
    let present = |v: &Value, m: &str| v.get(m).is_some_and(|x| !x.is_null());
    let formats = ["CSV", "JSON", "Parquet"].iter().filter(|m| present(ins, m)).count();
    let conflict = || {
        SelectError::new(
            "ObjectSerializationConflict",
            "InputSerialization specifies more than one format (CSV, JSON, or Parquet), or OutputSerialization specifies more than one format (CSV or JSON). InputSerialization and OutputSerialization can only specify one format each.",
        )
    };
    if formats > 1 {
        return Err(conflict());
    }
    let input_format = if let Some(c) = ins.get("CSV").filter(|x| !x.is_null()) {
        let header = match str_member(Some(c), "FileHeaderInfo") {
            None | Some("NONE") => FileHeaderInfo::None,
            Some("USE") => FileHeaderInfo::Use,
            Some("IGNORE") => FileHeaderInfo::Ignore,
            Some(_) => {
                return Err(SelectError::new(
                    "InvalidFileHeaderInfo",
                    "The FileHeaderInfo is invalid. Only NONE, USE, and IGNORE are supported.",
                ))
            }
        };
        let quote = one_char(Some(c), "QuoteCharacter", '"')?;
        InFormat::Csv(CsvIn {
            header,
            record_delimiter: str_member(Some(c), "RecordDelimiter").unwrap_or("\n").to_owned(),
            field_delimiter: str_member(Some(c), "FieldDelimiter").unwrap_or(",").to_owned(),
            escape: match str_member(Some(c), "QuoteEscapeCharacter") {
                None => quote,
                Some(_) => one_char(Some(c), "QuoteEscapeCharacter", '"')?,
            },
            quote,
            // `#` unless the request names another (an empty one turns comments off).
            comments: Some(str_member(Some(c), "Comments").unwrap_or("#").to_owned()),
            allow_quoted_record_delimiter: c
                .get("AllowQuotedRecordDelimiter")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    } else if let Some(j) = ins.get("JSON").filter(|x| !x.is_null()) {
        match str_member(Some(j), "Type") {
            // Both read as a sequence of JSON values; LINES input is also read line by line.
            Some("DOCUMENT") => InFormat::Json { lines: false },
            Some("LINES") => InFormat::Json { lines: true },
            None => return Err(missing("JSON Type")),
            Some(_) => {
                return Err(SelectError::new(
                    "InvalidJsonType",
                    "The JsonType is invalid. Only DOCUMENT and LINES are supported.",
                ))
            }
        }
    } else if present(ins, "Parquet") {
        return Err(SelectError::new(
            "NotImplemented",
            "Parquet input is not supported by this endpoint; use CSV or JSON.",
        ));
    } else {
        return Err(missing("InputSerialization format"));
    };
    if present(outs, "CSV") && present(outs, "JSON") {
        return Err(conflict());
    }
    let output = if let Some(c) = outs.get("CSV").filter(|x| !x.is_null()) {
        let always_quote = match str_member(Some(c), "QuoteFields") {
            None | Some("ASNEEDED") => false,
            Some("ALWAYS") => true,
            Some(_) => {
                return Err(SelectError::new(
                    "InvalidQuoteFields",
                    "The QuoteFields is invalid. Only ALWAYS and ASNEEDED are supported.",
                ))
            }
        };
        let quote = one_char(Some(c), "QuoteCharacter", '"')?.unwrap_or('"');
        OutFormat::Csv(CsvOut {
            always_quote,
            record_delimiter: str_member(Some(c), "RecordDelimiter").unwrap_or("\n").to_owned(),
            field_delimiter: str_member(Some(c), "FieldDelimiter").unwrap_or(",").to_owned(),
            escape: one_char(Some(c), "QuoteEscapeCharacter", quote)?.unwrap_or(quote),
            quote,
        })
    } else if let Some(j) = outs.get("JSON").filter(|x| !x.is_null()) {
        OutFormat::Json {
            record_delimiter: str_member(Some(j), "RecordDelimiter").unwrap_or("\n").to_owned(),
        }
    } else {
        return Err(missing("OutputSerialization format"));
    };
    if input.get("ScanRange").is_some_and(|x| !x.is_null()) {
        return Err(SelectError::new(
            "NotImplemented",
            "ScanRange is not supported by this endpoint; select over the whole object.",
        ));
    }
    Ok(Request {
        query: sql::parse(expression)?,
        input: input_format,
        compression,
        output,
        progress: input
            .get("RequestProgress")
            .and_then(|p| p.get("Enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// CSV and JSON LINES input is read in pieces of about this many decompressed bytes, each
/// ending after a record delimiter, so such an object is never held whole.
const READ_PIECE: usize = 1 << 20;

/// AWS's bound on one record: "The maximum length of a record in the input or result is 1 MB"
/// (S3 User Guide, S3 Select requirements and limits). The code `OverMaxRecordSize` and its
/// message are from S3 Select's error-code list as other S3 servers reproduce it; not checked
/// against AWS's own page here.
const MAX_RECORD: usize = 1 << 20;

fn bad_compression() -> SelectError {
    SelectError::new(
        "InvalidCompressionFormat",
        "The file is not in a supported compression format. Only GZIP and BZIP2 are supported.",
    )
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Runs of whole records from a decompressed input: each piece ends right after a record
/// delimiter (one not preceded by the quote escape, which may make it literal) or at the end.
struct Pieces<'r> {
    src: &'r mut dyn Read,
    buf: Vec<u8>,
    eof: bool,
    piece: usize,
    delimiter: Vec<u8>,
    escape: Option<Vec<u8>>,
}

impl Pieces<'_> {
    fn next_piece(&mut self) -> Result<Option<Vec<u8>>, SelectError> {
        let mut want = self.piece;
        loop {
            let mut block = [0u8; 64 * 1024];
            while !self.eof && self.buf.len() < want {
                let n = self.src.read(&mut block).map_err(|_| bad_compression())?;
                match block.get(..n) {
                    Some(read) if n > 0 => self.buf.extend_from_slice(read),
                    _ => self.eof = true,
                }
            }
            if self.eof {
                self.check_records(&self.buf)?;
                return Ok((!self.buf.is_empty()).then(|| std::mem::take(&mut self.buf)));
            }
            if let Some(end) = self.split_point() {
                let rest = self.buf.split_off(end);
                let piece = std::mem::replace(&mut self.buf, rest);
                self.check_records(&piece)?;
                return Ok(Some(piece));
            }
            self.check_records(&self.buf)?;
            want = self.buf.len().saturating_add(self.piece);
        }
    }

    /// Refuses a record longer than AWS's bound (records here run between record delimiters).
    fn check_records(&self, bytes: &[u8]) -> Result<(), SelectError> {
        let d = self.delimiter.as_slice();
        if d.is_empty() {
            return Ok(());
        }
        let mut start = 0;
        let ends = bytes.windows(d.len()).enumerate().filter(|(_, w)| *w == d).map(|(i, _)| i);
        for end in ends.chain(std::iter::once(bytes.len())) {
            if end.saturating_sub(start) > MAX_RECORD {
                return Err(SelectError::new(
                    "OverMaxRecordSize",
                    "The length of a record in the input or result is greater than maxCharsPerRecord of 1 MB.",
                ));
            }
            start = end + d.len();
        }
        Ok(())
    }

    /// The end of the last record delimiter in the buffer that surely ends a record.
    fn split_point(&self) -> Option<usize> {
        let d = self.delimiter.as_slice();
        if d.is_empty() {
            return None;
        }
        let mut end = self.buf.len();
        while let Some(pos) = self.buf.get(..end)?.windows(d.len()).rposition(|w| w == d) {
            let escaped = self.escape.as_deref().is_some_and(|e| {
                pos.checked_sub(e.len()).and_then(|from| self.buf.get(from..pos)) == Some(e)
            });
            if !escaped {
                return Some(pos + d.len());
            }
            end = pos;
        }
        None
    }
}

/// Runs `req` over an object's stored bytes, read from `stored` as they are needed.
pub fn run(req: &Request, stored: &mut dyn Read) -> Result<Selected, SelectError> {
    run_in_pieces(req, stored, READ_PIECE)
}

fn run_in_pieces(
    req: &Request,
    stored: &mut dyn Read,
    piece: usize,
) -> Result<Selected, SelectError> {
    let mut scanned = Counting { inner: stored, n: 0 };
    let mut processed = Counting {
        inner: match req.compression {
            Compression::None => Box::new(&mut scanned) as Box<dyn Read + '_>,
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(&mut scanned)),
            Compression::Bzip2 => Box::new(bzip2_rs::DecoderReader::new(&mut scanned)),
        },
        n: 0,
    };
    let q = &req.query;
    let positional = matches!(req.input, InFormat::Csv(_));
    let scope = Scope { alias: q.alias.as_deref(), positional };
    let mut plan = Plan::new(q, scope)?;
    let mut chunks = Vec::new();
    let mut buf = String::new();
    let mut returned = 0u64;
    let mut emit = |buf: &mut String, chunks: &mut Vec<Vec<u8>>| {
        if !buf.is_empty() {
            returned += buf.len() as u64;
            chunks.push(std::mem::take(buf).into_bytes());
        }
    };
    // Feeds one record; false once the LIMIT is reached.
    let mut feed = |record: Val, buf: &mut String, chunks: &mut Vec<Vec<u8>>| {
        for row in from_rows(record, &q.from, positional)? {
            match plan.row(&row, scope)? {
                Output::Record(v) => {
                    formats::write_record(&v, &req.output, buf);
                    if buf.len() >= CHUNK {
                        emit(buf, chunks);
                    }
                }
                Output::Skip => {}
                Output::Done => return Ok::<bool, SelectError>(false),
            }
        }
        Ok(true)
    };
    let utf8 = |bytes: &[u8]| {
        std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| {
            SelectError::new(
                "InvalidTextEncoding",
                "Invalid encoding type. Only UTF-8 encoding is supported.",
            )
        })
    };
    // A record delimiter inside quotes (AllowQuotedRecordDelimiter) or a JSON document can
    // span any piece: such input is read whole.
    let delimiter = match &req.input {
        InFormat::Csv(c) if !c.allow_quoted_record_delimiter => {
            let escape = c.escape.filter(|e| Some(*e) != c.quote);
            Some((
                c.record_delimiter.as_bytes().to_vec(),
                escape.map(|e| e.to_string().into_bytes()),
            ))
        }
        InFormat::Json { lines: true } => Some((b"\n".to_vec(), None)),
        _ => None,
    };
    let mut pieces = match delimiter {
        Some((delimiter, escape)) => {
            Pieces { src: &mut processed, buf: Vec::new(), eof: false, piece, delimiter, escape }
        }
        None => Pieces {
            src: &mut processed,
            buf: Vec::new(),
            eof: false,
            piece: usize::MAX,
            delimiter: Vec::new(),
            escape: None,
        },
    };
    // The CSV header, once read from a piece.
    let mut header: Option<Option<Vec<String>>> = None;
    'pieces: while let Some(bytes) = pieces.next_piece()? {
        match &req.input {
            InFormat::Csv(c) => {
                let text = utf8(&bytes)?;
                let mut reader = match &header {
                    Some(h) => formats::CsvReader::continuing(&text, c, h.clone())?,
                    None => formats::CsvReader::new(&text, c)?,
                };
                if header.is_none() && reader.header_settled() {
                    header = Some(reader.header().cloned());
                }
                while let Some(record) = reader.next_record()? {
                    if !feed(record, &mut buf, &mut chunks)? {
                        break 'pieces;
                    }
                }
            }
            InFormat::Json { .. } => {
                let mut reader = formats::JsonReader::new(&bytes);
                while let Some(record) = reader.next_record()? {
                    if !feed(record, &mut buf, &mut chunks)? {
                        break 'pieces;
                    }
                }
            }
        }
    }
    drop(pieces);
    if let Some(v) = plan.finish(scope)? {
        formats::write_record(&v, &req.output, &mut buf);
    }
    emit(&mut buf, &mut chunks);
    let bytes_processed = processed.n;
    drop(processed);
    Ok(Selected { chunks, bytes_scanned: scanned.n, bytes_processed, bytes_returned: returned })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Write;

    fn select(input: Value, raw: &[u8]) -> Result<String, SelectError> {
        let req = request(&input)?;
        let out = run(&req, &mut &raw[..])?;
        Ok(String::from_utf8(out.chunks.concat()).expect("utf-8"))
    }

    const CSV: &str = "name,city\nAna,Lisbon\n#Zed,Nowhere\nBo,Oslo\n";

    #[test]
    fn csv_with_header_to_json() {
        let out = select(
            json!({"Expression": "SELECT s.name FROM S3Object s WHERE s.city = 'Oslo'", "ExpressionType": "SQL",
                   "InputSerialization": {"CSV": {"FileHeaderInfo": "USE"}}, "OutputSerialization": {"JSON": {}}}),
            CSV.as_bytes(),
        )
        .expect("selects");
        assert_eq!(out, "{\"name\":\"Bo\"}\n");
        // `#` starts a comment line by default; another Comments character turns that off.
        let out = select(
            json!({"Expression": "SELECT COUNT(*) FROM S3Object", "ExpressionType": "SQL",
                   "InputSerialization": {"CSV": {"FileHeaderInfo": "USE", "Comments": ";"}}, "OutputSerialization": {"CSV": {}}}),
            CSV.as_bytes(),
        )
        .expect("selects");
        assert_eq!(out, "3\n");
    }

    /// `input` selected whole and in pieces of several sizes gives the same answer.
    fn same_in_pieces(input: Value, raw: &[u8]) -> String {
        let req = request(&input).expect("valid");
        let whole = run_in_pieces(&req, &mut &raw[..], usize::MAX).expect("selects whole");
        for piece in [1, 3, 7, 64, 1000] {
            let out = run_in_pieces(&req, &mut &raw[..], piece).expect("selects in pieces");
            assert_eq!(out.chunks.concat(), whole.chunks.concat(), "piece {piece}");
            assert_eq!(out.bytes_processed, raw.len() as u64, "piece {piece}");
        }
        String::from_utf8(whole.chunks.concat()).expect("utf-8")
    }

    #[test]
    fn csv_and_json_lines_are_read_in_pieces_with_the_same_answer() {
        let mut csv = String::from("#note\n\n#another note\nname,city\n");
        for i in 0..300 {
            csv.push_str(&format!("n{i},\"c{}\"\n", i % 7));
        }
        let out = same_in_pieces(
            json!({"Expression": "SELECT s.name FROM S3Object s WHERE s.city = 'c3' LIMIT 5", "ExpressionType": "SQL",
                   "InputSerialization": {"CSV": {"FileHeaderInfo": "USE"}}, "OutputSerialization": {"CSV": {}}}),
            csv.as_bytes(),
        );
        assert_eq!(out, "n3\nn10\nn17\nn24\nn31\n");
        let count = same_in_pieces(
            json!({"Expression": "SELECT count(*) FROM S3Object", "ExpressionType": "SQL",
                   "InputSerialization": {"CSV": {"FileHeaderInfo": "IGNORE", "RecordDelimiter": "\r\n"}},
                   "OutputSerialization": {"CSV": {}}}),
            csv.replace('\n', "\r\n").as_bytes(),
        );
        assert_eq!(count, "300\n");
        // An escaped record delimiter inside quotes is no place to split.
        let escaped = same_in_pieces(
            json!({"Expression": "SELECT s._2 FROM S3Object s", "ExpressionType": "SQL",
                   "InputSerialization": {"CSV": {"QuoteEscapeCharacter": "\\"}},
                   "OutputSerialization": {"JSON": {}}}),
            b"a,\"x\\\ny\"\nb,z\n",
        );
        assert_eq!(escaped, "{\"_2\":\"x\\ny\"}\n{\"_2\":\"z\"}\n");
        let lines = same_in_pieces(
            json!({"Expression": "SELECT s.a FROM S3Object s WHERE s.a > 297", "ExpressionType": "SQL",
                   "InputSerialization": {"JSON": {"Type": "LINES"}}, "OutputSerialization": {"JSON": {}}}),
            (0..300)
                .map(|i| format!("{{\"a\": {i}, \"t\": \"é\"}}\n"))
                .collect::<String>()
                .as_bytes(),
        );
        assert_eq!(lines, "{\"a\":298}\n{\"a\":299}\n");
    }

    #[test]
    fn a_record_over_1_mib_is_refused() {
        let mut csv = vec![b'x'; MAX_RECORD + 10];
        csv.extend_from_slice(b"\ny\n");
        let req = request(
            &json!({"Expression": "SELECT count(*) FROM S3Object", "ExpressionType": "SQL",
            "InputSerialization": {"CSV": {}}, "OutputSerialization": {"CSV": {}}}),
        )
        .expect("valid");
        let e = run(&req, &mut &csv[..]).expect_err("too long");
        assert_eq!(e.code, "OverMaxRecordSize");
        // Also in the middle, after short records, and at the very end.
        let mut middle = b"a\n".repeat(300_000);
        middle.extend_from_slice(&csv);
        let e = run(&req, &mut &middle[..]).expect_err("too long");
        assert_eq!(e.code, "OverMaxRecordSize");
        let mut end = b"a\n".repeat(10);
        end.extend(std::iter::repeat_n(b'x', MAX_RECORD + 1));
        let e = run(&req, &mut &end[..]).expect_err("too long");
        assert_eq!(e.code, "OverMaxRecordSize");
        let mut fits = b"a\n".repeat(10);
        fits.extend(std::iter::repeat_n(b'x', MAX_RECORD));
        assert_eq!(run(&req, &mut &fits[..]).expect("fits").chunks.concat(), b"11\n");
    }

    #[test]
    fn gzip_and_bzip2_inputs_and_stats() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(CSV.as_bytes()).expect("gzip");
        let gz = gz.finish().expect("gzip");
        let req = request(&json!({"Expression": "SELECT count(*) FROM S3Object", "ExpressionType": "SQL",
            "InputSerialization": {"CSV": {}, "CompressionType": "GZIP"}, "OutputSerialization": {"CSV": {}}}))
        .expect("valid");
        let out = run(&req, &mut &gz[..]).expect("selects");
        assert_eq!(out.chunks.concat(), b"3\n");
        assert_eq!(out.bytes_scanned, gz.len() as u64);
        assert_eq!(out.bytes_processed, CSV.len() as u64);
        assert_eq!(out.bytes_returned, 2);
        // Python's `bz2.compress(b"a,b\nc,d\n", 9)`.
        let bz: &[u8] = &[
            0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0x91, 0x5b, 0x9d, 0xa9,
            0x00, 0x00, 0x02, 0x51, 0x00, 0x00, 0x10, 0x00, 0x04, 0x3c, 0x00, 0x20, 0x00, 0x30,
            0xc0, 0x08, 0x69, 0xb2, 0x88, 0x23, 0x27, 0x8b, 0xb9, 0x22, 0x9c, 0x28, 0x48, 0x48,
            0xad, 0xce, 0xd4, 0x80,
        ];
        let out = select(
            json!({"Expression": "SELECT _2 FROM S3Object", "ExpressionType": "SQL",
            "InputSerialization": {"CSV": {}, "CompressionType": "BZIP2"}, "OutputSerialization": {"CSV": {}}}),
            bz,
        );
        assert_eq!(out.expect("bzip2"), "b\nd\n");
        let e = select(
            json!({"Expression": "SELECT * FROM S3Object", "ExpressionType": "SQL",
            "InputSerialization": {"CSV": {}, "CompressionType": "GZIP"}, "OutputSerialization": {"CSV": {}}}),
            b"plain",
        );
        assert_eq!(e.expect_err("not gzip").code, "InvalidCompressionFormat");
    }

    #[test]
    fn json_document_select_all_wraps_non_objects() {
        let out = select(
            json!({"Expression": "select * from s3object s", "ExpressionType": "SQL",
                   "InputSerialization": {"JSON": {"Type": "DOCUMENT"}}, "OutputSerialization": {"JSON": {"RecordDelimiter": ","}}}),
            b"[{\"b\":1},2]",
        )
        .expect("selects");
        assert_eq!(out, "{\"_1\":[{\"b\":1},2]},");
    }

    #[test]
    fn request_validation() {
        let base = json!({"Expression": "select * from s3object", "ExpressionType": "SQL",
            "InputSerialization": {"JSON": {"Type": "LINES"}}, "OutputSerialization": {"JSON": {}}});
        assert!(request(&base).is_ok());
        let with = |path: &str, v: Value| {
            let mut x = base.clone();
            let mut cur = &mut x;
            let parts: Vec<&str> = path.split('/').collect();
            for p in &parts[..parts.len() - 1] {
                cur = cur.get_mut(*p).expect("path");
            }
            cur[parts[parts.len() - 1]] = v;
            request(&x).expect_err(path).code
        };
        assert_eq!(with("ExpressionType", json!("XPATH")), "InvalidExpressionType");
        assert_eq!(with("InputSerialization/CSV", json!({})), "ObjectSerializationConflict");
        assert_eq!(
            with("InputSerialization/CompressionType", json!("ZIP")),
            "InvalidCompressionFormat"
        );
        assert_eq!(with("InputSerialization/JSON", json!({"Type": "XML"})), "InvalidJsonType");
        assert_eq!(with("OutputSerialization/CSV", json!({})), "ObjectSerializationConflict");
        assert_eq!(with("Expression", json!("select * from")), "ParseUnsupportedSyntax");
        assert_eq!(with("InputSerialization", json!({"Parquet": {}})), "NotImplemented");
        assert_eq!(
            with("OutputSerialization", json!({"CSV": {"QuoteFields": "NEVER"}})),
            "InvalidQuoteFields"
        );
    }
}
