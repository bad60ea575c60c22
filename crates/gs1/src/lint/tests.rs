//! Unit tests for the linters, through the module boundary: one-line cases per linter with
//! inline snapshots, plus properties over arbitrary input.

use expect_test::{Expect, expect};
use proptest::prelude::*;

use super::{
    GcpLookup, GcpStatus, LintError, LintErrorCode, Linter, gs1_check_digit, gs1_check_pair, lint,
    lint_with,
};

/// A lookup that gives the same answer for every prefix.
struct FixedGcpLookup(GcpStatus);

impl GcpLookup for FixedGcpLookup {
    fn lookup(&self, _data: &[u8]) -> GcpStatus {
        self.0
    }
}

/// Renders a result the way the reference vectors do: the code, then the value with the
/// offending bytes wrapped in `*`. Non-ASCII bytes are escaped.
fn render(value: &[u8], result: Result<(), LintError>) -> String {
    match result {
        Ok(()) => "ok".to_owned(),
        Err(err) => {
            let (before, rest) = value.split_at(err.start);
            let (marked, after) = rest.split_at(err.len);
            format!(
                "{} {}*{}*{}",
                err.code.name(),
                before.escape_ascii(),
                marked.escape_ascii(),
                after.escape_ascii()
            )
        }
    }
}

#[track_caller]
fn check(linter: Linter, value: impl AsRef<[u8]>, expect: Expect) {
    let value = value.as_ref();
    expect.assert_eq(&render(value, lint(linter, value)));
}

#[track_caller]
fn check_gcp(linter: Linter, value: &str, status: GcpStatus, expect: Expect) {
    let value = value.as_bytes();
    expect.assert_eq(&render(value, lint_with(linter, value, &FixedGcpLookup(status))));
}

