//! `Ai`, an Application Identifier's digits held inline, so elements copy without allocation.

use std::fmt;

/// The 2 to 4 digits of a GS1 Application Identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ai {
    digits: [u8; 4],
    len: u8,
}

impl Ai {
    /// The AI for `digits`, which must be 2 to 4 ASCII digits.
    pub fn new(digits: &str) -> Option<Ai> {
        let bytes = digits.as_bytes();
        if !(2..=4).contains(&bytes.len()) || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut out = [0u8; 4];
        out[..bytes.len()].copy_from_slice(bytes);
        Some(Ai { digits: out, len: bytes.len() as u8 })
    }

    /// The digits as text.
    pub fn as_str(&self) -> &str {
        // Invariant: `digits[..len]` holds ASCII digits only (checked in `new`).
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).expect("AI digits are ASCII")
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
