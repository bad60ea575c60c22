//! Code-list linters: ISO country and currency codes, package types, media types and the
//! small fixed vocabularies (flags, winding direction, biological sex).
//!
//! The lists are facts from ISO 3166-1, ISO 4217, UN/ECE Recommendation 21 with GS1 extensions,
//! and the GS1 General Specifications, as the GS1 Barcode Syntax Dictionary's reference
//! linters hold them. Each is compiled into a table so a lookup costs one or a few loads.

use super::{LintError, LintErrorCode, fail};

/// Builds a membership table for three-digit numeric codes at compile time.
const fn numeric_code_set(codes: &[u16]) -> [bool; 1000] {
    let mut set = [false; 1000];
    let mut i = 0;
    while i < codes.len() {
        set[codes[i] as usize] = true;
        i += 1;
    }
    set
}

/// The value of three ASCII digits, or `None` for anything else.
fn three_digit_code(value: &[u8]) -> Option<usize> {
    match *value {
        [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            Some(usize::from(a - b'0') * 100 + usize::from(b - b'0') * 10 + usize::from(c - b'0'))
        }
        _ => None,
    }
}

/// ISO 3166-1 numeric country codes.
static ISO3166_NUMERIC: [bool; 1000] = numeric_code_set(&[
    4, 8, 10, 12, 16, 20, 24, 28, 31, 32, 36, 40, 44, 48, 50, 51, 52, 56, 60, 64, 68, 70, 72, 74,
    76, 84, 86, 90, 92, 96, 100, 104, 108, 112, 116, 120, 124, 132, 136, 140, 144, 148, 152, 156,
    158, 162, 166, 170, 174, 175, 178, 180, 184, 188, 191, 192, 196, 203, 204, 208, 212, 214, 218,
    222, 226, 231, 232, 233, 234, 238, 239, 242, 246, 248, 250, 254, 258, 260, 262, 266, 268, 270,
    275, 276, 288, 292, 296, 300, 304, 308, 312, 316, 320, 324, 328, 332, 334, 336, 340, 344, 348,
    352, 356, 360, 364, 368, 372, 376, 380, 384, 388, 392, 398, 400, 404, 408, 410, 414, 417, 418,
    422, 426, 428, 430, 434, 438, 440, 442, 446, 450, 454, 458, 462, 466, 470, 474, 478, 480, 484,
    492, 496, 498, 499, 500, 504, 508, 512, 516, 520, 524, 528, 531, 533, 534, 535, 540, 548, 554,
    558, 562, 566, 570, 574, 578, 580, 581, 583, 584, 585, 586, 591, 598, 600, 604, 608, 612, 616,
    620, 624, 626, 630, 634, 638, 642, 643, 646, 652, 654, 659, 660, 662, 663, 666, 670, 674, 678,
    682, 686, 688, 690, 694, 702, 703, 704, 705, 706, 710, 716, 724, 728, 729, 732, 740, 744, 748,
    752, 756, 760, 762, 764, 768, 772, 776, 780, 784, 788, 792, 795, 796, 798, 800, 804, 807, 818,
    826, 831, 832, 833, 834, 840, 850, 854, 858, 860, 862, 876, 882, 887, 894,
]);

