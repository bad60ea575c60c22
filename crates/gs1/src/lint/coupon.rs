//! Coupon linters: the North American Coupon Code of AI (8110) and the positive offer file
//! coupon code of AI (8112).
//!
//! Both are digit strings made of fields, many of them announced by a variable length
//! indicator (VLI): one digit giving the length of the field that follows. The field layout is
//! from "North American Coupon Application Guideline Using GS1 DataBar Expanded Symbols" and
//! "GS1 AI (8112) Coupon Data Specification".

use super::charset::require_digits;
use super::dates;
use super::gcp::{self, GcpLookup};
use super::{LintError, LintErrorCode};

/// Reads a coupon field by field and builds errors with the reference's spans.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Invariant: `data` holds only ASCII digits, so every byte read is a digit.
    fn new(data: &'a [u8]) -> Reader<'a> {
        debug_assert!(data.iter().all(u8::is_ascii_digit));
        Reader { data, pos: 0 }
    }

    fn error(code: LintErrorCode, start: usize, len: usize) -> LintError {
        LintError { code, start, len }
    }

    /// A missing field marks the whole coupon: there is nothing at the position to point to.
    fn missing(&self, code: LintErrorCode) -> LintError {
        Reader::error(code, 0, self.data.len())
    }

    /// A short field marks what is left of the coupon, or all of it when nothing is left.
    fn truncated(&self, code: LintErrorCode) -> LintError {
        if self.pos == self.data.len() {
            Reader::error(code, 0, self.data.len())
        } else {
            Reader::error(code, self.pos, self.data.len() - self.pos)
        }
    }

    /// An invalid single-digit field marks that digit.
    fn invalid_here(&self, code: LintErrorCode) -> LintError {
        Reader::error(code, self.pos, 1)
    }

    /// Whether the next digit is `indicator`, which opens an optional field; consumes it if so.
    fn optional_field(&mut self, indicator: u8) -> bool {
        if self.data.get(self.pos) == Some(&indicator) {
            self.pos += 1;
            return true;
        }
        false
    }

    /// The value of the next digit, without consuming it.
    fn peek_digit(&self, missing: LintErrorCode) -> Result<u8, LintError> {
        match self.data.get(self.pos) {
            Some(&byte) => Ok(byte - b'0'),
            None => Err(self.missing(missing)),
        }
    }

    /// A single-digit code; `is_valid` says which values are allowed.
    fn code(
        &mut self,
        missing: LintErrorCode,
        invalid: LintErrorCode,
        is_valid: fn(u8) -> bool,
    ) -> Result<u8, LintError> {
        let digit = self.peek_digit(missing)?;
        if !is_valid(digit) {
            return Err(self.invalid_here(invalid));
        }
        self.pos += 1;
        Ok(digit)
    }

    /// A fixed-length field; returns where it starts.
    fn fixed(&mut self, len: usize, truncated: LintErrorCode) -> Result<usize, LintError> {
        if self.data.len() - self.pos < len {
            return Err(self.truncated(truncated));
        }
        let start = self.pos;
        self.pos += len;
        Ok(start)
    }

    /// A VLI followed by its field; `field_len` maps the VLI to the field's length, or `None`
    /// when the VLI is not allowed. Returns where the field starts and its length.
    fn indicated(
        &mut self,
        vli: (LintErrorCode, LintErrorCode),
        field_len: fn(u8) -> Option<usize>,
        truncated: LintErrorCode,
    ) -> Result<(usize, usize), LintError> {
        let (missing, invalid) = vli;
        let indicator = self.peek_digit(missing)?;
        let Some(len) = field_len(indicator) else {
            return Err(self.invalid_here(invalid));
        };
        self.pos += 1;
        Ok((self.fixed(len, truncated)?, len))
    }

    /// Asks `gcp` about a company prefix field; a refusal marks the whole field.
    fn company_prefix(
        &self,
        (start, len): (usize, usize),
        gcp: &dyn GcpLookup,
    ) -> Result<(), LintError> {
        gcp::gcppos1(&self.data[start..start + len], gcp)
            .map_err(|err| Reader::error(err.code, start, len))
    }

    /// Excess data after the last field the linter recognises.
    fn finish(&self) -> Result<(), LintError> {
        if self.pos != self.data.len() {
            return Err(Reader::error(
                LintErrorCode::CouponExcessData,
                self.pos,
                self.data.len() - self.pos,
            ));
        }
        Ok(())
    }
}

