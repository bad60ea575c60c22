//! Why a connector refuses a message, in one table of stable codes.
//!
//! A message whose document cannot be built as its regime requires is not sent: the attempt
//! ends `Attempt::Rejected` with one of these codes and a reason naming the GTINs and
//! identifiers concerned, so the message fails for good (`rejected <code>: <reason>` in the
//! outbox) and becomes an exception that can be classified by its code and corrected (fix the
//! master data or the events, then send again). Receivers' own codes (a partner's or a hub's
//! answer) pass through unchanged; `serials_rejected` is the one code a connector gives a
//! receiver's answer, for an upload whose serials were answered one by one.

use serialhub_dispatch::Attempt;

/// The codes, each with the regime that gives it and the exception it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// `dscsa`, `eu-hub` (F5, master data): a product (GTIN) the message carries has no stored
    /// EPCClass master data, or lacks an attribute the regime requires. `dscsa`: the NDC
    /// (`additionalTradeItemIdentification` typed `FDA_NDC_11` or `US_FDA_NDC`),
    /// `regulatedProductName`, `dosageFormType`, `strengthDescription`,
    /// `manufacturerOfTradeItemPartyName`. `eu-hub`: a product name.
    MasterDataMissing,
    /// `dscsa` (F3, wrong NDC/GTIN): the NDC in the master data is not the one the NDC-based
    /// GTIN encodes.
    NdcMismatch,
    /// `dscsa` (F1/F10): the shipping event gives no transaction information: no business
    /// transaction typed purchase order (`po`), invoice (`inv`) or despatch advice (`desadv`),
    /// or no seller or buyer named by a GLN.
    TransactionInformationMissing,
    /// `dscsa` (F1, serial never commissioned): an identifier of the shipped hierarchy has no
    /// commissioning event stored before the shipment (every SGTIN, and every identifier that
    /// holds nothing; a container that holds packs may have been started by its packing).
    HierarchyIncomplete,
    /// `dscsa`: the shipped hierarchy holds more than `dscsa::IDS_MAX` identifiers or is nested
    /// deeper than `dscsa::DEPTH_MAX`.
    ShipmentTooLarge,
    /// `eu-hub` (F3): the commissioning event's ILMD gives no lot (`lotNumber`) or no expiry
    /// (`itemExpirationDate`).
    BatchDataMissing,
    /// `eu-hub` (F3): the ILMD's expiry is not a date.
    BatchDataInvalid,
    /// `eu-hub`: more than `euhub::SERIALS_MAX` serials in one upload.
    UploadTooLarge,
    /// `eu-hub` (F10): the hub answered and refused one or more serials; the reason lists each
    /// with the hub's code.
    SerialsRejected,
    /// `dscsa`: a stored event cannot be written in the regime's format (EPCIS 1.2 has no place
    /// for some EPCIS 2.0 fields, such as `certificationInfo`).
    DocumentUnwritable,
}

impl Code {
    /// Every code.
    pub const ALL: [Code; 10] = [
        Code::MasterDataMissing,
        Code::NdcMismatch,
        Code::TransactionInformationMissing,
        Code::HierarchyIncomplete,
        Code::ShipmentTooLarge,
        Code::BatchDataMissing,
        Code::BatchDataInvalid,
        Code::UploadTooLarge,
        Code::SerialsRejected,
        Code::DocumentUnwritable,
    ];

    /// The stable snake-case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MasterDataMissing => "master_data_missing",
            Code::NdcMismatch => "ndc_mismatch",
            Code::TransactionInformationMissing => "transaction_information_missing",
            Code::HierarchyIncomplete => "hierarchy_incomplete",
            Code::ShipmentTooLarge => "shipment_too_large",
            Code::BatchDataMissing => "batch_data_missing",
            Code::BatchDataInvalid => "batch_data_invalid",
            Code::UploadTooLarge => "upload_too_large",
            Code::SerialsRejected => "serials_rejected",
            Code::DocumentUnwritable => "document_unwritable",
        }
    }

    /// The code named `code`.
    pub fn parse(code: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

/// The longest reason kept: an exception names what to fix, not every serial of a pallet.
pub const REASON_LEN_MAX: usize = 1_000;

/// A refusal: the code and the words naming what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The stable code.
    pub code: Code,
    /// What is wrong, naming the GTINs and identifiers (at most `REASON_LEN_MAX` bytes).
    pub reason: String,
}

impl Refusal {
    /// A refusal with `code`, its reason cut to `REASON_LEN_MAX`.
    pub fn new(code: Code, reason: impl Into<String>) -> Refusal {
        let mut reason = reason.into();
        if reason.len() > REASON_LEN_MAX {
            let mut end = REASON_LEN_MAX - 3;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
            reason.push_str("...");
        }
        Refusal { code, reason }
    }

    /// The attempt it ends.
    pub fn into_attempt(self) -> Attempt {
        Attempt::Rejected { code: self.code.as_str().to_owned(), reason: self.reason }
    }
}

/// `items` joined by `; `, the first `shown` of them, and how many more there are.
pub(crate) fn listing(items: &[String], shown: usize) -> String {
    let mut text = items.iter().take(shown).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > shown {
        text.push_str(&format!("; and {} more", items.len() - shown));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_reasons_bounded() {
        let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            codes,
            [
                "master_data_missing",
                "ndc_mismatch",
                "transaction_information_missing",
                "hierarchy_incomplete",
                "shipment_too_large",
                "batch_data_missing",
                "batch_data_invalid",
                "upload_too_large",
                "serials_rejected",
                "document_unwritable",
            ]
        );
        assert!(Code::ALL.iter().all(|c| Code::parse(c.as_str()) == Some(*c)));
        let long = Refusal::new(Code::HierarchyIncomplete, "é".repeat(2_000));
        assert!(long.reason.len() <= REASON_LEN_MAX && long.reason.ends_with("..."));
        let items: Vec<String> = (1..=5).map(|i| format!("id{i}")).collect();
        assert_eq!(listing(&items, 3), "id1; id2; id3; and 2 more");
        assert_eq!(listing(&items[..2], 3), "id1; id2");
    }
}
