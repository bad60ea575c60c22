//! The workbench's vocabulary: where an exception comes from, who owns it, how urgent it is,
//! and where it is in its life. Every name here is a stable snake-case code (API, CLI,
//! metrics, the audit log).

use std::fmt;

/// Which record an exception stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExceptionRef {
    /// A ledger rule violation: the `seq` of the event that raised it and its place among that
    /// event's violations (the `/ledger/exceptions` id `{seq}-{nth}`).
    Ledger {
        /// The raising event's seq.
        seq: u64,
        /// Its place among the event's violations.
        nth: u32,
    },
    /// An outbound message failed for good (rejected, or out of attempts): `m{id}`.
    Message {
        /// The outbox message id.
        id: u64,
    },
    /// A product a suspect product case holds was moved (shipped, dispensed) by the event
    /// with `seq`: `h{case}-{seq}`.
    Hold {
        /// The case (`c{case}`).
        case: u64,
        /// The event that moved it.
        seq: u64,
    },
    /// A finding of verification (a cloned code, a diverted pack), raised by the audit entry
    /// with `seq` that recorded it: `a{seq}`.
    Alert {
        /// The audit entry's seq.
        seq: u64,
    },
}

impl fmt::Display for ExceptionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExceptionRef::Ledger { seq, nth } => write!(f, "{seq}-{nth}"),
            ExceptionRef::Message { id } => write!(f, "m{id}"),
            ExceptionRef::Hold { case, seq } => write!(f, "h{case}-{seq}"),
            ExceptionRef::Alert { seq } => write!(f, "a{seq}"),
        }
    }
}

impl ExceptionRef {
    /// Reads the id `Display` writes.
    pub fn parse(id: &str) -> Option<ExceptionRef> {
        if let Some(rest) = id.strip_prefix('m') {
            return digits(rest).map(|id| ExceptionRef::Message { id });
        }
        if let Some(rest) = id.strip_prefix('a') {
            return digits(rest).map(|seq| ExceptionRef::Alert { seq });
        }
        if let Some(rest) = id.strip_prefix('h') {
            let (case, seq) = rest.split_once('-')?;
            return Some(ExceptionRef::Hold { case: digits(case)?, seq: digits(seq)? });
        }
        let (seq, nth) = id.split_once('-')?;
        Some(ExceptionRef::Ledger { seq: digits(seq)?, nth: u32::try_from(digits(nth)?).ok()? })
    }
}

