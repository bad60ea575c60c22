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
    while let Some(at) = next_escape(bytes, start) {
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

/// The index of the first byte at or after `from` that needs escaping. Eight bytes at a time:
/// most strings here need no escape at all, and a byte loop would dominate the command.
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut i = from;
    while i + 8 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        // Bytes below 0x20 (that are not high bytes), `"` and `\`.
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        let quote = has_zero(word ^ (ONES * u64::from(b'"')));
        let backslash = has_zero(word ^ (ONES * u64::from(b'\\')));
        if control | quote | backslash != 0 {
            break;
        }
        i += 8;
    }
    bytes[i..].iter().position(|&b| NEEDS_ESCAPE[usize::from(b)]).map(|offset| i + offset)
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

    #[test]
    fn agrees_with_serde_json_on_every_byte_at_every_offset() {
        for b in 0u8..=0x7f {
            for offset in 0..17 {
                let s: String = std::iter::repeat_n('x', offset)
                    .chain([char::from(b)])
                    .chain("tail-end".chars())
                    .collect();
                let mut out = Vec::new();
                super::write_str(&mut out, &s);
                assert!(
                    out[1..out.len() - 1].iter().all(|&c| c >= 0x20),
                    "raw control byte for {b:#x} at {offset}"
                );
                let back: String = serde_json::from_slice(&out).expect("valid JSON");
                assert_eq!(back, s, "byte {b:#x} at {offset}");
            }
        }
        let long = "é".repeat(40) + "\"";
        let mut out = Vec::new();
        super::write_str(&mut out, &long);
        assert_eq!(serde_json::from_slice::<String>(&out).expect("valid JSON"), long);
    }
}
