//! A minimal XML writer for the query and ec2 encoders: elements, escaped text, nothing else.

/// Builds an XML document into a byte buffer.
pub(crate) struct XmlWriter {
    pub(crate) buf: String,
}

impl XmlWriter {
    /// A writer with the XML declaration AWS sends already written.
    pub(crate) fn with_declaration(capacity: usize) -> XmlWriter {
        let mut buf = String::with_capacity(capacity);
        buf.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        XmlWriter { buf }
    }

    /// `<name>` or `<name xmlns="ns">`.
    pub(crate) fn open(&mut self, name: &str, xmlns: Option<&str>) {
        self.buf.push('<');
        self.buf.push_str(name);
        if let Some(ns) = xmlns {
            self.buf.push_str(" xmlns=\"");
            escape_into(&mut self.buf, ns);
            self.buf.push('"');
        }
        self.buf.push('>');
    }

    /// `</name>`.
    pub(crate) fn close(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// `<name/>`.
    pub(crate) fn empty(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str("/>");
    }

    /// `<name>text</name>` with `text` escaped.
    pub(crate) fn text_element(&mut self, name: &str, text: &str) {
        self.open(name, None);
        escape_into(&mut self.buf, text);
        self.close(name);
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf.into_bytes()
    }
}

/// Appends `text` with XML's five special characters escaped, plus CR (which XML parsers would
/// otherwise normalise away) and other control characters as character references.
/// Bytes [`escape_into`] may have to replace: markup, quotes and control characters.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: a bad index fails the build"
)]
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'&' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t
};

pub(crate) fn escape_into(out: &mut String, text: &str) {
    // Fast path: most values (ids, tokens, ARNs) need no escaping at all.
    if !text.bytes().any(|b| SPECIAL.get(usize::from(b)).copied().unwrap_or(false)) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("&#x{:X};", c as u32));
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_carriage_returns() {
        let mut s = String::new();
        escape_into(&mut s, "a<b>&\"c'\r\n");
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n");
    }
}
