//! `Ai`, an Application Identifier held as a number and a length, and `AiPattern`, the
//! dictionary's AI patterns such as `31nn`: both compare with integer arithmetic on the hot path.

use std::fmt;

/// The 2 to 4 digits of a GS1 Application Identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ai {
    value: u16,
    len: u8,
}

/// Every possible AI as text, 2-digit ones first, then 3- and 4-digit ones, so that
/// [`Ai::as_str`] is a slice rather than a conversion.
const AI_TEXT_LEN: usize = 100 * 2 + 1_000 * 3 + 10_000 * 4;
static AI_TEXT_BYTES: [u8; AI_TEXT_LEN] = {
    let mut out = [0u8; AI_TEXT_LEN];
    let mut len = 2;
    while len <= 4 {
        let count = pow10(len);
        let mut value = 0;
        while value < count {
            let start = text_offset(value as u16, len as u8);
            let mut i = 0;
            while i < len {
                out[start + i] = b'0' + ((value / pow10(len - 1 - i)) % 10) as u8;
                i += 1;
            }
            value += 1;
        }
        len += 1;
    }
    out
};
static AI_TEXT: &str = match std::str::from_utf8(&AI_TEXT_BYTES) {
    Ok(text) => text,
    Err(_) => panic!("AI text is ASCII digits"),
};

const fn pow10(n: usize) -> usize {
    let mut out = 1;
    let mut i = 0;
    while i < n {
        out *= 10;
        i += 1;
    }
    out
}

const fn text_offset(value: u16, len: u8) -> usize {
    match len {
        2 => value as usize * 2,
        3 => 200 + value as usize * 3,
        _ => 3_200 + value as usize * 4,
    }
}

impl Ai {
    /// The AI for `digits`, which must be 2 to 4 ASCII digits.
    pub fn new(digits: &str) -> Option<Ai> {
        Ai::from_bytes(digits.as_bytes())
    }

    pub(crate) const fn from_bytes(bytes: &[u8]) -> Option<Ai> {
        if bytes.len() < 2 || bytes.len() > 4 {
            return None;
        }
        let mut value: u16 = 0;
        let mut i = 0;
        while i < bytes.len() {
            let d = bytes[i];
            if !d.is_ascii_digit() {
                return None;
            }
            value = value * 10 + (d - b'0') as u16;
            i += 1;
        }
        Some(Ai { value, len: bytes.len() as u8 })
    }

    /// A dense index over every AI: 2-digit AIs first, then 3- and 4-digit ones (the
    /// dictionary's look-up table is indexed by it).
    pub(crate) const fn slot(self) -> usize {
        match self.len {
            2 => self.value as usize,
            3 => 100 + self.value as usize,
            _ => 1_100 + self.value as usize,
        }
    }

    /// The digits as text.
    pub fn as_str(&self) -> &'static str {
        let start = text_offset(self.value, self.len);
        &AI_TEXT[start..start + usize::from(self.len)]
    }

    /// Whether this is exactly the AI `digits` (a cheap comparison for literals like `"8030"`).
    pub fn is(&self, digits: &str) -> bool {
        Ai::new(digits) == Some(*self)
    }
}

impl fmt::Display for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ai({})", self.as_str())
    }
}

/// An AI or a family of AIs, as the dictionary writes them in `req=` and `ex=`: digits, then
/// optionally `n` for any digit (`"31nn"` is every 4-digit AI starting with 31).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AiPattern {
    len: u8,
    /// 10 to the power of the number of `n`s, so matching is one division.
    divisor: u16,
    prefix: u16,
}

impl AiPattern {
    /// Parses a pattern; `None` unless it is 2 to 4 characters, digits then `n`s, at least one digit.
    pub const fn parse(text: &str) -> Option<AiPattern> {
        let bytes = text.as_bytes();
        if bytes.len() < 2 || bytes.len() > 4 {
            return None;
        }
        let mut prefix: u16 = 0;
        let mut prefix_len = 0;
        while prefix_len < bytes.len() && bytes[prefix_len].is_ascii_digit() {
            prefix = prefix * 10 + (bytes[prefix_len] - b'0') as u16;
            prefix_len += 1;
        }
        if prefix_len == 0 {
            return None;
        }
        let mut i = prefix_len;
        while i < bytes.len() {
            if bytes[i] != b'n' {
                return None;
            }
            i += 1;
        }
        let divisor = pow10(bytes.len() - prefix_len) as u16;
        Some(AiPattern { len: bytes.len() as u8, divisor, prefix })
    }

    /// Whether `ai` belongs to the pattern.
    pub fn matches(self, ai: Ai) -> bool {
        ai.len == self.len && ai.value / self.divisor == self.prefix
    }
}

/// A pattern in the generated table, checked when the crate compiles.
pub(crate) const fn pattern(text: &str) -> AiPattern {
    match AiPattern::parse(text) {
        Some(p) => p,
        None => panic!("bad AI pattern in the dictionary"),
    }
}

impl fmt::Display for AiPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wildcards = self.divisor.ilog10() as usize;
        let prefix_len = usize::from(self.len) - wildcards;
        write!(f, "{:0prefix_len$}", self.prefix)?;
        for _ in 0..wildcards {
            f.write_str("n")?;
        }
        Ok(())
    }
}

impl fmt::Debug for AiPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AiPattern({self})")
    }
}

#[cfg(test)]
mod tests;
