//! The GS1 AI table, generated from the GS1 Barcode Syntax Dictionary, and fast look-up of an AI.
//!
//! Look-up is a single array index: the first two digits of an AI fix its length (a rule of
//! the GS1 General Specifications that every dictionary entry obeys), so the digits and that
//! length map to one slot of a dense index built at compile time.

#[rustfmt::skip]
mod generated;

use crate::ai::AiPattern;
use crate::lint::Linter;

/// The character set of one component of an AI value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cset {
    /// Digits `0-9` ("N").
    Numeric,
    /// GS1 AI encodable character set 82 ("X").
    Cset82,
    /// GS1 AI encodable character set 39 ("Y").
    Cset39,
    /// File-safe URI-safe base64 ("Z").
    Cset64,
}

/// One component of an AI's format specification, such as `N6,yymmd0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// Character set every character must belong to.
    pub cset: Cset,
    /// Least number of characters.
    pub min_len: u8,
    /// Most number of characters.
    pub max_len: u8,
    /// Whether the component may be absent (`[...]` in the dictionary).
    pub optional: bool,
    /// Syntax tests applied to the component's characters, in order.
    pub linters: &'static [Linter],
}

/// One Application Identifier as the syntax dictionary describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AiSpec {
    /// The AI digits, for example `"01"` or `"3103"`.
    pub ai: &'static str,
    /// `*` flag: the value has a predefined length and needs no FNC1 separator after it.
    pub predefined_length: bool,
    /// `?` flag: the AI may appear as a GS1 Digital Link data attribute.
    pub dl_data_attribute: bool,
    /// The value's components, consumed in order.
    pub components: &'static [Component],
    /// Requisite rules: each rule is satisfied by any one of its alternatives, and an
    /// alternative is a set of AIs (or patterns with `n` for any digit) that must all be present.
    pub req: &'static [&'static [&'static [AiPattern]]],
    /// AIs (or patterns) that must not appear together with this one.
    pub ex: &'static [AiPattern],
    /// When this AI is a Digital Link primary key: its alternative sequences of key qualifiers.
    pub dl_pkey: Option<&'static [&'static [&'static str]]>,
    /// The data title.
    pub title: &'static str,
}

impl AiSpec {
    /// Least total length of the value.
    pub fn min_len(&self) -> usize {
        self.components.iter().filter(|c| !c.optional).map(|c| usize::from(c.min_len)).sum()
    }

    /// Greatest total length of the value.
    pub fn max_len(&self) -> usize {
        self.components.iter().map(|c| usize::from(c.max_len)).sum()
    }

    /// Whether the value must be followed by FNC1 when more data follows.
    pub fn needs_fnc1(&self) -> bool {
        !self.predefined_length
    }
}

/// One release of the GS1 AI table with its look-up index.
#[derive(Debug)]
pub struct Dictionary {
    release: &'static str,
    entries: &'static [AiSpec],
    /// Slot (see [`slot`]) to entry index plus one; zero means no such AI.
    index: [u16; SLOTS],
    /// AI length for each two-digit prefix; zero where no AI starts with those digits.
    prefix_len: [u8; 100],
}

const SLOTS: usize = 100 + 1_000 + 10_000;

/// The dense index slot for AI digits of length 2, 3 or 4.
const fn slot(digits: &[u8]) -> Option<usize> {
    match crate::ai::Ai::from_bytes(digits) {
        Some(ai) => Some(ai.slot()),
        None => None,
    }
}

impl Dictionary {
    const fn build(release: &'static str, entries: &'static [AiSpec]) -> Dictionary {
        let mut index = [0u16; SLOTS];
        let mut prefix_len = [0u8; 100];
        let mut i = 0;
        while i < entries.len() {
            let ai = entries[i].ai.as_bytes();
            let Some(s) = slot(ai) else { panic!("AI is not 2 to 4 digits") };
            index[s] = (i + 1) as u16;
            let prefix = ((ai[0] - b'0') * 10 + (ai[1] - b'0')) as usize;
            // Invariant: all AIs sharing two leading digits have one length.
            if prefix_len[prefix] != 0 && prefix_len[prefix] as usize != ai.len() {
                panic!("AIs with one two-digit prefix differ in length");
            }
            prefix_len[prefix] = ai.len() as u8;
            i += 1;
        }
        Dictionary { release, entries, index, prefix_len }
    }

    /// The table generated from the vendored dictionary (the newest release we ship).
    pub fn current() -> &'static Dictionary {
        &CURRENT
    }

    /// Release 2026-01-27, which the GS1 Syntax Engine's own test vectors were written against.
    pub fn release_2026_01_27() -> &'static Dictionary {
        &RELEASE_2026_01_27
    }

    /// The dictionary release label.
    pub fn release(&self) -> &'static str {
        self.release
    }

    /// Every AI, in lexical order.
    pub fn entries(&self) -> &'static [AiSpec] {
        self.entries
    }

    /// The entry for exactly these AI digits.
    pub fn get(&self, ai: &str) -> Option<&'static AiSpec> {
        let s = slot(ai.as_bytes())?;
        let at = self.index[s];
        if at == 0 { None } else { Some(&self.entries[usize::from(at) - 1]) }
    }

    /// The AI that `data` starts with, found by its two-digit prefix; `None` when the prefix or
    /// the AI is unknown.
    pub fn match_prefix(&self, data: &[u8]) -> Option<&'static AiSpec> {
        let len = self.ai_len(data)?;
        let s = slot(data.get(..len)?)?;
        let at = self.index[s];
        if at == 0 { None } else { Some(&self.entries[usize::from(at) - 1]) }
    }

    /// The length of the AIs starting with the first two digits of `data`, if any is known.
    pub fn ai_len(&self, data: &[u8]) -> Option<usize> {
        match data {
            [a @ b'0'..=b'9', b @ b'0'..=b'9', ..] => {
                let len = self.prefix_len[usize::from((a - b'0') * 10 + (b - b'0'))];
                if len == 0 { None } else { Some(usize::from(len)) }
            }
            _ => None,
        }
    }
}

static CURRENT: Dictionary =
    Dictionary::build(generated::current::RELEASE, &generated::current::ENTRIES);
static RELEASE_2026_01_27: Dictionary = Dictionary::build(
    generated::release_2026_01_27::RELEASE,
    &generated::release_2026_01_27::ENTRIES,
);

#[cfg(test)]
mod tests;
