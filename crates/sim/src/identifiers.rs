//! GS1 identifiers as the simulation writes them: keys with their check digits, EPC pure
//! identity URIs, and serial numbers that look random but are unique by construction.
//!
//! Serials are not drawn and remembered (`serialhub_gs1::serial::SerialPool` keeps every serial
//! it issued, which a run of ten million packs cannot afford): the n-th serial of a GTIN is a
//! keyed permutation of n over a 44-bit domain, so two counters never give the same serial and
//! nothing needs to be kept but the counter. The key comes from the seed, so serials differ
//! between runs and cannot be guessed from their position.
//!
//! The domain is 2^46 for 14-digit numeric serials and 2^47 for 8-character alphanumeric ones
//! (the largest powers of two below 10^14 and 62^8): 7e13 values or more, so a GTIN with a
//! million packs keeps the chance of guessing a serial near 1e-8 (EU FMD asks below 1e-4).

use serialhub_gs1::lint::gs1_check_digit;

/// 0-9, A-Z, a-z: every character is safe in EPC URIs and Digital Links without escaping.
const ALPHANUMERIC: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// How a product line writes its serials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SerialStyle {
    /// 14 digits (US lines often print numeric serials).
    Numeric,
    /// 8 characters of 0-9A-Za-z (the usual EU choice).
    Alphanumeric,
}

/// The `counter`-th serial under `key`: a bijection of the style's domain, written in `style`.
pub(crate) fn serial(counter: u64, key: u64, style: SerialStyle) -> String {
    let mut out = String::with_capacity(14);
    push_serial(&mut out, counter, key, style);
    out
}

/// Appends the `counter`-th serial under `key` to `out`. Serials are written by hand, not with
/// `format!`: a run writes millions of them.
fn push_serial(out: &mut String, counter: u64, key: u64, style: SerialStyle) {
    let (radix, len, bits) = match style {
        SerialStyle::Numeric => (10, 14, 46),
        SerialStyle::Alphanumeric => (62, 8, 47),
    };
    assert!(counter >> bits == 0, "serial counter {counter} is beyond the serial space");
    let mut value = permute(counter, key, bits);
    let mut digits = [b'0'; 14];
    for slot in digits[..len].iter_mut().rev() {
        *slot = ALPHANUMERIC[(value % radix) as usize];
        value /= radix;
    }
    // Invariant: 10^14 > 2^46 and 62^8 > 2^47, so the value is used up.
    debug_assert_eq!(value, 0);
    out.extend(digits[..len].iter().map(|b| char::from(*b)));
}

/// A keyed bijection of `0..2^bits`: each step (xor with a constant, multiplication by an odd
/// number modulo 2^bits, xor with a right shift of itself) can be undone, so distinct inputs
/// stay distinct.
fn permute(mut value: u64, key: u64, bits: u32) -> u64 {
    let mask = (1u64 << bits) - 1;
    // Mixed with a constant, so that no key leaves counter 0 at serial 0.
    let key = key ^ 0x2545_F491_4F6C_DD1D;
    for round in 0..4 {
        value ^= key.rotate_left(round * 16) & mask;
        value = value.wrapping_mul(0x5851_F42D_4C95_7F2D) & mask;
        value ^= value >> (bits / 2);
    }
    value
}

/// `digits` followed by their GS1 mod-10 check digit.
pub(crate) fn with_check_digit(digits: &str) -> String {
    let check = gs1_check_digit(digits.as_bytes()).expect("keys are built from ASCII digits");
    format!("{digits}{check}")
}

/// A GS1 company: the GS1 Company Prefix every key it allocates starts with.
#[derive(Clone, Debug)]
pub(crate) struct Company {
    pub(crate) prefix: &'static str,
}

impl Company {
    /// The GLN of location or party reference `reference` (13 digits, check digit included).
    pub(crate) fn gln(&self, reference: u64) -> String {
        with_check_digit(&format!("{}{reference:0width$}", self.prefix, width = self.ref_len()))
    }

    /// `urn:epc:id:pgln:` of the party with reference `reference`.
    pub(crate) fn pgln(&self, reference: u64) -> String {
        format!("urn:epc:id:pgln:{}.{reference:0width$}", self.prefix, width = self.ref_len())
    }

