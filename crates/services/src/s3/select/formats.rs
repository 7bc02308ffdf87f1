//! Input records (CSV, JSON DOCUMENT and LINES) and output serialization (CSV, JSON) of S3
//! Select (S3 API reference: `CSVInput`, `JSONInput`, `CSVOutput`, `JSONOutput`). Pure: bytes in,
//! bytes out.

use super::eval::{float_text, text, Val};
use super::SelectError;

/// `CSVInput`, defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvIn {
    pub header: FileHeaderInfo,
    pub record_delimiter: String,
    pub field_delimiter: String,
    pub quote: Option<char>,
    pub escape: Option<char>,
    pub comments: Option<String>,
    pub allow_quoted_record_delimiter: bool,
}

/// `FileHeaderInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileHeaderInfo {
    Use,
    Ignore,
    None,
}

/// `CSVOutput`, defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOut {
    pub always_quote: bool,
    pub record_delimiter: String,
    pub field_delimiter: String,
    pub quote: char,
    pub escape: char,
}

/// Output serialization.
#[derive(Debug, Clone, PartialEq)]
pub enum OutFormat {
    Csv(CsvOut),
    Json { record_delimiter: String },
}

fn csv_error(detail: &str) -> SelectError {
    SelectError::new(
        "CSVParsingError",
        format!(
            "Encountered an error parsing the CSV file: {detail}. Check the file and try again."
        ),
    )
}

/// A CSV reader yielding one record at a time. It works on bytes: the delimiters, quote and
/// escape are matched as UTF-8 byte strings, which cannot match inside another character.
pub struct CsvReader<'a> {
    s: &'a [u8],
    i: usize,
    rd: Vec<u8>,
    fd: Vec<u8>,
    quote: Option<Vec<u8>>,
    escape: Option<Vec<u8>>,
    comments: Option<Vec<u8>>,
    allow_quoted_record_delimiter: bool,
    header: Option<Vec<String>>,
    /// The header record (USE/IGNORE) has been read, or there is none to read (NONE).
    header_settled: bool,
}

fn char_bytes(c: Option<char>) -> Option<Vec<u8>> {
    c.map(|c| c.to_string().into_bytes())
}

impl<'a> CsvReader<'a> {
    /// A reader over `text`; with `FileHeaderInfo` USE or IGNORE the first record is read here.
    pub fn new(text: &'a str, c: &CsvIn) -> Result<CsvReader<'a>, SelectError> {
        let mut r = CsvReader::open(text, c)?;
        match c.header {
            FileHeaderInfo::Use => {
                r.header = r.next_fields()?;
                r.header_settled = r.header.is_some();
            }
            FileHeaderInfo::Ignore => r.header_settled = r.next_fields()?.is_some(),
            FileHeaderInfo::None => r.header_settled = true,
        }
        Ok(r)
    }

    /// A reader over a later piece of the same input, whose header (if any) was read from an
    /// earlier piece.
    pub fn continuing(
        text: &'a str,
        c: &CsvIn,
        header: Option<Vec<String>>,
    ) -> Result<CsvReader<'a>, SelectError> {
        let mut r = CsvReader::open(text, c)?;
        r.header = header;
        r.header_settled = true;
        Ok(r)
    }

    /// Whether the header record is behind (false while a piece held only comments and blank
    /// lines).
    pub fn header_settled(&self) -> bool {
        self.header_settled
    }

    /// The header's column names (USE).
    pub fn header(&self) -> Option<&Vec<String>> {
        self.header.as_ref()
    }