/// A GCP VLI of 0-6 announces 6-12 digits.
fn company_prefix_len(vli: u8) -> Option<usize> {
    (vli <= 6).then_some(usize::from(vli) + 6)
}

/// In the additional purchases a GCP VLI of 9 means "same GCP as the primary purchase": no
/// field follows.
fn purchase_company_prefix_len(vli: u8) -> Option<usize> {
    if vli == 9 { Some(0) } else { company_prefix_len(vli) }
}

/// Save values and purchase requirements have 1-5 digits.
fn value_len(vli: u8) -> Option<usize> {
    (1..=5).contains(&vli).then_some(usize::from(vli))
}

/// A retailer GCP or GLN VLI of 1-7 announces 7-13 digits.
fn retailer_len(vli: u8) -> Option<usize> {
    (1..=7).contains(&vli).then_some(usize::from(vli) + 6)
}

/// A serial number VLI of 0-9 announces 6-15 digits.
fn serial_len(vli: u8) -> Option<usize> {
    Some(usize::from(vli) + 6)
}

fn is_requirement_code(code: u8) -> bool {
    code <= 4 || code == 9
}

/// One purchase requirement: its value, its code and its three-digit family code.
fn purchase_requirement(
    reader: &mut Reader<'_>,
    codes: [LintErrorCode; 5],
) -> Result<(), LintError> {
    let [missing_vli, invalid_vli, truncated, missing_code, invalid_code] = codes;
    reader.indicated((missing_vli, invalid_vli), value_len, truncated)?;
    reader.code(missing_code, invalid_code, is_requirement_code)?;
    Ok(())
}

/// An expiration or start date field; returns where the `YYMMDD` starts.
fn coupon_date(
    reader: &mut Reader<'_>,
    too_short: LintErrorCode,
    invalid: LintErrorCode,
) -> Result<usize, LintError> {
    let start = reader.fixed(6, too_short)?;
    let date = &reader.data[start..start + 6];
    dates::yymmdd(date).map_err(|_| Reader::error(invalid, start, 6))?;
    Ok(start)
}

