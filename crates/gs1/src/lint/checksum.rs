//! Check-character linters: the GS1 mod-10 check digit, the GS1 alphanumeric check character
//! pair, and the IBAN mod-97 check digits.

use super::charset::require_digits;
use super::codes::is_iso3166_alpha2;
use super::{LintError, LintErrorCode, fail};

/// The GS1 mod-10 check digit for `digits`, the digits that precede the check digit
/// (for a GTIN-13, its first twelve digits).
///
/// Returns the check digit's value, `0..=9`, or `None` if `digits` holds anything other than
/// ASCII digits. An empty input has check digit `0`.
pub fn gs1_check_digit(digits: &[u8]) -> Option<u8> {
    let mut sum: u64 = 0;
    // Weights alternate 3, 1, 3, ... from the digit next to the check digit leftwards, which
    // makes the result independent of how many digits the key has.
    for (idx_from_right, &byte) in digits.iter().rev().enumerate() {
        if !byte.is_ascii_digit() {
            return None;
        }
        let weight = if idx_from_right % 2 == 0 { 3 } else { 1 };
        sum += u64::from(byte - b'0') * weight;
    }
    // Invariant: `(10 - sum % 10) % 10` is below 10, so it fits a `u8`.
    Some(((10 - sum % 10) % 10) as u8)
}

pub(super) fn csum(value: &[u8]) -> Result<(), LintError> {
    let Some((&check, data)) = value.split_last() else {
        return fail(LintErrorCode::TooShortForCheckDigit, 0, 0);
    };
    require_digits(value)?;
    if gs1_check_digit(data) != Some(check - b'0') {
        return fail(LintErrorCode::IncorrectCheckDigit, data.len(), 1);
    }
    Ok(())
}

/// CSET 82 in the order that gives each character its value in the check pair calculation.
const CSET82_ORDERED: &[u8; 82] =
    b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/// CSET 32, the alphabet of the check characters, in value order.
const CSET32_ORDERED: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Each byte's value in [`CSET82_ORDERED`], or `u8::MAX` for bytes outside CSET 82.
static CSET82_VALUE: [u8; 256] = {
    let mut values = [u8::MAX; 256];
    let mut idx = 0;
    while idx < CSET82_ORDERED.len() {
        values[CSET82_ORDERED[idx] as usize] = idx as u8;
        idx += 1;
    }
    values
};

/// The prime weights of the check pair calculation, for the data character nearest the pair
/// first. Their number caps the data length, as in the reference: 97 covers every AI, whose
/// values are at most 99 characters including the pair.
const CHECK_PAIR_PRIMES: [u32; 97] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193,
    197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277, 281, 283, 293, 307,
    311, 313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397, 401, 409, 419, 421,
    431, 433, 439, 443, 449, 457, 461, 463, 467, 479, 487, 491, 499, 503, 509,
];

/// The GS1 alphanumeric check character pair for `data`, the CSET 82 characters that precede
/// the pair (as in a GMN, AI 8013).
///
/// Returns the two check characters (from CSET 32), or `None` if `data` holds a character
/// outside CSET 82 or is longer than the 97 characters that any AI needs.
pub fn gs1_check_pair(data: &[u8]) -> Option<[u8; 2]> {
    if data.len() > CHECK_PAIR_PRIMES.len() {
        return None;
    }
    let mut sum: u32 = 0;
    for (&byte, &prime) in data.iter().rev().zip(CHECK_PAIR_PRIMES.iter()) {
        let value = CSET82_VALUE[usize::from(byte)];
        if value == u8::MAX {
            return None;
        }
        sum += u32::from(value) * prime;
    }
    // The 10-bit remainder splits into two 5-bit indexes into CSET 32.
    let sum = (sum % 1021) as usize;
    Some([CSET32_ORDERED[sum >> 5], CSET32_ORDERED[sum & 31]])
}

pub(super) fn csumalpha(value: &[u8]) -> Result<(), LintError> {
    if value.len() < 2 {
        return fail(LintErrorCode::TooShortForCheckPair, 0, value.len());
    }
    let (data, pair) = value.split_at(value.len() - 2);
    if data.len() > CHECK_PAIR_PRIMES.len() {
        return fail(LintErrorCode::TooLongForCheckPairImplementation, 0, value.len());
    }
    if let Some(pos) = data.iter().position(|&byte| CSET82_VALUE[usize::from(byte)] == u8::MAX) {
        return fail(LintErrorCode::InvalidCset82Character, pos, 1);
    }
    if gs1_check_pair(data).as_ref().map(<[u8; 2]>::as_slice) != Some(pair) {
        return fail(LintErrorCode::IncorrectCheckPair, data.len(), 2);
    }
    Ok(())
}

/// ISO 13616 allows at most 34 characters.
const IBAN_LEN_MAX: usize = 34;

/// The reference sets no per-country length; anything this short cannot hold a country code,
/// check digits and a meaningful account number.
const IBAN_LEN_MIN: usize = 11;

/// An IBAN character's value in the mod-97 check (`0`-`9` are 0-9, `A`-`Z` are 10-35).
fn iban_char_value(byte: u8) -> Option<u32> {
    match byte {
        b'0'..=b'9' => Some(u32::from(byte - b'0')),
        b'A'..=b'Z' => Some(u32::from(byte - b'A') + 10),
        _ => None,
    }
}

/// The checks run in the reference's order, so each malformed IBAN reports the same fault.
pub(super) fn iban(value: &[u8]) -> Result<(), LintError> {
    if value.len() < 4 {
        return fail(LintErrorCode::IbanTooShort, 0, value.len());
    }
    if !is_iso3166_alpha2(&value[..2]) {
        return fail(LintErrorCode::IllegalIbanCountryCode, 0, 2);
    }
    if value.len() > IBAN_LEN_MAX {
        return fail(LintErrorCode::IbanTooLong, 0, value.len());
    }
    if value.len() < IBAN_LEN_MIN {
        return fail(LintErrorCode::IbanTooShort, 0, value.len());
    }
    // ISO 7064 MOD 97-10 over the IBAN rotated to put its first four characters last.
    let mut remainder: u32 = 0;
    for pos in (4..value.len()).chain(0..4) {
        let Some(char_value) = iban_char_value(value[pos]) else {
            return fail(LintErrorCode::InvalidIbanCharacter, pos, 1);
        };
        let scale = if char_value < 10 { 10 } else { 100 };
        remainder = (remainder * scale + char_value) % 97;
    }
    if remainder != 1 {
        return fail(LintErrorCode::IncorrectIbanChecksum, 2, 2);
    }
    Ok(())
}