/// ISO 4217 numeric currency codes, including the funds and precious-metal codes (9xx).
static ISO4217_NUMERIC: [bool; 1000] = numeric_code_set(&[
    8, 12, 32, 36, 44, 48, 50, 51, 52, 60, 64, 68, 72, 84, 90, 96, 104, 108, 116, 124, 132, 136,
    144, 152, 156, 170, 174, 188, 192, 203, 208, 214, 222, 230, 232, 238, 242, 262, 270, 292, 320,
    324, 328, 332, 340, 344, 348, 352, 356, 360, 364, 368, 376, 388, 392, 396, 398, 400, 404, 408,
    410, 414, 417, 418, 422, 426, 430, 434, 446, 454, 458, 462, 480, 484, 496, 498, 504, 512, 516,
    524, 532, 533, 548, 554, 558, 566, 578, 586, 590, 598, 600, 604, 608, 634, 643, 646, 654, 682,
    690, 702, 704, 706, 710, 728, 748, 752, 756, 760, 764, 776, 780, 784, 788, 800, 807, 818, 826,
    834, 840, 858, 860, 882, 886, 901, 924, 925, 926, 927, 928, 929, 930, 933, 934, 936, 938, 940,
    941, 943, 944, 946, 947, 948, 949, 950, 951, 952, 953, 955, 956, 957, 958, 959, 960, 961, 962,
    963, 964, 965, 967, 968, 969, 970, 971, 972, 973, 975, 976, 977, 978, 979, 980, 981, 984, 985,
    986, 990, 994, 997, 999,
]);

/// ISO 3166-1 alpha-2 country codes.
const ISO3166_ALPHA2_CODES: &[[u8; 2]] = &[
    *b"AD", *b"AE", *b"AF", *b"AG", *b"AI", *b"AL", *b"AM", *b"AO", *b"AQ", *b"AR", *b"AS", *b"AT",
    *b"AU", *b"AW", *b"AX", *b"AZ", *b"BA", *b"BB", *b"BD", *b"BE", *b"BF", *b"BG", *b"BH", *b"BI",
    *b"BJ", *b"BL", *b"BM", *b"BN", *b"BO", *b"BQ", *b"BR", *b"BS", *b"BT", *b"BV", *b"BW", *b"BY",
    *b"BZ", *b"CA", *b"CC", *b"CD", *b"CF", *b"CG", *b"CH", *b"CI", *b"CK", *b"CL", *b"CM", *b"CN",
    *b"CO", *b"CR", *b"CU", *b"CV", *b"CW", *b"CX", *b"CY", *b"CZ", *b"DE", *b"DJ", *b"DK", *b"DM",
    *b"DO", *b"DZ", *b"EC", *b"EE", *b"EG", *b"EH", *b"ER", *b"ES", *b"ET", *b"FI", *b"FJ", *b"FK",
    *b"FM", *b"FO", *b"FR", *b"GA", *b"GB", *b"GD", *b"GE", *b"GF", *b"GG", *b"GH", *b"GI", *b"GL",
    *b"GM", *b"GN", *b"GP", *b"GQ", *b"GR", *b"GS", *b"GT", *b"GU", *b"GW", *b"GY", *b"HK", *b"HM",
    *b"HN", *b"HR", *b"HT", *b"HU", *b"ID", *b"IE", *b"IL", *b"IM", *b"IN", *b"IO", *b"IQ", *b"IR",
    *b"IS", *b"IT", *b"JE", *b"JM", *b"JO", *b"JP", *b"KE", *b"KG", *b"KH", *b"KI", *b"KM", *b"KN",
    *b"KP", *b"KR", *b"KW", *b"KY", *b"KZ", *b"LA", *b"LB", *b"LC", *b"LI", *b"LK", *b"LR", *b"LS",
    *b"LT", *b"LU", *b"LV", *b"LY", *b"MA", *b"MC", *b"MD", *b"ME", *b"MF", *b"MG", *b"MH", *b"MK",
    *b"ML", *b"MM", *b"MN", *b"MO", *b"MP", *b"MQ", *b"MR", *b"MS", *b"MT", *b"MU", *b"MV", *b"MW",
    *b"MX", *b"MY", *b"MZ", *b"NA", *b"NC", *b"NE", *b"NF", *b"NG", *b"NI", *b"NL", *b"NO", *b"NP",
    *b"NR", *b"NU", *b"NZ", *b"OM", *b"PA", *b"PE", *b"PF", *b"PG", *b"PH", *b"PK", *b"PL", *b"PM",
    *b"PN", *b"PR", *b"PS", *b"PT", *b"PW", *b"PY", *b"QA", *b"RE", *b"RO", *b"RS", *b"RU", *b"RW",
    *b"SA", *b"SB", *b"SC", *b"SD", *b"SE", *b"SG", *b"SH", *b"SI", *b"SJ", *b"SK", *b"SL", *b"SM",
    *b"SN", *b"SO", *b"SR", *b"SS", *b"ST", *b"SV", *b"SX", *b"SY", *b"SZ", *b"TC", *b"TD", *b"TF",
    *b"TG", *b"TH", *b"TJ", *b"TK", *b"TL", *b"TM", *b"TN", *b"TO", *b"TR", *b"TT", *b"TV", *b"TW",
    *b"TZ", *b"UA", *b"UG", *b"UM", *b"US", *b"UY", *b"UZ", *b"VA", *b"VC", *b"VE", *b"VG", *b"VI",
    *b"VN", *b"VU", *b"WF", *b"WS", *b"YE", *b"YT", *b"ZA", *b"ZM", *b"ZW",
];

