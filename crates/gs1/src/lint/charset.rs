//! Character-set linters: which bytes a component may contain, and in what arrangement.

use super::{LintError, LintErrorCode, fail};

/// Builds a byte-membership table at compile time, so each check is one indexed load.
const fn byte_set(members: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < members.len() {
        set[members[i] as usize] = true;
        i += 1;
    }
    set
}

/// GS1 AI encodable character set 82: the characters of an `X` component.
pub(super) static CSET82: [bool; 256] = byte_set(
    b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz",
);

/// GS1 AI encodable character set 39: the characters of a `Y` component.
static CSET39: [bool; 256] = byte_set(b"#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");

/// GS1 AI encodable character set 64 (file-safe, URI-safe base64) without its `=` padding.
static CSET64: [bool; 256] =
    byte_set(b"-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");

/// The characters that EU 2018/574 permits as an importer index. They happen to match CSET 64
/// without padding, but come from a different regulation, so they get their own table.
static IMPORTER_INDEX: [bool; 256] =
    byte_set(b"-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");

/// Offset of the first byte of `value` that is not in `set`.
fn first_outside(value: &[u8], set: &[bool; 256]) -> Option<usize> {
    value.iter().position(|&byte| !set[usize::from(byte)])
}

/// Reports the first non-digit; shared by every linter that first requires all digits.
pub(super) fn require_digits(value: &[u8]) -> Result<(), LintError> {
    match value.iter().position(|byte| !byte.is_ascii_digit()) {
        Some(pos) => fail(LintErrorCode::NonDigitCharacter, pos, 1),
        None => Ok(()),
    }
}

pub(super) fn csetnumeric(value: &[u8]) -> Result<(), LintError> {
    require_digits(value)
}

pub(super) fn cset82(value: &[u8]) -> Result<(), LintError> {
    match first_outside(value, &CSET82) {
        Some(pos) => fail(LintErrorCode::InvalidCset82Character, pos, 1),
        None => Ok(()),
    }
}

pub(super) fn cset39(value: &[u8]) -> Result<(), LintError> {
    match first_outside(value, &CSET39) {
        Some(pos) => fail(LintErrorCode::InvalidCset39Character, pos, 1),
        None => Ok(()),
    }
}

/// Padding is optional, but when present it must be one or two `=` that complete a group of
/// three characters, as the reference requires.
pub(super) fn cset64(value: &[u8]) -> Result<(), LintError> {
    let pad_count = value.iter().rev().take_while(|&&byte| byte == b'=').count();
    let body_len = value.len() - pad_count;
    if pad_count > 2 || (pad_count > 0 && !value.len().is_multiple_of(3)) {
        return fail(LintErrorCode::InvalidCset64Padding, body_len, pad_count);
    }
    match first_outside(&value[..body_len], &CSET64) {
        Some(pos) => fail(LintErrorCode::InvalidCset64Character, pos, 1),
        None => Ok(()),
    }
}

pub(super) fn hasnondigit(value: &[u8]) -> Result<(), LintError> {
    if value.iter().all(u8::is_ascii_digit) {
        return fail(LintErrorCode::RequiresNonDigitCharacter, 0, value.len());
    }
    Ok(())
}

pub(super) fn hyphen(value: &[u8]) -> Result<(), LintError> {
    if value.is_empty() || value.iter().any(|&byte| byte != b'-') {
        return fail(LintErrorCode::NotHyphen, 0, value.len());
    }
    Ok(())
}

pub(super) fn importeridx(value: &[u8]) -> Result<(), LintError> {
    let &[byte] = value else {
        return fail(LintErrorCode::ImporterIdxMustBeOneCharacter, 0, value.len());
    };
    if !IMPORTER_INDEX[usize::from(byte)] {
        return fail(LintErrorCode::InvalidImportIdxCharacter, 0, 1);
    }
    Ok(())
}

/// Every `%` must start a `%hh` escape; other bytes are not this linter's business.
pub(super) fn pcenc(value: &[u8]) -> Result<(), LintError> {
    let mut pos = 0;
    while pos < value.len() {
        if value[pos] != b'%' {
            pos += 1;
            continue;
        }
        // The reference marks the escape as far as it goes: up to three bytes from the `%`.
        match value.get(pos + 1..pos + 3) {
            Some(&[high, low]) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => pos += 3,
            Some(_) => return fail(LintErrorCode::InvalidPercentSequence, pos, 3),
            None => return fail(LintErrorCode::InvalidPercentSequence, pos, value.len() - pos),
        }
    }
    Ok(())
}