    /// `urn:epc:id:sgln:` of location `reference` with GLN extension `extension` (`0`: none).
    pub(crate) fn sgln(&self, reference: u64, extension: &str) -> String {
        format!(
            "urn:epc:id:sgln:{}.{reference:0width$}.{extension}",
            self.prefix,
            width = self.ref_len()
        )
    }

    /// The 18 digits of the SSCC with extension digit `extension` and serial reference
    /// `serial_ref`, check digit included (the form a barcode carries; events use `sscc`).
    #[cfg(test)]
    pub(crate) fn sscc_digits(&self, extension: u8, serial_ref: u64) -> String {
        with_check_digit(&format!(
            "{extension}{}{serial_ref:0width$}",
            self.prefix,
            width = self.sscc_ref_len()
        ))
    }

    /// `urn:epc:id:sscc:` of the same SSCC (TDS leaves the check digit out).
    pub(crate) fn sscc(&self, extension: u8, serial_ref: u64) -> String {
        assert!(extension < 10, "the extension is one digit");
        assert!(
            serial_ref.checked_ilog10().unwrap_or(0) < self.sscc_ref_len() as u32,
            "company {} has no SSCC serial reference {serial_ref} left",
            self.prefix
        );
        format!(
            "urn:epc:id:sscc:{}.{extension}{serial_ref:0width$}",
            self.prefix,
            width = self.sscc_ref_len()
        )
    }

    /// GLN digits after the company prefix (the check digit aside).
    fn ref_len(&self) -> usize {
        12 - self.prefix.len()
    }

    /// SSCC serial reference digits: 17 minus the extension digit and the company prefix.
    fn sscc_ref_len(&self) -> usize {
        16 - self.prefix.len()
    }
}

/// One trade item (a GTIN) and how its identifiers are written, precomputed so that an EPC is
/// one string concatenation.
#[derive(Clone, Debug)]
pub(crate) struct TradeItem {
    /// GTIN-14.
    pub(crate) gtin: String,
    /// `urn:epc:id:sgtin:<prefix>.<indicator and item reference>.`: add the serial.
    epc_prefix: String,
    /// `urn:epc:class:lgtin:<prefix>.<indicator and item reference>.`: add the lot.
    lgtin_prefix: String,
    serial_key: u64,
    style: SerialStyle,
}

impl TradeItem {
    /// The trade item with GTIN-14 `gtin` of a company with a `prefix_len`-digit prefix; its
    /// serials are keyed by `serial_key`.
    pub(crate) fn new(
        gtin: String,
        prefix_len: usize,
        serial_key: u64,
        style: SerialStyle,
    ) -> Self {
        assert_eq!(gtin.len(), 14, "a GTIN-14 has 14 digits: {gtin}");
        assert_eq!(
            gs1_check_digit(&gtin.as_bytes()[..13]),
            Some(gtin.as_bytes()[13] - b'0'),
            "bad check digit in {gtin}"
        );
        // TDS: the indicator digit moves behind the company prefix, the check digit goes.
        let class =
            format!("{}.{}{}", &gtin[1..=prefix_len], &gtin[..1], &gtin[prefix_len + 1..13]);
        TradeItem {
            epc_prefix: format!("urn:epc:id:sgtin:{class}."),
            lgtin_prefix: format!("urn:epc:class:lgtin:{class}."),
            gtin,
            serial_key,
            style,
        }
    }

    /// The serial of the `counter`-th unit.
    pub(crate) fn serial(&self, counter: u64) -> String {
        serial(counter, self.serial_key, self.style)
    }

    /// The SGTIN EPC URI of the `counter`-th unit.
    pub(crate) fn epc(&self, counter: u64) -> String {
        let mut out = String::with_capacity(self.epc_prefix.len() + 14);
        out.push_str(&self.epc_prefix);
        push_serial(&mut out, counter, self.serial_key, self.style);
        out
    }

    /// The Digital Link of the `counter`-th unit with lot `lot` (`/01/../10/../21/..`), as a
    /// scanner reading the pack's 2D code writes it.
    pub(crate) fn digital_link(&self, counter: u64, lot: &str) -> String {
        format!("https://id.gs1.org/01/{}/10/{lot}/21/{}", self.gtin, self.serial(counter))
    }

    /// The LGTIN class URI of lot `lot`.
    pub(crate) fn lgtin(&self, lot: &str) -> String {
        format!("{}{lot}", self.lgtin_prefix)
    }
}

#[cfg(test)]
mod tests;
