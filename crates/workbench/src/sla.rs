//! Service levels: how long an exception of each type may stay open, per regime, and the
//! defaults every new exception gets (severity, owner).
//!
//! Default hours, and why:
//! - 24 h for F7 (unavailable product moving), F8 (a verification failed), F9 (a regulator's
//!   alert), F10 (a report refused: the regime's clock runs on) and F12 (suspect product: DSCSA
//!   asks that FDA and partners be notified within 24 hours of determining a product
//!   illegitimate).
//! - 48 h for F4 (aggregation), F5 (master data) and F11 (illegal transitions): they block
//!   shipments and reports.
//! - 72 h for F1, F2, F3 and F6: the HDA exception guideline's "three business days" to
//!   resolve a data discrepancy with the trading partner.
//!
//! Configured in `serialhub.toml` as `[workbench.sla]`: `F5 = 12` sets a type's hours for
//! every regime, `"F10/us" = 8` for one regime (`us` for `dscsa` connectors, `eu` for `eu-hub`).

use std::collections::HashMap;

use serialhub_core::ExceptionType;

use crate::model::{Department, Severity};

const HOUR_MS: i64 = 3_600_000;

/// Hours to resolve, per type and regime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sla {
    hours: [u32; 12],
    regimes: HashMap<(ExceptionType, String), u32>,
}

impl Default for Sla {
    fn default() -> Sla {
        let hours = ExceptionType::ALL.map(|t| match t.code() {
            "F7" | "F8" | "F9" | "F10" | "F12" => 24,
            "F4" | "F5" | "F11" => 48,
            _ => 72,
        });
        Sla { hours, regimes: HashMap::new() }
    }
}

fn index(t: ExceptionType) -> usize {
    ExceptionType::ALL.iter().position(|x| *x == t).unwrap_or(0)
}

impl Sla {
    /// Sets the hours of `key` (`F5`, or `F10/us`), 1 to 8,760 (a year).
    pub fn set(&mut self, key: &str, hours: i64) -> Result<(), String> {
        let (code, regime) = key.split_once('/').map_or((key, None), |(c, r)| (c, Some(r)));
        let Some(t) = ExceptionType::from_code(code) else {
            return Err(format!("workbench.sla: {key:?} is not F1..F12 or F1..F12/regime"));
        };
        let Some(hours) = u32::try_from(hours).ok().filter(|h| (1..=8_760).contains(h)) else {
            return Err(format!("workbench.sla: {key} must be 1 to 8760 hours"));
        };
        match regime {
            None => self.hours[index(t)] = hours,
            Some(r) if !r.is_empty() => {
                self.regimes.insert((t, r.to_owned()), hours);
            }
            Some(_) => return Err(format!("workbench.sla: {key:?} names an empty regime")),
        }
        Ok(())
    }

    /// The hours an exception of type `t` under `regime` may stay open.
    pub fn hours(&self, t: ExceptionType, regime: Option<&str>) -> u32 {
        regime
            .and_then(|r| self.regimes.get(&(t, r.to_owned())))
            .copied()
            .unwrap_or(self.hours[index(t)])
    }

    /// When an exception raised at `raised_ms` is due.
    pub fn due(&self, t: ExceptionType, regime: Option<&str>, raised_ms: i64) -> i64 {
        raised_ms.saturating_add(i64::from(self.hours(t, regime)) * HOUR_MS)
    }
}

/// The severity a new exception of type `t` gets.
pub fn severity(t: ExceptionType) -> Severity {
    match t.code() {
        "F12" | "F8" | "F9" => Severity::Critical,
        "F7" | "F10" | "F1" | "F3" | "F4" | "F11" => Severity::High,
        _ => Severity::Medium,
    }
}

/// The department that owns a new exception of type `t` when its cause does not say.
pub fn owner(t: ExceptionType) -> Department {
    match t.code() {
        "F4" | "F6" => Department::Packaging,
        "F5" => Department::MasterData,
        "F7" | "F8" | "F9" | "F12" => Department::QualityCompliance,
        "F10" => Department::It,
        _ => Department::Warehouse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides_by_regime() {
        let mut sla = Sla::default();
        let f12 = ExceptionType::SuspectProduct;
        let f10 = ExceptionType::RegulatorRejection;
        assert_eq!(sla.hours(f12, None), 24);
        assert_eq!(sla.hours(ExceptionType::ProductWithoutData, Some("us")), 72);
        sla.set("F10/us", 8).expect("valid");
        sla.set("F5", 12).expect("valid");
        assert_eq!(sla.hours(f10, Some("us")), 8);
        assert_eq!(sla.hours(f10, Some("eu")), 24);
        assert_eq!(sla.hours(ExceptionType::MasterData, Some("eu")), 12);
        assert_eq!(sla.due(f12, None, 1_000), 1_000 + 24 * HOUR_MS);
        for bad in [("F13", 1), ("F5", 0), ("F5", 9_000), ("F5/", 4), ("x", 4)] {
            assert!(sla.set(bad.0, bad.1).is_err(), "{bad:?}");
        }
    }
}