/// A decimal number without sign or leading zeros (ids are written one way only).
fn digits(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

/// Declares a closed set of named values with `name()`, `from_name()` and `ALL`.
macro_rules! named {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable name.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The value named `name`.
            pub fn from_name(name: &str) -> Option<$name> {
                match name { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named! {
    /// Where an exception is in its life.
    Status {
        /// Raised, nobody has looked at it yet.
        New = "new",
        /// Someone is on it.
        Investigating = "investigating",
        /// Waiting for a trading partner or regulator to answer.
        AwaitingPartner = "awaiting_partner",
        /// The cause is corrected (master data fixed, error declared); nothing resent yet.
        Corrected = "corrected",
        /// Sent again; closes by itself when the resubmission is delivered.
        Resubmitted = "resubmitted",
        /// Done, with a `Closure`.
        Closed = "closed",
    }
}

impl Status {
    /// Whether the exception still needs work (counts in the backlog and against its SLA).
    pub fn is_open(self) -> bool {
        self != Status::Closed
    }
}

named! {
    /// Why a closed exception is closed.
    Closure {
        /// Its resubmission was delivered.
        Delivered = "delivered",
        /// An error declaration and the corrective events were recorded and sent.
        Declared = "declared",
        /// Accepted as it is, with a justification.
        Accepted = "accepted",
        /// Not a real failure (a test message, a duplicate report).
        Voided = "voided",
    }
}

named! {
    /// The department that owns the correction.
    Department {
        /// The packaging line: serials, labels, aggregation.
        Packaging = "packaging",
        /// The warehouse: receipts, shipments, picking.
        Warehouse = "warehouse",
        /// Quality and compliance: recalls, suspect product, regulator relations.
        QualityCompliance = "quality_compliance",
        /// Master data: products, locations, partners.
        MasterData = "master_data",
        /// IT: connectors, outages, interfaces.
        It = "it",
    }
}

named! {
    /// How urgent.
    Severity {
        /// A regulatory deadline or patient safety is at stake.
        Critical = "critical",
        /// Blocks product movement or a report.
        High = "high",
        /// Data to correct, nothing blocked yet.
        Medium = "medium",
        /// Informational.
        Low = "low",
    }
}

named! {
    /// The likely cause serialhub suggests from the evidence; `Unknown` when no rule applies.
    RootCause {
        /// Product master data differs from what the receiver holds, or is missing.
        MasterDataMismatch = "master_data_mismatch",
        /// Pack data (the batch and its serials) was not uploaded before the shipment.
        PackDataNotUploaded = "pack_data_not_uploaded",
        /// The serial was read or keyed with its letters' case inverted.
        SerialCaseInverted = "serial_case_inverted",
        /// The serial was read or keyed with O for 0 or I for 1 (or the reverse).
        SerialCharacterConfusion = "serial_character_confusion",
        /// GTIN digits were appended to a lot or serial (a concatenated scan).
        GtinAppended = "gtin_appended",
        /// An upload or event carried a wrong expiry date.
        WrongExpiry = "wrong_expiry",
        /// A packing or unpacking step was recorded wrong.
        AggregationError = "aggregation_error",
        /// The same fact was reported twice.
        Duplicate = "duplicate",
        /// The receiver was unreachable until the message ran out of attempts.
        PartnerOutage = "partner_outage",
        /// One genuine code copied onto other packs (seen in more places than a pack can be).
        ClonedCode = "cloned_code",
        /// Genuine packs moved outside their intended market or channel.
        Diversion = "diversion",
        /// No rule matched the evidence.
        Unknown = "unknown",
    }
}

impl RootCause {
    /// The department that usually corrects this cause, if the cause decides it.
    pub fn owner(self) -> Option<Department> {
        match self {
            RootCause::MasterDataMismatch | RootCause::WrongExpiry => Some(Department::MasterData),
            RootCause::PackDataNotUploaded | RootCause::PartnerOutage => Some(Department::It),
            RootCause::AggregationError => Some(Department::Packaging),
            // A serial close to a real one may be a misread, or a counterfeit's: the type's
            // owner (the warehouse that scanned it, for F1) looks first.
            RootCause::SerialCaseInverted
            | RootCause::SerialCharacterConfusion
            | RootCause::GtinAppended
            | RootCause::Duplicate
            | RootCause::ClonedCode
            | RootCause::Diversion
            | RootCause::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_and_only_their_one_spelling_reads() {
        for r in [
            ExceptionRef::Ledger { seq: 12, nth: 0 },
            ExceptionRef::Ledger { seq: 1, nth: 3 },
            ExceptionRef::Message { id: 0 },
            ExceptionRef::Message { id: 907 },
            ExceptionRef::Hold { case: 3, seq: 41 },
        ] {
            assert_eq!(ExceptionRef::parse(&r.to_string()), Some(r));
        }
        for bad in [
            "",
            "m",
            "m-1",
            "m01",
            "1-",
            "-1",
            "01-0",
            "1-00",
            "1-0-0",
            "x1",
            "1-4294967296",
            "h3",
            "h-1",
            "h03-1",
        ] {
            assert_eq!(ExceptionRef::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_read_back() {
        for s in Status::ALL {
            assert_eq!(Status::from_name(s.name()), Some(*s));
        }
        for c in RootCause::ALL {
            assert_eq!(RootCause::from_name(c.name()), Some(*c));
        }
        assert_eq!(Department::from_name("it"), Some(Department::It));
        assert_eq!(Severity::from_name("urgent"), None);
    }
}