    fn open(text: &'a str, c: &CsvIn) -> Result<CsvReader<'a>, SelectError> {
        if c.record_delimiter.is_empty() || c.field_delimiter.is_empty() {
            return Err(SelectError::new(
                "InvalidRequestParameter",
                "The value of a parameter in SelectRequest element is invalid: the record and field delimiters must not be empty.",
            ));
        }
        Ok(CsvReader {
            s: text.as_bytes(),
            i: 0,
            rd: c.record_delimiter.as_bytes().to_vec(),
            fd: c.field_delimiter.as_bytes().to_vec(),
            quote: char_bytes(c.quote),
            escape: char_bytes(c.escape),
            comments: c.comments.as_ref().filter(|p| !p.is_empty()).map(|p| p.as_bytes().to_vec()),
            allow_quoted_record_delimiter: c.allow_quoted_record_delimiter,
            header: None,
            header_settled: false,
        })
    }

    fn at(&self, i: usize, pat: &[u8]) -> bool {
        self.s.get(i..i + pat.len()) == Some(pat)
    }

    fn at_opt(&self, i: usize, pat: Option<&Vec<u8>>) -> bool {
        pat.is_some_and(|p| self.at(i, p))
    }

    /// The next record as a struct keyed by the header (USE) or `_1`, `_2`, ...
    pub fn next_record(&mut self) -> Result<Option<Val>, SelectError> {
        let Some(fields) = self.next_fields()? else { return Ok(None) };
        let header = self.header.as_ref();
        Ok(Some(Val::Struct(
            fields
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    let name = header
                        .and_then(|h| h.get(i).cloned())
                        .unwrap_or_else(|| format!("_{}", i + 1));
                    (name, Val::Str(f))
                })
                .collect(),
        )))
    }

    /// The next record's fields; comment lines and blank lines are no records.
    pub fn next_fields(&mut self) -> Result<Option<Vec<String>>, SelectError> {
        loop {
            if self.i >= self.s.len() {
                return Ok(None);
            }
            if self.at_opt(self.i, self.comments.as_ref()) {
                // A comment line runs to the next record delimiter.
                while self.i < self.s.len() && !self.at(self.i, &self.rd) {
                    self.i += 1;
                }
                self.i += self.rd.len();
                continue;
            }
            let fields = self.fields()?;
            // A blank line is no record.
            if !(fields.len() == 1 && fields.first().is_some_and(String::is_empty)) {
                return Ok(Some(fields));
            }
        }
    }

    fn fields(&mut self) -> Result<Vec<String>, SelectError> {
        let text = |b: Vec<u8>| String::from_utf8(b).map_err(|_| csv_error("a field is not UTF-8"));
        let (qlen, elen) =
            (self.quote.as_ref().map_or(0, Vec::len), self.escape.as_ref().map_or(0, Vec::len));
        let escape_doubles = self.escape == self.quote;
        let mut fields = Vec::new();
        let mut cur = Vec::new();
        let mut in_quotes = false;
        let mut at_field_start = true;
        while let Some(&b) = self.s.get(self.i) {
            if in_quotes {
                if !escape_doubles && self.at_opt(self.i, self.escape.as_ref()) {
                    // The escape makes the next byte (a quote, usually) literal.
                    if let Some(&next) = self.s.get(self.i + elen) {
                        cur.push(next);
                        self.i += elen + 1;
                        continue;
                    }
                }
                if self.at_opt(self.i, self.quote.as_ref()) {
                    if escape_doubles && self.at_opt(self.i + qlen, self.quote.as_ref()) {
                        cur.extend_from_slice(
                            self.s.get(self.i..self.i + qlen).unwrap_or_default(),
                        );
                        self.i += 2 * qlen;
                        continue;
                    }
                    in_quotes = false;
                    self.i += qlen;
                    continue;
                }
                if self.allow_quoted_record_delimiter || !self.at(self.i, &self.rd) {
                    cur.push(b);
                    self.i += 1;
                    continue;
                }
                // Without AllowQuotedRecordDelimiter a record delimiter always ends the record.
                in_quotes = false;
            }
            if self.at(self.i, &self.rd) {
                self.i += self.rd.len();
                fields.push(text(cur)?);
                return Ok(fields);
            }
            if self.at(self.i, &self.fd) {
                fields.push(text(std::mem::take(&mut cur))?);
                self.i += self.fd.len();
                at_field_start = true;
                continue;
            }
            if at_field_start && self.at_opt(self.i, self.quote.as_ref()) {
                in_quotes = true;
                at_field_start = false;
                self.i += qlen;
                continue;
            }
            at_field_start = false;
            cur.push(b);
            self.i += 1;
        }
        if in_quotes && self.allow_quoted_record_delimiter {
            return Err(csv_error("a quoted field is not closed"));
        }
        fields.push(text(cur)?);
        Ok(fields)
    }
}

