//! S3 Select (`SelectObjectContent`): the request's serialization settings, decompression, the
//! SQL engine (`sql.rs` parses, `eval.rs` evaluates) and the record formats (`formats.rs`).
//! Pure: the handler reads the object and hands its bytes to [`run`].
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
    Json,
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
            // DOCUMENT and LINES both read as a sequence of JSON values.
            Some("DOCUMENT" | "LINES") => InFormat::Json,
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

fn decompress(raw: &[u8], c: Compression) -> Result<Vec<u8>, SelectError> {
    let bad = || {
        SelectError::new(
            "InvalidCompressionFormat",
            "The file is not in a supported compression format. Only GZIP and BZIP2 are supported.",
        )
    };
    let mut out = Vec::new();
    match c {
        Compression::None => return Ok(raw.to_vec()),
        Compression::Gzip => {
            flate2::read::MultiGzDecoder::new(raw).read_to_end(&mut out).map_err(|_| bad())?;
        }
        Compression::Bzip2 => {
            bzip2_rs::DecoderReader::new(raw).read_to_end(&mut out).map_err(|_| bad())?;
        }
    }
    Ok(out)
}

/// Runs `req` over an object's stored bytes.
pub fn run(req: &Request, raw: &[u8]) -> Result<Selected, SelectError> {
    let bytes = decompress(raw, req.compression)?;
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
    match &req.input {
        InFormat::Csv(c) => {
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                SelectError::new(
                    "InvalidTextEncoding",
                    "Invalid encoding type. Only UTF-8 encoding is supported.",
                )
            })?;
            let mut reader = formats::CsvReader::new(text, c)?;
            while let Some(record) = reader.next_record()? {
                if !feed(record, &mut buf, &mut chunks)? {
                    break;
                }
            }
        }
        InFormat::Json => {
            let mut reader = formats::JsonReader::new(&bytes);
            while let Some(record) = reader.next_record()? {
                if !feed(record, &mut buf, &mut chunks)? {
                    break;
                }
            }
        }
    }
    if let Some(v) = plan.finish(scope)? {
        formats::write_record(&v, &req.output, &mut buf);
    }
    emit(&mut buf, &mut chunks);
    Ok(Selected {
        chunks,
        bytes_scanned: raw.len() as u64,
        bytes_processed: bytes.len() as u64,
        bytes_returned: returned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Write;

    fn select(input: Value, raw: &[u8]) -> Result<String, SelectError> {
        let req = request(&input)?;
        let out = run(&req, raw)?;
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

    #[test]
    fn gzip_and_bzip2_inputs_and_stats() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(CSV.as_bytes()).expect("gzip");
        let gz = gz.finish().expect("gzip");
        let req = request(&json!({"Expression": "SELECT count(*) FROM S3Object", "ExpressionType": "SQL",
            "InputSerialization": {"CSV": {}, "CompressionType": "GZIP"}, "OutputSerialization": {"CSV": {}}}))
        .expect("valid");
        let out = run(&req, &gz).expect("selects");
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