/// [`ISO3166_ALPHA2_CODES`] as a table indexed by `26 * first letter + second letter`.
static ISO3166_ALPHA2: [bool; 26 * 26] = {
    let mut set = [false; 26 * 26];
    let mut i = 0;
    while i < ISO3166_ALPHA2_CODES.len() {
        let [first, second] = ISO3166_ALPHA2_CODES[i];
        set[(first - b'A') as usize * 26 + (second - b'A') as usize] = true;
        i += 1;
    }
    set
};

/// Whether `value` is an ISO 3166-1 alpha-2 country code; the IBAN linter needs this too.
pub(super) fn is_iso3166_alpha2(value: &[u8]) -> bool {
    match *value {
        [first @ b'A'..=b'Z', second @ b'A'..=b'Z'] => {
            ISO3166_ALPHA2[usize::from(first - b'A') * 26 + usize::from(second - b'A')]
        }
        _ => false,
    }
}

/// PackageTypeCode values: one to three digits or upper-case letters, sorted bytewise.
pub(super) const PACKAGE_TYPES: &[&[u8]] = &[
    b"1A", b"1B", b"1D", b"1F", b"1G", b"1W", b"200", b"201", b"202", b"203", b"204", b"205",
    b"206", b"210", b"211", b"212", b"2C", b"3A", b"3H", b"43", b"44", b"4A", b"4B", b"4C", b"4D",
    b"4F", b"4G", b"4H", b"5H", b"5L", b"5M", b"6H", b"6P", b"7A", b"7B", b"8", b"8A", b"8B",
    b"8C", b"9", b"AA", b"AB", b"AC", b"AD", b"AF", b"AG", b"AH", b"AI", b"AJ", b"AL", b"AM",
    b"AP", b"APE", b"AT", b"AV", b"B4", b"BB", b"BC", b"BD", b"BE", b"BF", b"BG", b"BGE", b"BH",
    b"BI", b"BJ", b"BK", b"BL", b"BM", b"BME", b"BN", b"BO", b"BP", b"BQ", b"BR", b"BRI", b"BS",
    b"BT", b"BU", b"BV", b"BW", b"BX", b"BY", b"BZ", b"CA", b"CB", b"CBL", b"CC", b"CCE", b"CD",
    b"CE", b"CF", b"CG", b"CH", b"CI", b"CJ", b"CK", b"CL", b"CM", b"CN", b"CO", b"CP", b"CQ",
    b"CR", b"CS", b"CT", b"CU", b"CV", b"CW", b"CX", b"CY", b"CZ", b"DA", b"DB", b"DC", b"DG",
    b"DH", b"DI", b"DJ", b"DK", b"DL", b"DM", b"DN", b"DP", b"DPE", b"DR", b"DS", b"DT", b"DU",
    b"DV", b"DW", b"DX", b"DY", b"E1", b"E2", b"E3", b"EC", b"ED", b"EE", b"EF", b"EG", b"EH",
    b"EI", b"EN", b"FB", b"FC", b"FD", b"FE", b"FI", b"FL", b"FO", b"FOB", b"FP", b"FPE", b"FR",
    b"FT", b"FW", b"FX", b"GB", b"GI", b"GL", b"GR", b"GU", b"GY", b"GZ", b"HA", b"HB", b"HC",
    b"HG", b"HN", b"HR", b"IA", b"IB", b"IC", b"ID", b"IE", b"IF", b"IG", b"IH", b"IK", b"IL",
    b"IN", b"IZ", b"JB", b"JC", b"JG", b"JR", b"JT", b"JY", b"KG", b"KI", b"LAB", b"LE", b"LG",
    b"LT", b"LU", b"LV", b"LZ", b"MA", b"MB", b"MC", b"ME", b"MPE", b"MR", b"MS", b"MT", b"MW",
    b"MX", b"NA", b"NE", b"NF", b"NG", b"NS", b"NT", b"NU", b"NV", b"OA", b"OB", b"OC", b"OD",
    b"OE", b"OF", b"OK", b"OPE", b"OT", b"OU", b"P2", b"PA", b"PAE", b"PB", b"PC", b"PD", b"PE",
    b"PF", b"PG", b"PH", b"PI", b"PJ", b"PK", b"PL", b"PLP", b"PN", b"PO", b"POP", b"PP", b"PPE",
    b"PR", b"PT", b"PU", b"PUE", b"PV", b"PX", b"PY", b"PZ", b"QA", b"QB", b"QC", b"QD", b"QF",
    b"QG", b"QH", b"QJ", b"QK", b"QL", b"QM", b"QN", b"QP", b"QQ", b"QR", b"QS", b"RB1", b"RB2",
    b"RB3", b"RCB", b"RD", b"RG", b"RJ", b"RK", b"RL", b"RO", b"RT", b"RZ", b"S1", b"SA", b"SB",
    b"SC", b"SD", b"SE", b"SEC", b"SH", b"SI", b"SK", b"SL", b"SM", b"SO", b"SP", b"SS", b"ST",
    b"STL", b"SU", b"SV", b"SW", b"SX", b"SY", b"SZ", b"T1", b"TB", b"TC", b"TD", b"TE", b"TEV",
    b"TG", b"THE", b"TI", b"TK", b"TL", b"TN", b"TO", b"TR", b"TRE", b"TS", b"TT", b"TTE", b"TU",
    b"TV", b"TW", b"TWE", b"TY", b"TZ", b"UC", b"UN", b"UUE", b"VA", b"VG", b"VI", b"VK", b"VL",
    b"VN", b"VO", b"VP", b"VQ", b"VR", b"VS", b"VY", b"WA", b"WB", b"WC", b"WD", b"WF", b"WG",
    b"WH", b"WJ", b"WK", b"WL", b"WM", b"WN", b"WP", b"WQ", b"WR", b"WRP", b"WS", b"WT", b"WU",
    b"WV", b"WW", b"WX", b"WY", b"WZ", b"X11", b"X12", b"X15", b"X16", b"X17", b"X18", b"X19",
    b"X20", b"X3", b"XA", b"XB", b"XC", b"XD", b"XF", b"XG", b"XH", b"XJ", b"XK", b"YA", b"YB",
    b"YC", b"YD", b"YF", b"YG", b"YH", b"YJ", b"YK", b"YL", b"YM", b"YN", b"YP", b"YQ", b"YR",
    b"YS", b"YT", b"YV", b"YW", b"YX", b"YY", b"YZ", b"ZA", b"ZB", b"ZC", b"ZD", b"ZF", b"ZG",
    b"ZH", b"ZJ", b"ZK", b"ZL", b"ZM", b"ZN", b"ZP", b"ZQ", b"ZR", b"ZS", b"ZT", b"ZU", b"ZV",
    b"ZW", b"ZX", b"ZY", b"ZZ",
];