fn json_error(detail: &str) -> SelectError {
    SelectError::new(
        "JSONParsingError",
        format!(
            "Encountered an error parsing the JSON file: {detail}. Check the file and try again."
        ),
    )
}

/// A JSON reader keeping object member order.
pub struct JsonReader<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 256;

impl JsonReader<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn lit(&mut self, word: &str, v: Val) -> Result<Val, SelectError> {
        if self.s.get(self.i..self.i + word.len()) == Some(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(json_error("an unexpected token"))
        }
    }

    fn value(&mut self) -> Result<Val, SelectError> {
        self.ws();
        match self.s.get(self.i) {
            None => Err(json_error("unexpected end of input")),
            Some(b'{') => {
                self.enter()?;
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(Val::Struct(fields));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return Err(json_error("an object key is not a string"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return Err(json_error("a `:` is missing"));
                    }
                    self.i += 1;
                    let v = self.value()?;
                    fields.push((k, v));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            self.depth -= 1;
                            return Ok(Val::Struct(fields));
                        }
                        _ => return Err(json_error("an object is not closed")),
                    }
                }
            }
            Some(b'[') => {
                self.enter()?;
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(Val::List(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            self.depth -= 1;
                            return Ok(Val::List(items));
                        }
                        _ => return Err(json_error("an array is not closed")),
                    }
                }
            }
            Some(b'"') => Ok(Val::Str(self.string()?)),
            Some(b't') => self.lit("true", Val::Bool(true)),
            Some(b'f') => self.lit("false", Val::Bool(false)),
            Some(b'n') => self.lit("null", Val::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(json_error("an unexpected character")),
        }
    }

    fn enter(&mut self) -> Result<(), SelectError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(json_error("the document nests too deeply"));
        }
        Ok(())
    }

    fn number(&mut self) -> Result<Val, SelectError> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        let t = std::str::from_utf8(self.s.get(start..self.i).unwrap_or_default())
            .map_err(|_| json_error("an invalid number"))?;
        if let Ok(n) = t.parse::<i64>() {
            return Ok(Val::Int(n));
        }
        t.parse::<f64>().map(Val::Float).map_err(|_| json_error("an invalid number"))
    }

    fn hex4(&mut self) -> Result<u32, SelectError> {
        let h = self.s.get(self.i..self.i + 4).ok_or_else(|| json_error("a short \\u escape"))?;
        self.i += 4;
        let t = std::str::from_utf8(h).map_err(|_| json_error("an invalid \\u escape"))?;
        u32::from_str_radix(t, 16).map_err(|_| json_error("an invalid \\u escape"))
    }

    fn string(&mut self) -> Result<String, SelectError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.i) else {
                return Err(json_error("a string is not closed"));
            };
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Err(json_error("a string is not closed"));
                    };
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&hi)
                                && self.s.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff)
                            } else {
                                hi
                            };
                            char::from_u32(code).unwrap_or('\u{fffd}')
                        }
                        _ => return Err(json_error("an invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                b => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| json_error("a string is not UTF-8"))
    }
}