#[test]
fn csetnumeric() {
    check(Linter::Csetnumeric, "", expect![[r#"ok"#]]);
    check(Linter::Csetnumeric, "0123456789", expect![[r#"ok"#]]);
    check(Linter::Csetnumeric, "12a4", expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 12*a*4"#]]);
    check(Linter::Csetnumeric, b"1\xff", expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 1*\xff*"#]]);
}

#[test]
fn cset82() {
    check(Linter::Cset82, "", expect![[r#"ok"#]]);
    check(Linter::Cset82, "AZaz09!\"%&'()*+,-./:;<=>?_", expect![[r#"ok"#]]);
    check(Linter::Cset82, "AB#C", expect![[r#"GS1_LINTER_INVALID_CSET82_CHARACTER AB*#*C"#]]);
    check(Linter::Cset82, "A\0", expect![[r#"GS1_LINTER_INVALID_CSET82_CHARACTER A*\x00*"#]]);
    check(Linter::Cset82, "é", expect![[r#"GS1_LINTER_INVALID_CSET82_CHARACTER *\xc3*\xa9"#]]);
}

#[test]
fn cset39() {
    check(Linter::Cset39, "#-/09AZ", expect![[r#"ok"#]]);
    check(Linter::Cset39, "ABc", expect![[r#"GS1_LINTER_INVALID_CSET39_CHARACTER AB*c*"#]]);
}

#[test]
fn cset64() {
    check(Linter::Cset64, "Az09-_", expect![[r#"ok"#]]);
    check(Linter::Cset64, "12=", expect![[r#"ok"#]]);
    check(Linter::Cset64, "1==", expect![[r#"ok"#]]);
    check(Linter::Cset64, "1234=", expect![[r#"GS1_LINTER_INVALID_CSET64_PADDING 1234*=*"#]]);
    check(Linter::Cset64, "1===", expect![[r#"GS1_LINTER_INVALID_CSET64_PADDING 1*===*"#]]);
    check(Linter::Cset64, "=", expect![[r#"GS1_LINTER_INVALID_CSET64_PADDING *=*"#]]);
    check(Linter::Cset64, "1=3", expect![[r#"GS1_LINTER_INVALID_CSET64_CHARACTER 1*=*3"#]]);
    check(Linter::Cset64, "a+b", expect![[r#"GS1_LINTER_INVALID_CSET64_CHARACTER a*+*b"#]]);
}

#[test]
fn csum() {
    check(Linter::Csum, "", expect![[r#"GS1_LINTER_TOO_SHORT_FOR_CHECK_DIGIT **"#]]);
    check(Linter::Csum, "0", expect![[r#"ok"#]]);
    check(Linter::Csum, "6291041500213", expect![[r#"ok"#]]);
    check(
        Linter::Csum,
        "6291041500214",
        expect![[r#"GS1_LINTER_INCORRECT_CHECK_DIGIT 629104150021*4*"#]],
    );
    check(
        Linter::Csum,
        "62910415002x3",
        expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 62910415002*x*3"#]],
    );
    check(Linter::Csum, "x", expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER *x*"#]]);
}

#[test]
fn csumalpha() {
    check(Linter::Csumalpha, "1987654Ad4X4bL5ttr2310c2K", expect![[r#"ok"#]]);
    check(
        Linter::Csumalpha,
        "1987654Ad4X4bL5ttr2310c2L",
        expect![[r#"GS1_LINTER_INCORRECT_CHECK_PAIR 1987654Ad4X4bL5ttr2310c*2L*"#]],
    );
    check(Linter::Csumalpha, "A", expect![[r#"GS1_LINTER_TOO_SHORT_FOR_CHECK_PAIR *A*"#]]);
    check(Linter::Csumalpha, "a#b22", expect![[r#"GS1_LINTER_INVALID_CSET82_CHARACTER a*#*b22"#]]);
    check(
        Linter::Csumalpha,
        b"ab\xff\xff",
        expect![[r#"GS1_LINTER_INCORRECT_CHECK_PAIR ab*\xff\xff*"#]],
    );
}

#[test]
fn gcppos1() {
    check(Linter::Gcppos1, "0123", expect![[r#"ok"#]]);
    check(Linter::Gcppos1, "0123ABC", expect![[r#"ok"#]]);
    check(Linter::Gcppos1, "012", expect![[r#"GS1_LINTER_TOO_SHORT_FOR_GCP *012*"#]]);
    check(Linter::Gcppos1, "01A3", expect![[r#"GS1_LINTER_INVALID_GCP_PREFIX 01*A*3"#]]);
    check_gcp(
        Linter::Gcppos1,
        "95012345",
        GcpStatus::InvalidPrefix,
        expect![[r#"GS1_LINTER_INVALID_GCP_PREFIX *95012345*"#]],
    );
    check_gcp(
        Linter::Gcppos1,
        "95012345",
        GcpStatus::Offline,
        expect![[r#"GS1_LINTER_GCP_DATASOURCE_OFFLINE *95012345*"#]],
    );
    // The shape is checked before the data source is asked.
    check_gcp(
        Linter::Gcppos1,
        "9x",
        GcpStatus::Offline,
        expect![[r#"GS1_LINTER_TOO_SHORT_FOR_GCP *9x*"#]],
    );
}

#[test]
fn gcppos2() {
    check(Linter::Gcppos2, "10123", expect![[r#"ok"#]]);
    check(Linter::Gcppos2, "", expect![[r#"GS1_LINTER_TOO_SHORT_FOR_GCP **"#]]);
    check(Linter::Gcppos2, "1", expect![[r#"GS1_LINTER_TOO_SHORT_FOR_GCP *1*"#]]);
    check(Linter::Gcppos2, "1012", expect![[r#"GS1_LINTER_TOO_SHORT_FOR_GCP 1*012*"#]]);
    check(Linter::Gcppos2, "101x3", expect![[r#"GS1_LINTER_INVALID_GCP_PREFIX 101*x*3"#]]);
    check_gcp(
        Linter::Gcppos2,
        "19501234567890",
        GcpStatus::Offline,
        expect![[r#"GS1_LINTER_GCP_DATASOURCE_OFFLINE 1*9501234567890*"#]],
    );
}

#[test]
fn hasnondigit() {
    check(Linter::Hasnondigit, "12A", expect![[r#"ok"#]]);
    check(Linter::Hasnondigit, "", expect![[r#"GS1_LINTER_REQUIRES_NON_DIGIT_CHARACTER **"#]]);
    check(
        Linter::Hasnondigit,
        "123",
        expect![[r#"GS1_LINTER_REQUIRES_NON_DIGIT_CHARACTER *123*"#]],
    );
}

#[test]
fn hyphen() {
    check(Linter::Hyphen, "---", expect![[r#"ok"#]]);
    check(Linter::Hyphen, "", expect![[r#"GS1_LINTER_NOT_HYPHEN **"#]]);
    check(Linter::Hyphen, "-x-", expect![[r#"GS1_LINTER_NOT_HYPHEN *-x-*"#]]);
}

#[test]
fn importeridx() {
    check(Linter::Importeridx, "_", expect![[r#"ok"#]]);
    check(
        Linter::Importeridx,
        "",
        expect![[r#"GS1_LINTER_IMPORTER_IDX_MUST_BE_ONE_CHARACTER **"#]],
    );
    check(
        Linter::Importeridx,
        "ab",
        expect![[r#"GS1_LINTER_IMPORTER_IDX_MUST_BE_ONE_CHARACTER *ab*"#]],
    );
    check(Linter::Importeridx, "/", expect![[r#"GS1_LINTER_INVALID_IMPORT_IDX_CHARACTER */*"#]]);
}

#[test]
fn pcenc() {
    check(Linter::Pcenc, "a%20b%7e", expect![[r#"ok"#]]);
    check(Linter::Pcenc, "%", expect![[r#"GS1_LINTER_INVALID_PERCENT_SEQUENCE *%*"#]]);
    check(Linter::Pcenc, "ab%4", expect![[r#"GS1_LINTER_INVALID_PERCENT_SEQUENCE ab*%4*"#]]);
    check(Linter::Pcenc, "%4g%", expect![[r#"GS1_LINTER_INVALID_PERCENT_SEQUENCE *%4g*%"#]]);
    // An escaped "%" is data, not the start of another escape.
    check(Linter::Pcenc, "%25%", expect![[r#"GS1_LINTER_INVALID_PERCENT_SEQUENCE %25*%*"#]]);
}

#[test]
fn iban() {
    check(Linter::Iban, "GB82WEST12345698765432", expect![[r#"ok"#]]);
    check(
        Linter::Iban,
        "GB82WEST12345698765433",
        expect![[r#"GS1_LINTER_INCORRECT_IBAN_CHECKSUM GB*82*WEST12345698765433"#]],
    );
    check(Linter::Iban, "GB8", expect![[r#"GS1_LINTER_IBAN_TOO_SHORT *GB8*"#]]);
    check(Linter::Iban, "GB82WEST12", expect![[r#"GS1_LINTER_IBAN_TOO_SHORT *GB82WEST12*"#]]);
    check(
        Linter::Iban,
        "gb82WEST12345698765432",
        expect![[r#"GS1_LINTER_ILLEGAL_IBAN_COUNTRY_CODE *gb*82WEST12345698765432"#]],
    );
    check(
        Linter::Iban,
        "GB82WEST1234569876543-",
        expect![[r#"GS1_LINTER_INVALID_IBAN_CHARACTER GB82WEST1234569876543*-*"#]],
    );
    // The check digits are read last, after the rotation.
    check(
        Linter::Iban,
        "GB8xWEST12345698765432",
        expect![[r#"GS1_LINTER_INVALID_IBAN_CHARACTER GB8*x*WEST12345698765432"#]],
    );
}

#[test]
fn iso_codes() {
    check(Linter::Iso3166, "826", expect![[r#"ok"#]]);
    check(Linter::Iso3166, "999", expect![[r#"GS1_LINTER_NOT_ISO3166 *999*"#]]);
    check(Linter::Iso3166, "82", expect![[r#"GS1_LINTER_NOT_ISO3166 *82*"#]]);
    check(Linter::Iso3166999, "999", expect![[r#"ok"#]]);
    check(Linter::Iso3166999, "826", expect![[r#"ok"#]]);
    check(Linter::Iso3166999, "000", expect![[r#"GS1_LINTER_NOT_ISO3166_OR_999 *000*"#]]);
    check(Linter::Iso3166alpha2, "GB", expect![[r#"ok"#]]);
    check(Linter::Iso3166alpha2, "UK", expect![[r#"GS1_LINTER_NOT_ISO3166_ALPHA2 *UK*"#]]);
    check(Linter::Iso3166alpha2, "gb", expect![[r#"GS1_LINTER_NOT_ISO3166_ALPHA2 *gb*"#]]);
    check(Linter::Iso4217, "978", expect![[r#"ok"#]]);
    check(Linter::Iso4217, "977", expect![[r#"ok"#]]);
    check(Linter::Iso4217, "000", expect![[r#"GS1_LINTER_NOT_ISO4217 *000*"#]]);
    check(Linter::Iso4217, b"97\xc2\xa0", expect![[r#"GS1_LINTER_NOT_ISO4217 *97\xc2\xa0*"#]]);
}

#[test]
fn small_vocabularies() {
    check(Linter::Iso5218, "9", expect![[r#"ok"#]]);
    check(Linter::Iso5218, "3", expect![[r#"GS1_LINTER_INVALID_BIOLOGICAL_SEX_CODE *3*"#]]);
    check(Linter::Winding, "9", expect![[r#"ok"#]]);
    check(Linter::Winding, "2", expect![[r#"GS1_LINTER_INVALID_WINDING_DIRECTION *2*"#]]);
    check(Linter::Yesno, "1", expect![[r#"ok"#]]);
    check(Linter::Yesno, "", expect![[r#"GS1_LINTER_NOT_ZERO_OR_ONE **"#]]);
    check(Linter::Mediatype, "10", expect![[r#"ok"#]]);
    check(Linter::Mediatype, "80", expect![[r#"ok"#]]);
    check(Linter::Mediatype, "11", expect![[r#"GS1_LINTER_INVALID_MEDIA_TYPE *11*"#]]);
    check(Linter::Packagetype, "X11", expect![[r#"ok"#]]);
    check(Linter::Packagetype, "8", expect![[r#"ok"#]]);
    check(Linter::Packagetype, "BX", expect![[r#"ok"#]]);
    check(Linter::Packagetype, "bx", expect![[r#"GS1_LINTER_INVALID_PACKAGE_TYPE *bx*"#]]);
    check(Linter::Packagetype, "X1", expect![[r#"GS1_LINTER_INVALID_PACKAGE_TYPE *X1*"#]]);
    check(Linter::Packagetype, b"8\0", expect![[r#"GS1_LINTER_INVALID_PACKAGE_TYPE *8\x00*"#]]);
    check(Linter::Packagetype, "", expect![[r#"GS1_LINTER_INVALID_PACKAGE_TYPE **"#]]);
}

#[test]
fn numeric_values() {
    check(Linter::Zero, "000", expect![[r#"ok"#]]);
    check(Linter::Zero, "", expect![[r#"GS1_LINTER_NOT_ZERO **"#]]);
    check(Linter::Nonzero, "007", expect![[r#"ok"#]]);
    check(Linter::Nonzero, "", expect![[r#"GS1_LINTER_ILLEGAL_ZERO_VALUE **"#]]);
    check(Linter::Nonzero, "0x", expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 0*x*"#]]);
    check(Linter::Nozeroprefix, "0x", expect![[r#"GS1_LINTER_ILLEGAL_ZERO_PREFIX *0*x"#]]);
    check(Linter::Nozeroprefix, "1x", expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 1*x*"#]]);
}

#[test]
fn pieceoftotal() {
    check(Linter::Pieceoftotal, "0203", expect![[r#"ok"#]]);
    check(Linter::Pieceoftotal, "x", expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER *x*"#]]);
    check(
        Linter::Pieceoftotal,
        "123",
        expect![[r#"GS1_LINTER_INVALID_LENGTH_FOR_PIECE_OF_TOTAL *123*"#]],
    );
    check(Linter::Pieceoftotal, "0000", expect![[r#"GS1_LINTER_ZERO_PIECE_NUMBER *00*00"#]]);
    check(Linter::Pieceoftotal, "0300", expect![[r#"GS1_LINTER_ZERO_TOTAL_PIECES 03*00*"#]]);
    check(
        Linter::Pieceoftotal,
        "0302",
        expect![[r#"GS1_LINTER_PIECE_NUMBER_EXCEEDS_TOTAL *0302*"#]],
    );
}

#[test]
fn posinseqslash() {
    check(Linter::Posinseqslash, "9/10", expect![[r#"ok"#]]);
    check(
        Linter::Posinseqslash,
        "12/3x",
        expect![[r#"GS1_LINTER_POSITION_IN_SEQUENCE_MALFORMED *12/3x*"#]],
    );
    check(
        Linter::Posinseqslash,
        "12",
        expect![[r#"GS1_LINTER_POSITION_IN_SEQUENCE_MALFORMED *12*"#]],
    );
    check(Linter::Posinseqslash, "012/3", expect![[r#"GS1_LINTER_ILLEGAL_ZERO_PREFIX *012*/3"#]]);
    check(Linter::Posinseqslash, "3/03", expect![[r#"GS1_LINTER_ILLEGAL_ZERO_PREFIX 3/*03*"#]]);
    check(Linter::Posinseqslash, "10/9", expect![[r#"GS1_LINTER_POSITION_EXCEEDS_END *10/9*"#]]);
    check(Linter::Posinseqslash, "10/11", expect![[r#"ok"#]]);
}

#[test]
fn coordinates() {
    check(Linter::Latitude, "1800000000", expect![[r#"ok"#]]);
    check(Linter::Latitude, "1800000001", expect![[r#"GS1_LINTER_INVALID_LATITUDE *1800000001*"#]]);
    check(Linter::Latitude, "x", expect![[r#"GS1_LINTER_LATITUDE_INVALID_LENGTH *x*"#]]);
    check(Linter::Longitude, "3600000000", expect![[r#"ok"#]]);
    check(
        Linter::Longitude,
        "9999999999",
        expect![[r#"GS1_LINTER_INVALID_LONGITUDE *9999999999*"#]],
    );
    check(
        Linter::Longitude,
        "999999999x",
        expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 999999999*x*"#]],
    );
}

#[test]
fn dates() {
    check(Linter::Yymmdd, "240229", expect![[r#"ok"#]]);
    check(Linter::Yymmdd, "250229", expect![[r#"GS1_LINTER_ILLEGAL_DAY 2502*29*"#]]);
    check(Linter::Yymmdd, "250600", expect![[r#"GS1_LINTER_ILLEGAL_DAY 2506*00*"#]]);
    check(Linter::Yymmd0, "250600", expect![[r#"ok"#]]);
    check(Linter::Yymmd0, "251300", expect![[r#"GS1_LINTER_ILLEGAL_MONTH 25*13*00"#]]);
    check(Linter::Yymmdd, "2506", expect![[r#"GS1_LINTER_DATE_TOO_SHORT *2506*"#]]);
    check(Linter::Yymmdd, "2506011", expect![[r#"GS1_LINTER_DATE_TOO_LONG *2506011*"#]]);
    check(Linter::Yymmdd, "25x601", expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 25*x*601"#]]);
    check(Linter::Yyyymmdd, "20000229", expect![[r#"ok"#]]);
    check(Linter::Yyyymmdd, "19000229", expect![[r#"GS1_LINTER_ILLEGAL_DAY 190002*29*"#]]);
    check(Linter::Yyyymmdd, "20250431", expect![[r#"GS1_LINTER_ILLEGAL_DAY 202504*31*"#]]);
    check(Linter::Yyyymmd0, "20250400", expect![[r#"ok"#]]);
    check(Linter::Yyyymmd0, "2025040", expect![[r#"GS1_LINTER_DATE_TOO_SHORT *2025040*"#]]);
}

#[test]
fn times() {
    check(Linter::Hh, "23", expect![[r#"ok"#]]);
    check(Linter::Hh, "24", expect![[r#"GS1_LINTER_ILLEGAL_HOUR *24*"#]]);
    check(Linter::Hh, "x", expect![[r#"GS1_LINTER_HOUR_TOO_SHORT *x*"#]]);
    check(Linter::Mi, "59", expect![[r#"ok"#]]);
    check(Linter::Mi, "5x", expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 5*x*"#]]);
    check(Linter::Ss, "60", expect![[r#"GS1_LINTER_ILLEGAL_SECOND *60*"#]]);
    check(Linter::Ss, "600", expect![[r#"GS1_LINTER_SECOND_TOO_LONG *600*"#]]);
    check(Linter::Hhmi, "2359", expect![[r#"ok"#]]);
    check(Linter::Hhmi, "24x0", expect![[r#"GS1_LINTER_ILLEGAL_HOUR *24*x0"#]]);
    check(Linter::Hhmi, "236x", expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 236*x*"#]]);
    check(Linter::Hhmi, "2360", expect![[r#"GS1_LINTER_ILLEGAL_MINUTE 23*60*"#]]);
}

#[test]
fn couponcode() {
    // Primary GCP VLI 0 and GCP "123456", offer code "123456", save value VLI 1 and value "1",
    // requirement VLI 1 and value "1", requirement code "0", family code "123".
    check(Linter::Couponcode, "012345612345611110123", expect![[r#"ok"#]]);
    // There is no optional field 7.
    check(
        Linter::Couponcode,
        "0123456123456111101237",
        expect![[r#"GS1_LINTER_COUPON_EXCESS_DATA 012345612345611110123*7*"#]],
    );
    check(
        Linter::Couponcode,
        "01234561234561111012332512",
        expect![[
            r#"GS1_LINTER_COUPON_TOO_SHORT_FOR_EXPIRATION_DATE 0123456123456111101233*2512*"#
        ]],
    );
    // Expiration 31 Dec 2025; start in month 13, then on 1 Jan 2026.
    check(
        Linter::Couponcode,
        "01234561234561111012332512314261301",
        expect![[r#"GS1_LINTER_COUPON_INVALID_START_DATE 01234561234561111012332512314*261301*"#]],
    );
    check(
        Linter::Couponcode,
        "01234561234561111012332512314260101",
        expect![[
            r#"GS1_LINTER_COUPON_EXPIRATION_BEFORE_START 012345612345611110123*32512314260101*"#
        ]],
    );
    // Start equal to expiration, then a serial number without its VLI.
    check(
        Linter::Couponcode,
        "012345612345611110123325123142512315",
        expect![
            "GS1_LINTER_COUPON_MISSING_SERIAL_NUMBER_VLI *012345612345611110123325123142512315*"
        ],
    );
    check(
        Linter::Couponcode,
        "0123456123456111101239",
        expect![[r#"GS1_LINTER_COUPON_MISSING_SAVE_VALUE_CODE *0123456123456111101239*"#]],
    );
    check(
        Linter::Couponcode,
        "0123456123456111101235a",
        expect![[r#"GS1_LINTER_NON_DIGIT_CHARACTER 0123456123456111101235*a*"#]],
    );
    // Second purchase: rules code 0, requirement VLI 1 and value "1", code "0", family "123".
    check(
        Linter::Couponcode,
        "01234561234561111012310110123",
        expect![[
            r#"GS1_LINTER_COUPON_MISSING_2ND_PURCHASE_GCP_VLI *01234561234561111012310110123*"#
        ]],
    );
    // A second purchase GCP VLI of 9 means "same GCP as the primary purchase": no field follows.
    check(Linter::Couponcode, "012345612345611110123101101239", expect![[r#"ok"#]]);
    check(
        Linter::Couponcode,
        "0123456123456111101231011012305",
        expect![[
            r#"GS1_LINTER_COUPON_TRUNCATED_2ND_PURCHASE_GCP 012345612345611110123101101230*5*"#
        ]],
    );
    check_gcp(
        Linter::Couponcode,
        "012345612345611110123",
        GcpStatus::Offline,
        expect![[r#"GS1_LINTER_GCP_DATASOURCE_OFFLINE 0*123456*12345611110123"#]],
    );
}

#[test]
fn couponposoffer() {
    check(Linter::Couponposoffer, "001234561234560123456", expect![[r#"ok"#]]);
    check(Linter::Couponposoffer, "2", expect![[r#"GS1_LINTER_COUPON_INVALID_FORMAT_CODE *2*"#]]);
    check(Linter::Couponposoffer, "0", expect![[r#"GS1_LINTER_COUPON_MISSING_FUNDER_VLI *0*"#]]);
    check(
        Linter::Couponposoffer,
        "00123456123456",
        expect![[r#"GS1_LINTER_COUPON_MISSING_SERIAL_NUMBER_VLI *00123456123456*"#]],
    );
    check(
        Linter::Couponposoffer,
        "0012345612345601234567",
        expect![[r#"GS1_LINTER_COUPON_EXCESS_DATA 001234561234560123456*7*"#]],
    );
}

#[test]
fn check_digit_helpers() {
    let digits = |value: &str| format!("{:?}", gs1_check_digit(value.as_bytes()));
    expect![[r#"Some(3)"#]].assert_eq(&digits("629104150021"));
    expect![[r#"Some(0)"#]].assert_eq(&digits(""));
    expect![[r#"None"#]].assert_eq(&digits("62910415002x"));
    let pair = |value: &str| {
        format!(
            "{:?}",
            gs1_check_pair(value.as_bytes()).map(|pair| pair.escape_ascii().to_string())
        )
    };
    expect![[r#"Some("2K")"#]].assert_eq(&pair("1987654Ad4X4bL5ttr2310c"));
    expect![[r#"Some("22")"#]].assert_eq(&pair(""));
    expect![[r#"None"#]].assert_eq(&pair("abc def"));
    expect![[r#"None"#]].assert_eq(&pair(&"9".repeat(98)));
}

#[test]
fn linter_names_round_trip() {
    for &linter in Linter::ALL {
        assert_eq!(Linter::from_name(linter.name()), Some(linter));
    }
    assert!(Linter::ALL.windows(2).all(|pair| pair[0].name() < pair[1].name()));
    assert_eq!(Linter::from_name("key"), None);
    assert_eq!(Linter::from_name("CSUM"), None);
}

#[test]
fn error_code_names_and_messages() {
    let mut names: Vec<&str> = LintErrorCode::ALL.iter().map(|code| code.name()).collect();
    assert!(names.iter().all(|name| name.starts_with("GS1_LINTER_")));
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), LintErrorCode::ALL.len(), "names are unique");
    for code in LintErrorCode::ALL {
        let message = code.message();
        assert!(!message.is_empty() && !message.ends_with('.'), "{message:?}");
    }
    let err = LintError { code: LintErrorCode::IllegalDay, start: 4, len: 2 };
    expect![[r#"day is not valid at 4..6"#]].assert_eq(&err.to_string());
}

#[test]
fn package_types_are_sorted_for_binary_search() {
    let codes = super::codes::PACKAGE_TYPES;
    assert!(codes.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(codes.iter().all(|code| (1..=3).contains(&code.len())
        && code.iter().all(|byte| byte.is_ascii_digit() || byte.is_ascii_uppercase())));
    for code in codes {
        check(Linter::Packagetype, code, expect![[r#"ok"#]]);
    }
}

/// Every answer a GCP data source can give.
const GCP_STATUSES: [GcpStatus; 3] =
    [GcpStatus::Valid, GcpStatus::InvalidPrefix, GcpStatus::Offline];

/// Bytes that reach the deeper rules of most linters: mostly digits, some letters and
/// punctuation that linters treat specially, and the odd arbitrary byte.
fn plausible_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        6 => b'0'..=b'9',
        1 => prop::sample::select(b"/%=-AZaf".to_vec()),
        1 => any::<u8>(),
    ]
}

fn assert_lints_without_panicking(value: &[u8]) -> Result<(), TestCaseError> {
    for &linter in Linter::ALL {
        for status in GCP_STATUSES {
            if let Err(err) = lint_with(linter, value, &FixedGcpLookup(status)) {
                prop_assert!(
                    err.start.checked_add(err.len).is_some_and(|end| end <= value.len()),
                    "{} on {:?}: span {:?} outside the value",
                    linter.name(),
                    value.escape_ascii().to_string(),
                    err.span()
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn any_bytes_lint_without_panicking(value in prop::collection::vec(any::<u8>(), 0..64)) {
        assert_lints_without_panicking(&value)?;
    }

    #[test]
    fn plausible_bytes_lint_without_panicking(
        value in prop::collection::vec(plausible_byte(), 0..72),
    ) {
        assert_lints_without_panicking(&value)?;
    }

    #[test]
    fn appended_check_digit_passes_csum(digits in "[0-9]{0,20}") {
        let check = gs1_check_digit(digits.as_bytes()).expect("digits only");
        let value = format!("{digits}{check}");
        prop_assert_eq!(lint(Linter::Csum, value.as_bytes()), Ok(()));
    }

    #[test]
    fn appended_check_pair_passes_csumalpha(
        data in "[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]{0,97}",
    ) {
        let pair = gs1_check_pair(data.as_bytes()).expect("CSET 82 within the length limit");
        let mut value = data.into_bytes();
        value.extend_from_slice(&pair);
        prop_assert_eq!(lint(Linter::Csumalpha, &value), Ok(()));
    }
}