pub(super) fn iso3166(value: &[u8]) -> Result<(), LintError> {
    match three_digit_code(value) {
        Some(code) if ISO3166_NUMERIC[code] => Ok(()),
        _ => fail(LintErrorCode::NotIso3166, 0, value.len()),
    }
}

/// "999" stands for "no country" where a country of processing is not known.
pub(super) fn iso3166999(value: &[u8]) -> Result<(), LintError> {
    match three_digit_code(value) {
        Some(code) if code == 999 || ISO3166_NUMERIC[code] => Ok(()),
        _ => fail(LintErrorCode::NotIso3166Or999, 0, value.len()),
    }
}

pub(super) fn iso3166alpha2(value: &[u8]) -> Result<(), LintError> {
    if !is_iso3166_alpha2(value) {
        return fail(LintErrorCode::NotIso3166Alpha2, 0, value.len());
    }
    Ok(())
}

pub(super) fn iso4217(value: &[u8]) -> Result<(), LintError> {
    match three_digit_code(value) {
        Some(code) if ISO4217_NUMERIC[code] => Ok(()),
        _ => fail(LintErrorCode::NotIso4217, 0, value.len()),
    }
}

/// AIDC media types: 01-10 are assigned by ICCBBA and 80-99 are for ICCBBA local or national
/// use; 00 is unused and the rest are reserved.
pub(super) fn mediatype(value: &[u8]) -> Result<(), LintError> {
    match *value {
        [tens @ b'0'..=b'9', units @ b'0'..=b'9'] if matches!((tens - b'0') * 10 + (units - b'0'), 1..=10 | 80..=99) => {
            Ok(())
        }
        _ => fail(LintErrorCode::InvalidMediaType, 0, value.len()),
    }
}