impl<'a> JsonReader<'a> {
    /// A reader of JSON DOCUMENT input (one or more top-level values) or LINES input (one value
    /// per line); both read as a sequence of whitespace-separated values.
    pub fn new(bytes: &'a [u8]) -> JsonReader<'a> {
        JsonReader { s: bytes, i: 0, depth: 0 }
    }

    /// The next record.
    pub fn next_record(&mut self) -> Result<Option<Val>, SelectError> {
        self.ws();
        if self.i >= self.s.len() {
            return Ok(None);
        }
        self.value().map(Some)
    }
}

/// JSON text of a value (object members in order, `MISSING` members left out).
pub fn json_text(v: &Val, out: &mut String) {
    match v {
        Val::Missing | Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Int(n) => out.push_str(&n.to_string()),
        Val::Float(f) if f.is_finite() => out.push_str(&float_text(*f)),
        Val::Float(_) => out.push_str("null"),
        Val::Str(s) => json_string(s, out),
        Val::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_text(x, out);
            }
            out.push(']');
        }
        Val::Struct(fields) => {
            out.push('{');
            let mut first = true;
            for (k, x) in fields {
                if *x == Val::Missing {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                json_string(k, out);
                out.push(':');
                json_text(x, out);
            }
            out.push('}');
        }
    }
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Serializes one output record.
///
/// JSON: a struct as an object; anything else (a `SELECT *` row that is a list or scalar) as
/// `{"_1": value}`; `MISSING` as `{}`. CSV: a struct's values in order, a list's items, or the
/// scalar; absent values are empty fields, nested ones their JSON text.
pub fn write_record(v: &Val, f: &OutFormat, out: &mut String) {
    match f {
        OutFormat::Json { record_delimiter } => {
            match v {
                Val::Struct(_) => json_text(v, out),
                Val::Missing => out.push_str("{}"),
                other => json_text(&Val::Struct(vec![("_1".to_owned(), other.clone())]), out),
            }
            out.push_str(record_delimiter);
        }
        OutFormat::Csv(c) => {
            let fields: Vec<&Val> = match v {
                Val::Struct(fields) => fields.iter().map(|(_, x)| x).collect(),
                Val::List(items) => items.iter().collect(),
                other => vec![other],
            };
            for (i, x) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(&c.field_delimiter);
                }
                let t = match x {
                    Val::Missing | Val::Null => String::new(),
                    Val::List(_) | Val::Struct(_) => {
                        let mut j = String::new();
                        json_text(x, &mut j);
                        j
                    }
                    x => text(x).unwrap_or_default(),
                };
                csv_field(&t, c, out);
            }
            out.push_str(&c.record_delimiter);
        }
    }
}

