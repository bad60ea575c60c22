//! Minimal JSON writing for the streaming commands, where building a `serde_json::Value` per
//! line would cost more than the parsing itself.

/// Bytes that JSON strings cannot hold bare: controls, `"` and `\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `s` as a JSON string literal, copying runs of plain bytes at once.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(offset) = bytes[start..].iter().position(|&b| NEEDS_ESCAPE[usize::from(b)]) {
        let at = start + offset;
        out.extend_from_slice(&bytes[start..at]);
        match bytes[at] {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
        }
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_json_requires() {
        let mut out = Vec::new();
        super::write_str(&mut out, "a\"b\\c\u{1d}d\né");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text, r#""a\"b\\c\u001dd\né""#);
        let back: String = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, "a\"b\\c\u{1d}d\né");
    }
}