/// Packs a code of up to three bytes into one integer, zero-padded on the right, so that the
/// integers sort as the codes do and a search compares integers instead of slices.
const fn package_type_key(code: &[u8]) -> u32 {
    let mut key = 0;
    let mut i = 0;
    while i < 3 {
        key <<= 8;
        if i < code.len() {
            key |= code[i] as u32;
        }
        i += 1;
    }
    key
}

/// [`PACKAGE_TYPES`] as packed keys, in the same (sorted) order.
static PACKAGE_TYPE_KEYS: [u32; PACKAGE_TYPES.len()] = {
    let mut keys = [0; PACKAGE_TYPES.len()];
    let mut i = 0;
    while i < PACKAGE_TYPES.len() {
        keys[i] = package_type_key(PACKAGE_TYPES[i]);
        i += 1;
    }
    keys
};

pub(super) fn packagetype(value: &[u8]) -> Result<(), LintError> {
    // Requiring letters and digits first keeps packing unambiguous: no zero byte can pose as
    // padding.
    let well_formed = (1..=3).contains(&value.len())
        && value.iter().all(|byte| byte.is_ascii_digit() || byte.is_ascii_uppercase());
    if !well_formed || PACKAGE_TYPE_KEYS.binary_search(&package_type_key(value)).is_err() {
        return fail(LintErrorCode::InvalidPackageType, 0, value.len());
    }
    Ok(())
}

/// ISO/IEC 5218: 0 not known, 1 male, 2 female, 9 not applicable.
pub(super) fn iso5218(value: &[u8]) -> Result<(), LintError> {
    if !matches!(value, b"0" | b"1" | b"2" | b"9") {
        return fail(LintErrorCode::InvalidBiologicalSexCode, 0, value.len());
    }
    Ok(())
}

/// 0 face out, 1 face in, 9 undefined.
pub(super) fn winding(value: &[u8]) -> Result<(), LintError> {
    if !matches!(value, b"0" | b"1" | b"9") {
        return fail(LintErrorCode::InvalidWindingDirection, 0, value.len());
    }
    Ok(())
}

pub(super) fn yesno(value: &[u8]) -> Result<(), LintError> {
    if !matches!(value, b"0" | b"1") {
        return fail(LintErrorCode::NotZeroOrOne, 0, value.len());
    }
    Ok(())
}