fn csv_field(t: &str, c: &CsvOut, out: &mut String) {
    let needs = c.always_quote
        || t.contains(c.quote)
        || t.contains(&c.field_delimiter)
        || t.contains(&c.record_delimiter)
        || t.contains('\n')
        || t.contains('\r');
    if !needs {
        out.push_str(t);
        return;
    }
    out.push(c.quote);
    for ch in t.chars() {
        if ch == c.quote || (ch == c.escape && c.escape != c.quote) {
            out.push(c.escape);
        }
        out.push(ch);
    }
    out.push(c.quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_in() -> CsvIn {
        CsvIn {
            header: FileHeaderInfo::None,
            record_delimiter: "\n".into(),
            field_delimiter: ",".into(),
            quote: Some('"'),
            escape: Some('"'),
            comments: None,
            allow_quoted_record_delimiter: false,
        }
    }

    fn csv_out() -> CsvOut {
        CsvOut {
            always_quote: false,
            record_delimiter: "\n".into(),
            field_delimiter: ",".into(),
            quote: '"',
            escape: '"',
        }
    }

    fn csv_records(text: &str, c: &CsvIn) -> Result<Vec<Vec<String>>, SelectError> {
        let mut r = CsvReader::new(text, c)?;
        let mut out = Vec::new();
        while let Some(f) = r.next_fields()? {
            out.push(f);
        }
        Ok(out)
    }

    fn csv_values(text: &str, c: &CsvIn) -> Result<Vec<Val>, SelectError> {
        let mut r = CsvReader::new(text, c)?;
        let mut out = Vec::new();
        while let Some(v) = r.next_record()? {
            out.push(v);
        }
        Ok(out)
    }

    fn json_values(bytes: &[u8]) -> Result<Vec<Val>, SelectError> {
        let mut r = JsonReader::new(bytes);
        let mut out = Vec::new();
        while let Some(v) = r.next_record()? {
            out.push(v);
        }
        Ok(out)
    }

    #[test]
    fn csv_quotes_comments_and_delimiters() {
        let mut c = csv_in();
        c.comments = Some("#".into());
        let recs = csv_records("a,\"b,c\",\"say \"\"hi\"\"\"\n#skip me\n\nx,,z", &c).expect("csv");
        assert_eq!(
            recs,
            vec![
                vec!["a".to_owned(), "b,c".into(), "say \"hi\"".into()],
                vec!["x".into(), "".into(), "z".into()]
            ]
        );
        let mut c = csv_in();
        c.record_delimiter = "|".into();
        c.field_delimiter = "\t".into();
        assert_eq!(csv_records("a\tb|c\td|", &c).expect("csv").len(), 2);
        let mut c = csv_in();
        c.field_delimiter = "¦".into();
        c.quote = Some('«');
        c.escape = Some('«');
        assert_eq!(
            csv_records("é¦«x¦««y«\n", &c).expect("csv"),
            vec![vec!["é".to_owned(), "x¦«y".into()]]
        );
    }

    #[test]
    fn quoted_record_delimiter_needs_the_flag() {
        let text = "\"a\nb\",c\nd,e";
        assert_eq!(csv_records(text, &csv_in()).expect("csv").len(), 3);
        let mut c = csv_in();
        c.allow_quoted_record_delimiter = true;
        let recs = csv_records(text, &c).expect("csv");
        assert_eq!(recs, vec![vec!["a\nb".to_owned(), "c".into()], vec!["d".into(), "e".into()]]);
        assert_eq!(csv_records("\"open", &c).expect_err("unclosed").code, "CSVParsingError");
    }

    #[test]
    fn csv_header_use_names_fields() {
        let mut c = csv_in();
        c.header = FileHeaderInfo::Use;
        let v = csv_values("name,age\nAna,34\n", &c).expect("csv");
        assert_eq!(
            v,
            vec![Val::Struct(vec![
                ("name".into(), Val::Str("Ana".into())),
                ("age".into(), Val::Str("34".into()))
            ])]
        );
        c.header = FileHeaderInfo::Ignore;
        let v = csv_values("name,age\nAna,34\n", &c).expect("csv");
        assert_eq!(
            v,
            vec![Val::Struct(vec![
                ("_1".into(), Val::Str("Ana".into())),
                ("_2".into(), Val::Str("34".into()))
            ])]
        );
    }

    #[test]
    fn json_keeps_member_order_and_reads_concatenated_documents() {
        let v =
            json_values(b"{\"z\": 1, \"a\": [true, null, 1.5, \"\\u00e9\\n\"]} {\"b\":{}}\n[1]")
                .expect("json");
        assert_eq!(v.len(), 3);
        let mut out = String::new();
        json_text(v.first().expect("one"), &mut out);
        assert_eq!(out, "{\"z\":1,\"a\":[true,null,1.5,\"é\\n\"]}");
        assert_eq!(json_values(b"{\"a\":").expect_err("short").code, "JSONParsingError");
        assert_eq!(json_values(b"{a:1}").expect_err("bare key").code, "JSONParsingError");
        let deep = "[".repeat(1000);
        assert_eq!(json_values(deep.as_bytes()).expect_err("deep").code, "JSONParsingError");
    }

    #[test]
    fn records_serialize() {
        let rec = Val::Struct(vec![
            ("a".into(), Val::Str("x,y".into())),
            ("b".into(), Val::Missing),
            ("c".into(), Val::Int(3)),
            ("d".into(), Val::Str("q\"".into())),
        ]);
        let mut out = String::new();
        write_record(&rec, &OutFormat::Csv(csv_out()), &mut out);
        assert_eq!(out, "\"x,y\",,3,\"q\"\"\"\n");
        let mut c = csv_out();
        c.always_quote = true;
        c.field_delimiter = ":".into();
        c.record_delimiter = "_".into();
        let mut out = String::new();
        write_record(&rec, &OutFormat::Csv(c), &mut out);
        assert_eq!(out, "\"x,y\":\"\":\"3\":\"q\"\"\"_");
        let mut out = String::new();
        let json = OutFormat::Json { record_delimiter: ",".into() };
        write_record(&rec, &json, &mut out);
        write_record(&Val::List(vec![Val::Int(1)]), &json, &mut out);
        write_record(&Val::Missing, &json, &mut out);
        assert_eq!(out, "{\"a\":\"x,y\",\"c\":3,\"d\":\"q\\\"\"},{\"_1\":[1]},{},");
    }
}
