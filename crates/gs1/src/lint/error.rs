//! The error codes that linters report, named after the reference `GS1_LINTER_*` codes.

/// Declares [`LintErrorCode`] together with its reference name and message tables, so that a
/// variant can never exist without both.
macro_rules! lint_error_codes {
    ($($(#[$attr:meta])* $variant:ident => $name:literal, $message:literal;)*) => {
        /// Why a linter rejected a component.
        ///
        /// There is one variant per `GS1_LINTER_*` code of the GS1 Barcode Syntax Dictionary's
        /// reference implementation (other than `GS1_LINTER_OK`), so reports can quote the
        /// standard's own names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum LintErrorCode {
            $($(#[$attr])* $variant,)*
        }

        impl LintErrorCode {
            /// Every code, in the reference enumeration's order.
            pub const ALL: &'static [LintErrorCode] = &[$(LintErrorCode::$variant,)*];

            /// The reference name, for example `"GS1_LINTER_INCORRECT_CHECK_DIGIT"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(LintErrorCode::$variant => $name,)*
                }
            }

            /// A short, lowercase English description, for example `"incorrect check digit"`.
            pub fn message(self) -> &'static str {
                match self {
                    $(LintErrorCode::$variant => $message,)*
                }
            }
        }
    };
}

lint_error_codes! {
    /// A non-digit character was found where a digit is expected.
    NonDigitCharacter => "GS1_LINTER_NON_DIGIT_CHARACTER", "non-digit character";
    /// A character outside CSET 82 was found.
    InvalidCset82Character => "GS1_LINTER_INVALID_CSET82_CHARACTER", "character is not in CSET 82";
    /// A character outside CSET 39 was found.
    InvalidCset39Character => "GS1_LINTER_INVALID_CSET39_CHARACTER", "character is not in CSET 39";
    /// A character outside CSET 32 was found.
    ///
    /// No linter here reports it: the reference dropped this check from `csumalpha`, which now
    /// reports a bad check character as [`LintErrorCode::IncorrectCheckPair`].
    InvalidCset32Character => "GS1_LINTER_INVALID_CSET32_CHARACTER", "character is not in CSET 32";
    /// The numeric check digit is incorrect.
    IncorrectCheckDigit => "GS1_LINTER_INCORRECT_CHECK_DIGIT", "incorrect check digit";
    /// The component is too short to carry a numeric check digit.
    TooShortForCheckDigit => "GS1_LINTER_TOO_SHORT_FOR_CHECK_DIGIT", "too short for a check digit";
    /// The alphanumeric check character pair is incorrect.
    IncorrectCheckPair => "GS1_LINTER_INCORRECT_CHECK_PAIR", "incorrect check character pair";
    /// The component is too short to carry an alphanumeric check character pair.
    TooShortForCheckPair => "GS1_LINTER_TOO_SHORT_FOR_CHECK_PAIR", "too short for a check character pair";
    /// The component is longer than the check character pair calculation supports.
    TooLongForCheckPairImplementation => "GS1_LINTER_TOO_LONG_FOR_CHECK_PAIR_IMPLEMENTATION", "too long for the check character pair calculation";
    /// The GS1 Company Prefix data source is offline.
    GcpDatasourceOffline => "GS1_LINTER_GCP_DATASOURCE_OFFLINE", "GS1 Company Prefix data source is offline";
    /// The component is shorter than the shortest GS1 Company Prefix.
    ///
    /// Reported by the reference's retired `key` linter; the `gcppos*` linters report
    /// [`LintErrorCode::TooShortForGcp`] instead.
    TooShortForKey => "GS1_LINTER_TOO_SHORT_FOR_KEY", "too short for a GS1 key";
    /// The GS1 Company Prefix is invalid.
    InvalidGcpPrefix => "GS1_LINTER_INVALID_GCP_PREFIX", "invalid GS1 Company Prefix";
    /// The Importer Index is not a single character.
    ImporterIdxMustBeOneCharacter => "GS1_LINTER_IMPORTER_IDX_MUST_BE_ONE_CHARACTER", "importer index must be one character";
    /// The Importer Index character is not permitted.
    InvalidImportIdxCharacter => "GS1_LINTER_INVALID_IMPORT_IDX_CHARACTER", "invalid importer index character";
    /// A zero value is not permitted.
    IllegalZeroValue => "GS1_LINTER_ILLEGAL_ZERO_VALUE", "value must not be zero";
    /// A zero value is required.
    NotZero => "GS1_LINTER_NOT_ZERO", "value must be zero";
    /// A leading zero is not permitted.
    IllegalZeroPrefix => "GS1_LINTER_ILLEGAL_ZERO_PREFIX", "leading zero is not permitted";
    /// The value must be "0" or "1".
    NotZeroOrOne => "GS1_LINTER_NOT_ZERO_OR_ONE", "value must be 0 or 1";
    /// The winding direction must be "0", "1" or "9".
    InvalidWindingDirection => "GS1_LINTER_INVALID_WINDING_DIRECTION", "winding direction must be 0, 1 or 9";
    /// The value is not an ISO 3166 numeric country code.
    NotIso3166 => "GS1_LINTER_NOT_ISO3166", "not an ISO 3166 numeric country code";
    /// The value is neither an ISO 3166 numeric country code nor "999".
    NotIso3166Or999 => "GS1_LINTER_NOT_ISO3166_OR_999", "not an ISO 3166 numeric country code or 999";
    /// The value is not an ISO 3166 alpha-2 country code.
    NotIso3166Alpha2 => "GS1_LINTER_NOT_ISO3166_ALPHA2", "not an ISO 3166 alpha-2 country code";
    /// The value is not an ISO 4217 numeric currency code.
    NotIso4217 => "GS1_LINTER_NOT_ISO4217", "not an ISO 4217 numeric currency code";
    /// The IBAN is too short.
    IbanTooShort => "GS1_LINTER_IBAN_TOO_SHORT", "IBAN is too short";
    /// The IBAN contains a character outside 0-9 and A-Z.
    InvalidIbanCharacter => "GS1_LINTER_INVALID_IBAN_CHARACTER", "invalid IBAN character";
    /// The IBAN does not start with an ISO 3166 alpha-2 country code.
    IllegalIbanCountryCode => "GS1_LINTER_ILLEGAL_IBAN_COUNTRY_CODE", "IBAN does not start with a country code";
    /// The IBAN check digits are incorrect.
    IncorrectIbanChecksum => "GS1_LINTER_INCORRECT_IBAN_CHECKSUM", "incorrect IBAN check digits";
    /// The date is too short for its format.
    DateTooShort => "GS1_LINTER_DATE_TOO_SHORT", "date is too short";
    /// The date is too long for its format.
    DateTooLong => "GS1_LINTER_DATE_TOO_LONG", "date is too long";
    /// The date with hour is too short for YYMMDDHH.
    ///
    /// Reported only by the reference's retired `yymmddhh` linter.
    DateWithHourTooShort => "GS1_LINTER_DATE_WITH_HOUR_TOO_SHORT", "date with hour is too short";
    /// The date with hour is too long for YYMMDDHH.
    ///
    /// Reported only by the reference's retired `yymmddhh` linter.
    DateWithHourTooLong => "GS1_LINTER_DATE_WITH_HOUR_TOO_LONG", "date with hour is too long";
    /// The hour with minute is too short for HHMI.
    HourWithMinuteTooShort => "GS1_LINTER_HOUR_WITH_MINUTE_TOO_SHORT", "time is too short";
    /// The hour with minute is too long for HHMI.
    HourWithMinuteTooLong => "GS1_LINTER_HOUR_WITH_MINUTE_TOO_LONG", "time is too long";
    /// The minutes with optional seconds have the wrong length.
    ///
    /// Reported only by the reference's retired `mmoptss` linter.
    MmssInvalidLength => "GS1_LINTER_MMSS_INVALID_LENGTH", "minutes and seconds have the wrong length";
    /// The month is not 01 to 12.
    IllegalMonth => "GS1_LINTER_ILLEGAL_MONTH", "month is not valid";
    /// The day does not exist in the month.
    IllegalDay => "GS1_LINTER_ILLEGAL_DAY", "day is not valid";
    /// The hour is not 00 to 23.
    IllegalHour => "GS1_LINTER_ILLEGAL_HOUR", "hour is not valid";
    /// The minute is not 00 to 59.
    IllegalMinute => "GS1_LINTER_ILLEGAL_MINUTE", "minute is not valid";
    /// The second is not 00 to 59.
    IllegalSecond => "GS1_LINTER_ILLEGAL_SECOND", "second is not valid";
    /// A piece-of-total value must have an even, non-zero length.
    InvalidLengthForPieceOfTotal => "GS1_LINTER_INVALID_LENGTH_FOR_PIECE_OF_TOTAL", "piece and total must have equal lengths";
    /// The piece number is zero.
    ZeroPieceNumber => "GS1_LINTER_ZERO_PIECE_NUMBER", "piece number must not be zero";
    /// The total number of pieces is zero.
    ZeroTotalPieces => "GS1_LINTER_ZERO_TOTAL_PIECES", "total pieces must not be zero";
    /// The piece number is greater than the total.
    PieceNumberExceedsTotal => "GS1_LINTER_PIECE_NUMBER_EXCEEDS_TOTAL", "piece number exceeds the total";
    /// A "%" is not followed by two hexadecimal digits.
    InvalidPercentSequence => "GS1_LINTER_INVALID_PERCENT_SEQUENCE", "invalid percent-encoded sequence";
    /// The coupon's Format Code is missing.
    CouponMissingFormatCode => "GS1_LINTER_COUPON_MISSING_FORMAT_CODE", "coupon format code is missing";
    /// The coupon's Format Code is not "0" or "1".
    CouponInvalidFormatCode => "GS1_LINTER_COUPON_INVALID_FORMAT_CODE", "coupon format code is not valid";
    /// The coupon's Funder length indicator is missing.
    CouponMissingFunderVli => "GS1_LINTER_COUPON_MISSING_FUNDER_VLI", "coupon funder length indicator is missing";
    /// The coupon's Funder length indicator is not "0" to "6".
    CouponInvalidFunderLength => "GS1_LINTER_COUPON_INVALID_FUNDER_LENGTH", "coupon funder length indicator is not valid";
    /// The coupon's Funder is shorter than its length indicator says.
    CouponTruncatedFunder => "GS1_LINTER_COUPON_TRUNCATED_FUNDER", "coupon funder is truncated";
    /// The coupon's Offer Code is shorter than six digits.
    CouponTruncatedOfferCode => "GS1_LINTER_COUPON_TRUNCATED_OFFER_CODE", "coupon offer code is truncated";
    /// The coupon's Serial Number length indicator is missing.
    CouponMissingSerialNumberVli => "GS1_LINTER_COUPON_MISSING_SERIAL_NUMBER_VLI", "coupon serial number length indicator is missing";
    /// The coupon's Serial Number is shorter than its length indicator says.
    CouponTruncatedSerialNumber => "GS1_LINTER_COUPON_TRUNCATED_SERIAL_NUMBER", "coupon serial number is truncated";
    /// The coupon's primary GS1 Company Prefix length indicator is missing.
    CouponMissingGcpVli => "GS1_LINTER_COUPON_MISSING_GCP_VLI", "coupon company prefix length indicator is missing";
    /// The coupon's primary GS1 Company Prefix length indicator is not "0" to "6".
    CouponInvalidGcpLength => "GS1_LINTER_COUPON_INVALID_GCP_LENGTH", "coupon company prefix length indicator is not valid";
    /// The coupon's primary GS1 Company Prefix is shorter than its length indicator says.
    CouponTruncatedGcp => "GS1_LINTER_COUPON_TRUNCATED_GCP", "coupon company prefix is truncated";
    /// The coupon's Save Value length indicator is missing.
    CouponMissingSaveValueVli => "GS1_LINTER_COUPON_MISSING_SAVE_VALUE_VLI", "coupon save value length indicator is missing";
    /// The coupon's Save Value length indicator is not "1" to "5".
    CouponInvalidSaveValueLength => "GS1_LINTER_COUPON_INVALID_SAVE_VALUE_LENGTH", "coupon save value length indicator is not valid";
    /// The coupon's Save Value is shorter than its length indicator says.
    CouponTruncatedSaveValue => "GS1_LINTER_COUPON_TRUNCATED_SAVE_VALUE", "coupon save value is truncated";
    /// The coupon's primary purchase requirement length indicator is missing.
    CouponMissing1stPurchaseRequirementVli => "GS1_LINTER_COUPON_MISSING_1ST_PURCHASE_REQUIREMENT_VLI", "coupon first purchase requirement length indicator is missing";
    /// The coupon's primary purchase requirement length indicator is not "1" to "5".
    CouponInvalid1stPurchaseRequirementLength => "GS1_LINTER_COUPON_INVALID_1ST_PURCHASE_REQUIREMENT_LENGTH", "coupon first purchase requirement length indicator is not valid";
    /// The coupon's primary purchase requirement is shorter than its length indicator says.
    CouponTruncated1stPurchaseRequirement => "GS1_LINTER_COUPON_TRUNCATED_1ST_PURCHASE_REQUIREMENT", "coupon first purchase requirement is truncated";
    /// The coupon's primary purchase requirement code is missing.
    CouponMissing1stPurchaseRequirementCode => "GS1_LINTER_COUPON_MISSING_1ST_PURCHASE_REQUIREMENT_CODE", "coupon first purchase requirement code is missing";
    /// The coupon's primary purchase requirement code is not "0" to "4" or "9".
    CouponInvalid1stPurchaseRequirementCode => "GS1_LINTER_COUPON_INVALID_1ST_PURCHASE_REQUIREMENT_CODE", "coupon first purchase requirement code is not valid";
    /// The coupon's primary purchase family code is shorter than three digits.
    CouponTruncated1stPurchaseFamilyCode => "GS1_LINTER_COUPON_TRUNCATED_1ST_PURCHASE_FAMILY_CODE", "coupon first purchase family code is truncated";
    /// The coupon's additional purchase rules code is missing.
    CouponMissingAdditionalPurchaseRulesCode => "GS1_LINTER_COUPON_MISSING_ADDITIONAL_PURCHASE_RULES_CODE", "coupon additional purchase rules code is missing";
    /// The coupon's additional purchase rules code is not "0" to "3".
    CouponInvalidAdditionalPurchaseRulesCode => "GS1_LINTER_COUPON_INVALID_ADDITIONAL_PURCHASE_RULES_CODE", "coupon additional purchase rules code is not valid";
    /// The coupon's second purchase requirement length indicator is missing.
    CouponMissing2ndPurchaseRequirementVli => "GS1_LINTER_COUPON_MISSING_2ND_PURCHASE_REQUIREMENT_VLI", "coupon second purchase requirement length indicator is missing";
    /// The coupon's second purchase requirement length indicator is not "1" to "5".
    CouponInvalid2ndPurchaseRequirementLength => "GS1_LINTER_COUPON_INVALID_2ND_PURCHASE_REQUIREMENT_LENGTH", "coupon second purchase requirement length indicator is not valid";
    /// The coupon's second purchase requirement is shorter than its length indicator says.
    CouponTruncated2ndPurchaseRequirement => "GS1_LINTER_COUPON_TRUNCATED_2ND_PURCHASE_REQUIREMENT", "coupon second purchase requirement is truncated";
    /// The coupon's second purchase requirement code is missing.
    CouponMissing2ndPurchaseRequirementCode => "GS1_LINTER_COUPON_MISSING_2ND_PURCHASE_REQUIREMENT_CODE", "coupon second purchase requirement code is missing";
    /// The coupon's second purchase requirement code is not "0" to "4" or "9".
    CouponInvalid2ndPurchaseRequirementCode => "GS1_LINTER_COUPON_INVALID_2ND_PURCHASE_REQUIREMENT_CODE", "coupon second purchase requirement code is not valid";
    /// The coupon's second purchase family code is shorter than three digits.
    CouponTruncated2ndPurchaseFamilyCode => "GS1_LINTER_COUPON_TRUNCATED_2ND_PURCHASE_FAMILY_CODE", "coupon second purchase family code is truncated";
    /// The coupon's second purchase GS1 Company Prefix length indicator is missing.
    CouponMissing2ndPurchaseGcpVli => "GS1_LINTER_COUPON_MISSING_2ND_PURCHASE_GCP_VLI", "coupon second purchase company prefix length indicator is missing";
    /// The coupon's second purchase GS1 Company Prefix length indicator is not "0" to "6" or "9".
    CouponInvalid2ndPurchaseGcpLength => "GS1_LINTER_COUPON_INVALID_2ND_PURCHASE_GCP_LENGTH", "coupon second purchase company prefix length indicator is not valid";
    /// The coupon's second purchase GS1 Company Prefix is shorter than its length indicator says.
    CouponTruncated2ndPurchaseGcp => "GS1_LINTER_COUPON_TRUNCATED_2ND_PURCHASE_GCP", "coupon second purchase company prefix is truncated";
    /// The coupon's third purchase requirement length indicator is missing.
    CouponMissing3rdPurchaseRequirementVli => "GS1_LINTER_COUPON_MISSING_3RD_PURCHASE_REQUIREMENT_VLI", "coupon third purchase requirement length indicator is missing";
    /// The coupon's third purchase requirement length indicator is not "1" to "5".
    CouponInvalid3rdPurchaseRequirementLength => "GS1_LINTER_COUPON_INVALID_3RD_PURCHASE_REQUIREMENT_LENGTH", "coupon third purchase requirement length indicator is not valid";
    /// The coupon's third purchase requirement is shorter than its length indicator says.
    CouponTruncated3rdPurchaseRequirement => "GS1_LINTER_COUPON_TRUNCATED_3RD_PURCHASE_REQUIREMENT", "coupon third purchase requirement is truncated";
    /// The coupon's third purchase requirement code is missing.
    CouponMissing3rdPurchaseRequirementCode => "GS1_LINTER_COUPON_MISSING_3RD_PURCHASE_REQUIREMENT_CODE", "coupon third purchase requirement code is missing";
    /// The coupon's third purchase requirement code is not "0" to "4" or "9".
    CouponInvalid3rdPurchaseRequirementCode => "GS1_LINTER_COUPON_INVALID_3RD_PURCHASE_REQUIREMENT_CODE", "coupon third purchase requirement code is not valid";
    /// The coupon's third purchase family code is shorter than three digits.
    CouponTruncated3rdPurchaseFamilyCode => "GS1_LINTER_COUPON_TRUNCATED_3RD_PURCHASE_FAMILY_CODE", "coupon third purchase family code is truncated";
    /// The coupon's third purchase GS1 Company Prefix length indicator is missing.
    CouponMissing3rdPurchaseGcpVli => "GS1_LINTER_COUPON_MISSING_3RD_PURCHASE_GCP_VLI", "coupon third purchase company prefix length indicator is missing";
    /// The coupon's third purchase GS1 Company Prefix length indicator is not "0" to "6" or "9".
    CouponInvalid3rdPurchaseGcpLength => "GS1_LINTER_COUPON_INVALID_3RD_PURCHASE_GCP_LENGTH", "coupon third purchase company prefix length indicator is not valid";
    /// The coupon's third purchase GS1 Company Prefix is shorter than its length indicator says.
    CouponTruncated3rdPurchaseGcp => "GS1_LINTER_COUPON_TRUNCATED_3RD_PURCHASE_GCP", "coupon third purchase company prefix is truncated";
    /// The coupon's expiration date is shorter than YYMMDD.
    CouponTooShortForExpirationDate => "GS1_LINTER_COUPON_TOO_SHORT_FOR_EXPIRATION_DATE", "coupon expiration date is truncated";
    /// The coupon's expiration date is not a valid YYMMDD date.
    ///
    /// The reference name keeps the reference's spelling ("EXIPIRATION").
    CouponInvalidExpirationDate => "GS1_LINTER_COUPON_INVALID_EXIPIRATION_DATE", "coupon expiration date is not valid";
    /// The coupon's start date is shorter than YYMMDD.
    CouponTooShortForStartDate => "GS1_LINTER_COUPON_TOO_SHORT_FOR_START_DATE", "coupon start date is truncated";
    /// The coupon's start date is not a valid YYMMDD date.
    CouponInvalidStartDate => "GS1_LINTER_COUPON_INVALID_START_DATE", "coupon start date is not valid";
    /// The coupon's expiration date precedes its start date.
    CouponExpirationBeforeStart => "GS1_LINTER_COUPON_EXPIRATION_BEFORE_START", "coupon expires before it starts";
    /// The coupon's retailer GCP/GLN length indicator is missing.
    CouponMissingRetailerGcpOrGlnVli => "GS1_LINTER_COUPON_MISSING_RETAILER_GCP_OR_GLN_VLI", "coupon retailer length indicator is missing";
    /// The coupon's retailer GCP/GLN length indicator is not "1" to "7".
    CouponInvalidRetailerGcpOrGlnLength => "GS1_LINTER_COUPON_INVALID_RETAILER_GCP_OR_GLN_LENGTH", "coupon retailer length indicator is not valid";
    /// The coupon's retailer GCP/GLN is shorter than its length indicator says.
    CouponTruncatedRetailerGcpOrGln => "GS1_LINTER_COUPON_TRUNCATED_RETAILER_GCP_OR_GLN", "coupon retailer company prefix or gln is truncated";
    /// The coupon's Save Value Code is missing.
    CouponMissingSaveValueCode => "GS1_LINTER_COUPON_MISSING_SAVE_VALUE_CODE", "coupon save value code is missing";
    /// The coupon's Save Value Code is not "0", "1", "2", "5" or "6".
    CouponInvalidSaveValueCode => "GS1_LINTER_COUPON_INVALID_SAVE_VALUE_CODE", "coupon save value code is not valid";
    /// The coupon's Save Value Applies to Item is missing.
    CouponMissingSaveValueAppliesToItem => "GS1_LINTER_COUPON_MISSING_SAVE_VALUE_APPLIES_TO_ITEM", "coupon save value applies-to-item is missing";
    /// The coupon's Save Value Applies to Item is not "0" to "2".
    CouponInvalidSaveValueAppliesToItem => "GS1_LINTER_COUPON_INVALID_SAVE_VALUE_APPLIES_TO_ITEM", "coupon save value applies-to-item is not valid";
    /// The coupon's Store Coupon Flag is missing.
    CouponMissingStoreCouponFlag => "GS1_LINTER_COUPON_MISSING_STORE_COUPON_FLAG", "coupon store coupon flag is missing";
    /// The coupon's Don't Multiply Flag is missing.
    CouponMissingDontMultiplyFlag => "GS1_LINTER_COUPON_MISSING_DONT_MULTIPLY_FLAG", "coupon don't multiply flag is missing";
    /// The coupon's Don't Multiply Flag is not "0" or "1".
    CouponInvalidDontMultiplyFlag => "GS1_LINTER_COUPON_INVALID_DONT_MULTIPLY_FLAG", "coupon don't multiply flag is not valid";
    /// The coupon has data after the last recognised optional field.
    CouponExcessData => "GS1_LINTER_COUPON_EXCESS_DATA", "coupon has excess data";
    /// The latitude is outside 0000000000 to 1800000000.
    InvalidLatitude => "GS1_LINTER_INVALID_LATITUDE", "latitude is out of range";
    /// The longitude is outside 0000000000 to 3600000000.
    InvalidLongitude => "GS1_LINTER_INVALID_LONGITUDE", "longitude is out of range";
    /// The value is not an AIDC media type.
    InvalidMediaType => "GS1_LINTER_INVALID_MEDIA_TYPE", "not an AIDC media type";
    /// The latitude is not ten digits long.
    LatitudeInvalidLength => "GS1_LINTER_LATITUDE_INVALID_LENGTH", "latitude must be ten digits";
    /// The longitude is not ten digits long.
    LongitudeInvalidLength => "GS1_LINTER_LONGITUDE_INVALID_LENGTH", "longitude must be ten digits";
    /// A character outside CSET 64 was found.
    InvalidCset64Character => "GS1_LINTER_INVALID_CSET64_CHARACTER", "character is not in CSET 64";
    /// The CSET 64 padding is wrong.
    InvalidCset64Padding => "GS1_LINTER_INVALID_CSET64_PADDING", "invalid CSET 64 padding";
    /// Only hyphens are permitted.
    NotHyphen => "GS1_LINTER_NOT_HYPHEN", "value must be hyphens";
    /// The value is not an ISO/IEC 5218 biological sex code.
    InvalidBiologicalSexCode => "GS1_LINTER_INVALID_BIOLOGICAL_SEX_CODE", "not an ISO/IEC 5218 biological sex code";
    /// The value is not of the form `<pos>/<end>`.
    PositionInSequenceMalformed => "GS1_LINTER_POSITION_IN_SEQUENCE_MALFORMED", "position in sequence must be <pos>/<end>";
    /// The position is greater than the end.
    PositionExceedsEnd => "GS1_LINTER_POSITION_EXCEEDS_END", "position exceeds the end";
    /// At least one non-digit character is required.
    RequiresNonDigitCharacter => "GS1_LINTER_REQUIRES_NON_DIGIT_CHARACTER", "a non-digit character is required";
    /// The hour is shorter than HH.
    HourTooShort => "GS1_LINTER_HOUR_TOO_SHORT", "hour is too short";
    /// The hour is longer than HH.
    HourTooLong => "GS1_LINTER_HOUR_TOO_LONG", "hour is too long";
    /// The minute is shorter than MI.
    MinuteTooShort => "GS1_LINTER_MINUTE_TOO_SHORT", "minute is too short";
    /// The minute is longer than MI.
    MinuteTooLong => "GS1_LINTER_MINUTE_TOO_LONG", "minute is too long";
    /// The second is shorter than SS.
    SecondTooShort => "GS1_LINTER_SECOND_TOO_SHORT", "second is too short";
    /// The second is longer than SS.
    SecondTooLong => "GS1_LINTER_SECOND_TOO_LONG", "second is too long";
    /// The value is not a PackageTypeCode.
    InvalidPackageType => "GS1_LINTER_INVALID_PACKAGE_TYPE", "not a package type code";
    /// The component is shorter than the shortest GS1 Company Prefix.
    TooShortForGcp => "GS1_LINTER_TOO_SHORT_FOR_GCP", "too short for a GS1 Company Prefix";
    /// The IBAN is longer than 34 characters.
    IbanTooLong => "GS1_LINTER_IBAN_TOO_LONG", "IBAN is too long";
}