pub(super) fn couponcode(value: &[u8], gcp: &dyn GcpLookup) -> Result<(), LintError> {
    use LintErrorCode as E;

    require_digits(value)?;
    let mut reader = Reader::new(value);

    let primary_gcp = reader.indicated(
        (E::CouponMissingGcpVli, E::CouponInvalidGcpLength),
        company_prefix_len,
        E::CouponTruncatedGcp,
    )?;
    reader.company_prefix(primary_gcp, gcp)?;
    reader.fixed(6, E::CouponTruncatedOfferCode)?;
    reader.indicated(
        (E::CouponMissingSaveValueVli, E::CouponInvalidSaveValueLength),
        value_len,
        E::CouponTruncatedSaveValue,
    )?;
    purchase_requirement(
        &mut reader,
        [
            E::CouponMissing1stPurchaseRequirementVli,
            E::CouponInvalid1stPurchaseRequirementLength,
            E::CouponTruncated1stPurchaseRequirement,
            E::CouponMissing1stPurchaseRequirementCode,
            E::CouponInvalid1stPurchaseRequirementCode,
        ],
    )?;
    reader.fixed(3, E::CouponTruncated1stPurchaseFamilyCode)?;

    // Optional fields follow in a fixed order, each opened by its indicator digit.

    // 1: additional purchase rules and a second purchase.
    if reader.optional_field(b'1') {
        reader.code(
            E::CouponMissingAdditionalPurchaseRulesCode,
            E::CouponInvalidAdditionalPurchaseRulesCode,
            |code| code <= 3,
        )?;
        purchase_requirement(
            &mut reader,
            [
                E::CouponMissing2ndPurchaseRequirementVli,
                E::CouponInvalid2ndPurchaseRequirementLength,
                E::CouponTruncated2ndPurchaseRequirement,
                E::CouponMissing2ndPurchaseRequirementCode,
                E::CouponInvalid2ndPurchaseRequirementCode,
            ],
        )?;
        reader.fixed(3, E::CouponTruncated2ndPurchaseFamilyCode)?;
        let second_gcp = reader.indicated(
            (E::CouponMissing2ndPurchaseGcpVli, E::CouponInvalid2ndPurchaseGcpLength),
            purchase_company_prefix_len,
            E::CouponTruncated2ndPurchaseGcp,
        )?;
        if second_gcp.1 > 0 {
            reader.company_prefix(second_gcp, gcp)?;
        }
    }

    // 2: a third purchase.
    if reader.optional_field(b'2') {
        purchase_requirement(
            &mut reader,
            [
                E::CouponMissing3rdPurchaseRequirementVli,
                E::CouponInvalid3rdPurchaseRequirementLength,
                E::CouponTruncated3rdPurchaseRequirement,
                E::CouponMissing3rdPurchaseRequirementCode,
                E::CouponInvalid3rdPurchaseRequirementCode,
            ],
        )?;
        reader.fixed(3, E::CouponTruncated3rdPurchaseFamilyCode)?;
        let third_gcp = reader.indicated(
            (E::CouponMissing3rdPurchaseGcpVli, E::CouponInvalid3rdPurchaseGcpLength),
            purchase_company_prefix_len,
            E::CouponTruncated3rdPurchaseGcp,
        )?;
        if third_gcp.1 > 0 {
            reader.company_prefix(third_gcp, gcp)?;
        }
    }

    // 3: expiration date.
    let mut expiration = None;
    if reader.optional_field(b'3') {
        let start = coupon_date(
            &mut reader,
            E::CouponTooShortForExpirationDate,
            E::CouponInvalidExpirationDate,
        )?;
        expiration = Some(start);
    }

    // 4: start date, which must not follow the expiration date.
    if reader.optional_field(b'4') {
        let start =
            coupon_date(&mut reader, E::CouponTooShortForStartDate, E::CouponInvalidStartDate)?;
        if let Some(expiration) = expiration {
            // Both dates are YYMMDD, so bytewise order is date order (within one century,
            // as in the reference).
            if value[start..start + 6] > value[expiration..expiration + 6] {
                // Mark both fields with their indicators: "3", expiration, "4", start.
                return Err(Reader::error(E::CouponExpirationBeforeStart, expiration - 1, 14));
            }
        }
    }

    // 5: serial number.
    if reader.optional_field(b'5') {
        reader.indicated(
            (E::CouponMissingSerialNumberVli, E::CouponMissingSerialNumberVli),
            serial_len,
            E::CouponTruncatedSerialNumber,
        )?;
    }

    // 6: retailer GCP or GLN.
    if reader.optional_field(b'6') {
        let retailer = reader.indicated(
            (E::CouponMissingRetailerGcpOrGlnVli, E::CouponInvalidRetailerGcpOrGlnLength),
            retailer_len,
            E::CouponTruncatedRetailerGcpOrGln,
        )?;
        reader.company_prefix(retailer, gcp)?;
    }

    // 9: miscellaneous flags.
    if reader.optional_field(b'9') {
        reader.code(E::CouponMissingSaveValueCode, E::CouponInvalidSaveValueCode, |code| {
            matches!(code, 0 | 1 | 2 | 5 | 6)
        })?;
        reader.code(
            E::CouponMissingSaveValueAppliesToItem,
            E::CouponInvalidSaveValueAppliesToItem,
            |code| code <= 2,
        )?;
        // Any digit is a valid Store Coupon Flag.
        reader.code(E::CouponMissingStoreCouponFlag, E::CouponMissingStoreCouponFlag, |_| true)?;
        reader.code(
            E::CouponMissingDontMultiplyFlag,
            E::CouponInvalidDontMultiplyFlag,
            |code| code <= 1,
        )?;
    }

    reader.finish()
}

pub(super) fn couponposoffer(value: &[u8]) -> Result<(), LintError> {
    use LintErrorCode as E;

    require_digits(value)?;
    let mut reader = Reader::new(value);

    reader.code(E::CouponMissingFormatCode, E::CouponInvalidFormatCode, |code| code <= 1)?;
    reader.indicated(
        (E::CouponMissingFunderVli, E::CouponInvalidFunderLength),
        company_prefix_len,
        E::CouponTruncatedFunder,
    )?;
    reader.fixed(6, E::CouponTruncatedOfferCode)?;
    reader.indicated(
        (E::CouponMissingSerialNumberVli, E::CouponMissingSerialNumberVli),
        serial_len,
        E::CouponTruncatedSerialNumber,
    )?;
    reader.finish()
}
