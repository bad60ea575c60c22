//! Clone and diversion detection over what verifications observe.
//!
//! A physical pack is in one place at a time. A counterfeiter who copied one genuine code onto
//! many packs cannot hide that: the copies are verified by more partners, more phones and more
//! markets than one pack can reach in the window. A diverter moves genuine packs to a market
//! they were not made for (cheaper here, dearer there), re-imports exported packs, or returns
//! packs it never bought. Each pattern below raises an `Alert` for the exception workbench
//! (F12, suspect product, as a candidate for a case: a person decides):
//!
//! | code | when |
//! |---|---|
//! | `clone_suspected` | within `window_ms`, more distinct partner sites than `places_max`, public devices than `devices_max`, or markets than `markets_max` |
//! | `verified_after_dispense` | a partner verifies, returns or dispenses a pack already dispensed to a patient |
//! | `exported_seen_again` | a pack decommissioned as exported is verified again |
//! | `outside_target_market` | the observer's market is known and is not one the pack was made for or shipped to |
//! | `return_not_sold_to_returner` | a saleable return from a partner the pack was never shipped to |
//!
//! Each alert is raised once per pack and code (the workbench holds it from then on). Memory
//! is bounded: sightings are kept for at most `capacity` packs (oldest forgotten first), 16
//! per pack; unknown serials (a harvester's guesses) are never recorded.

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};
use serialhub_core::{DecommissionReason, ExceptionType, Status};

/// Sightings kept per pack.
pub const SIGHTINGS_MAX: usize = 16;

/// Who observed the pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// An authenticated trading partner (VRS, pharmacy operations).
    Partner,
    /// The public (the consumer page).
    Public,
}

/// Why a partner asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// A verification (pharmacy verify, VRS without a context).
    Verify,
    /// A DSCSA saleable return (`context=dscsaSaleableReturn`).
    SaleableReturn,
    /// Before dispensing.
    Dispense,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::Verify => "verify",
            Context::SaleableReturn => "saleable_return",
            Context::Dispense => "dispense",
        }
    }
}

/// One verification of a known pack.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    /// The pack's ledger key.
    pub key: &'a str,
    /// When (Unix ms).
    pub at_ms: i64,
    /// Who.
    pub channel: Channel,
    /// Why.
    pub context: Context,
    /// The partner's site (its GLN), for a partner.
    pub place: Option<&'a str>,
    /// A pseudonymous device or connection id, for the public.
    pub device: Option<&'a str>,
    /// The observer's market (ISO 3166 alpha-2), when known.
    pub market: Option<&'a str>,
}

/// What the ledger and master data say about the pack.
#[derive(Clone, Debug, Default)]
pub struct PackFacts {
    /// The status in force; `None` for a pack with no status yet.
    pub status: Option<Status>,
    /// The markets the pack is meant for: its code's reimbursement number, its product's
    /// target markets in master data, the country of the last site it reached.
    pub target_markets: Vec<String>,
    /// For a saleable return: whether the pack was ever shipped to the returner.
    pub shipped_to_returner: Option<bool>,
    /// Whether the observer's site is where the pack's current state was set (the pharmacy
    /// that dispensed it, checking it again before an undo: no finding).
    pub at_its_site: bool,
}

/// The thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DetectConfig {
    /// The window distinct sightings are counted in.
    pub window_ms: i64,
    /// Partner sites a pack may be verified at in the window (maker, wholesaler, pharmacy).
    pub places_max: usize,
    /// Public devices a pack may be checked from in the window (a family, a carer).
    pub devices_max: usize,
    /// Markets a pack may be seen in within the window (a parallel import crosses one border).
    pub markets_max: usize,
    /// Packs whose sightings are kept.
    pub capacity: usize,
}

impl Default for DetectConfig {
    fn default() -> DetectConfig {
        DetectConfig {
            window_ms: 30 * 24 * 60 * 60 * 1000,
            places_max: 3,
            devices_max: 5,
            markets_max: 2,
            capacity: 1_000_000,
        }
    }
}

/// A finding for the workbench.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// The stable code (table above).
    pub code: &'static str,
    /// Its exception type (F12).
    pub exception_type: ExceptionType,
    /// The pack's key.
    pub key: String,
    /// What happened, in words.
    pub message: String,
    /// The sightings and facts that raised it.
    pub evidence: Value,
}

#[derive(Clone, Debug)]
struct Sighting {
    at_ms: i64,
    channel: Channel,
    context: Context,
    place: Option<String>,
    device: Option<String>,
    market: Option<String>,
}

impl Sighting {
    fn to_json(&self) -> Value {
        json!({
            "at": self.at_ms,
            "channel": match self.channel { Channel::Partner => "partner", Channel::Public => "public" },
            "context": self.context.name(),
            "place": self.place, "device": self.device, "market": self.market,
        })
    }
}

/// The detector's memory.
#[derive(Debug)]
pub struct Detector {
    config: DetectConfig,
    sightings: HashMap<String, VecDeque<Sighting>>,
    /// Keys in the order first seen, for forgetting the oldest.
    order: VecDeque<String>,
    /// The codes raised per pack and when; a code is raised again once `window_ms` has passed
    /// (a finding closed as a false alarm must not silence the pack for good; the workbench
    /// refuses a second open finding of the same code for the same pack).
    alerted: HashMap<String, Vec<(&'static str, i64)>>,
}

impl Detector {
    /// An empty detector.
    pub fn new(config: DetectConfig) -> Detector {
        Detector {
            config,
            sightings: HashMap::new(),
            order: VecDeque::new(),
            alerted: HashMap::new(),
        }
    }

    /// Marks `code` as already raised for `key` (the workbench holds such an alert: after a
    /// restart, it is not raised twice).
    pub fn already_raised(&mut self, key: &str, code: &'static str, at_ms: i64) {
        let codes = self.alerted.entry(key.to_owned()).or_default();
        codes.retain(|(c, _)| *c != code);
        codes.push((code, at_ms));
    }

    /// Forgets that `code` was raised for `key`: recording the finding failed, so the next
    /// sighting raises it again rather than never.
    pub fn forget(&mut self, key: &str, code: &str) {
        if let Some(codes) = self.alerted.get_mut(key) {
            codes.retain(|(c, _)| *c != code);
        }
    }

    /// Records `seen` and returns the alerts it raises.
    pub fn observe(&mut self, seen: &Observation<'_>, facts: &PackFacts) -> Vec<Alert> {
        let sighting = Sighting {
            at_ms: seen.at_ms,
            channel: seen.channel,
            context: seen.context,
            place: seen.place.map(str::to_owned),
            device: seen.device.map(str::to_owned),
            market: seen.market.map(str::to_owned),
        };
        let mut found: Vec<(&'static str, String)> = Vec::new();
        let partner = seen.channel == Channel::Partner;
        if partner && facts.status == Some(Status::Dispensed) && !facts.at_its_site {
            found.push((
                "verified_after_dispense",
                format!(
                    "{} was dispensed to a patient, yet a partner ({}) asked about it for {}",
                    seen.key,
                    seen.place.unwrap_or("unknown site"),
                    seen.context.name()
                ),
            ));
        }
        if facts.status == Some(Status::Decommissioned(DecommissionReason::Exported)) {
            found.push((
                "exported_seen_again",
                format!("{} was exported out of its market, yet it was verified again", seen.key),
            ));
        }
        if let Some(market) = seen.market
            && !facts.target_markets.is_empty()
            && !facts.target_markets.iter().any(|t| t.eq_ignore_ascii_case(market))
        {
            found.push((
                "outside_target_market",
                format!(
                    "{} is meant for {} but was verified in {market}",
                    seen.key,
                    facts.target_markets.join(", ")
                ),
            ));
        }
        if partner
            && seen.context == Context::SaleableReturn
            && facts.shipped_to_returner == Some(false)
        {
            found.push((
                "return_not_sold_to_returner",
                format!(
                    "{} is being returned by {}, which it was never shipped to",
                    seen.key,
                    seen.place.unwrap_or("a partner")
                ),
            ));
        }
        let config = self.config;
        let history = self.remember(seen.key, sighting);
        if let Some(message) = clone_finding(&config, seen.key, history) {
            found.push(("clone_suspected", message));
        }
        let history: Vec<Value> = history.iter().map(Sighting::to_json).collect();
        let mut alerts = Vec::new();
        for (code, message) in found {
            let window = self.config.window_ms;
            let codes = self.alerted.entry(seen.key.to_owned()).or_default();
            if codes.iter().any(|(c, at)| *c == code && seen.at_ms.saturating_sub(*at) <= window) {
                continue;
            }
            codes.retain(|(c, _)| *c != code);
            codes.push((code, seen.at_ms));
            alerts.push(Alert {
                code,
                exception_type: ExceptionType::SuspectProduct,
                key: seen.key.to_owned(),
                message,
                evidence: json!({
                    "identifier": seen.key,
                    "status": facts.status.map(Status::name),
                    "targetMarkets": facts.target_markets,
                    "shippedToReturner": facts.shipped_to_returner,
                    "sightings": history,
                }),
            });
        }
        alerts
    }

    fn remember(&mut self, key: &str, sighting: Sighting) -> &VecDeque<Sighting> {
        if !self.sightings.contains_key(key) {
            while self.sightings.len() >= self.config.capacity.max(1) {
                let Some(oldest) = self.order.pop_front() else { break };
                self.sightings.remove(&oldest);
                self.alerted.remove(&oldest);
            }
            self.order.push_back(key.to_owned());
        }
        let window = self.config.window_ms;
        let history = self.sightings.entry(key.to_owned()).or_default();
        history.retain(|s| sighting.at_ms.saturating_sub(s.at_ms) <= window);
        if history.len() >= SIGHTINGS_MAX {
            history.pop_front();
        }
        history.push_back(sighting);
        history
    }

    /// Packs whose sightings are held.
    pub fn len(&self) -> usize {
        self.sightings.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.sightings.is_empty()
    }
}

/// The clone finding over one pack's sightings in the window, if any threshold is passed.
fn clone_finding(config: &DetectConfig, key: &str, history: &VecDeque<Sighting>) -> Option<String> {
    let distinct = |pick: &dyn Fn(&Sighting) -> Option<&str>| -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for s in history {
            if let Some(v) = pick(s)
                && !seen.iter().any(|x| x == v)
            {
                seen.push(v.to_owned());
            }
        }
        seen
    };
    let places = distinct(&|s| s.place.as_deref().filter(|_| s.channel == Channel::Partner));
    let devices = distinct(&|s| s.device.as_deref().filter(|_| s.channel == Channel::Public));
    let markets = distinct(&|s| s.market.as_deref());
    let days = config.window_ms / (24 * 60 * 60 * 1000);
    if places.len() > config.places_max {
        return Some(format!(
            "{key} was verified at {} partner sites within {days} days ({}); one pack passes through at most {}",
            places.len(),
            places.join(", "),
            config.places_max
        ));
    }
    if devices.len() > config.devices_max {
        return Some(format!(
            "{key} was checked from {} devices within {days} days; more than {} suggests copies of one code",
            devices.len(),
            config.devices_max
        ));
    }
    if markets.len() > config.markets_max {
        return Some(format!(
            "{key} was seen in {} markets within {days} days ({}): one pack cannot be in all of them",
            markets.len(),
            markets.join(", ")
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "https://id.gs1.org/01/09506000134352/21/S1";

    fn partner<'a>(place: &'a str, at_ms: i64, market: Option<&'a str>) -> Observation<'a> {
        Observation {
            key: KEY,
            at_ms,
            channel: Channel::Partner,
            context: Context::Verify,
            place: Some(place),
            device: None,
            market,
        }
    }

    fn codes(alerts: &[Alert]) -> Vec<&'static str> {
        alerts.iter().map(|a| a.code).collect()
    }

    #[test]
    fn one_code_at_too_many_sites_is_a_clone_once() {
        let mut d = Detector::new(DetectConfig::default());
        let facts = PackFacts { status: Some(Status::Received), ..PackFacts::default() };
        for (i, site) in ["A", "B", "C", "A", "B"].iter().enumerate() {
            assert!(d.observe(&partner(site, i as i64, None), &facts).is_empty(), "{site}");
        }
        let alerts = d.observe(&partner("D", 10, None), &facts);
        assert_eq!(codes(&alerts), ["clone_suspected"]);
        assert!(alerts[0].message.contains("4 partner sites"), "{}", alerts[0].message);
        assert_eq!(alerts[0].evidence["sightings"].as_array().map(Vec::len), Some(6));
        assert!(d.observe(&partner("E", 11, None), &facts).is_empty(), "raised once");
    }

    #[test]
    fn a_finding_is_raised_again_after_its_window() {
        let mut d = Detector::new(DetectConfig { window_ms: 1000, ..DetectConfig::default() });
        let dispensed = PackFacts { status: Some(Status::Dispensed), ..PackFacts::default() };
        assert_eq!(codes(&d.observe(&partner("A", 0, None), &dispensed)).len(), 1);
        assert!(d.observe(&partner("A", 500, None), &dispensed).is_empty(), "within the window");
        assert_eq!(codes(&d.observe(&partner("A", 2000, None), &dispensed)).len(), 1, "after it");
    }

    #[test]
    fn sightings_outside_the_window_do_not_count() {
        let mut d = Detector::new(DetectConfig { window_ms: 1000, ..DetectConfig::default() });
        let facts = PackFacts::default();
        for (i, site) in ["A", "B", "C", "D", "E"].iter().enumerate() {
            let alerts = d.observe(&partner(site, i as i64 * 2000, None), &facts);
            assert!(alerts.is_empty(), "{site}: {alerts:?}");
        }
    }

    #[test]
    fn many_phones_and_many_markets() {
        let mut d = Detector::new(DetectConfig::default());
        let facts = PackFacts::default();
        let devices = ["d1", "d2", "d3", "d4", "d5", "d6"];
        let mut raised = Vec::new();
        for (i, device) in devices.iter().enumerate() {
            let seen = Observation {
                key: KEY,
                at_ms: i as i64,
                channel: Channel::Public,
                context: Context::Verify,
                place: None,
                device: Some(device),
                market: None,
            };
            raised.extend(codes(&d.observe(&seen, &facts)));
        }
        assert_eq!(raised, ["clone_suspected"]);
        let mut d = Detector::new(DetectConfig::default());
        let mut raised = Vec::new();
        for (i, market) in ["DE", "FR", "DE", "IT"].iter().enumerate() {
            raised.extend(codes(&d.observe(&partner("A", i as i64, Some(market)), &facts)));
        }
        assert_eq!(raised, ["clone_suspected"]);
    }

    #[test]
    fn diversion_patterns() {
        let mut d = Detector::new(DetectConfig::default());
        let dispensed = PackFacts { status: Some(Status::Dispensed), ..PackFacts::default() };
        assert_eq!(
            codes(&d.observe(&partner("A", 0, None), &dispensed)),
            ["verified_after_dispense"]
        );
        let mut here = Detector::new(DetectConfig::default());
        let at_pharmacy = PackFacts { at_its_site: true, ..dispensed.clone() };
        assert!(here.observe(&partner("P", 0, None), &at_pharmacy).is_empty(), "its own pharmacy");
        let public = Observation {
            channel: Channel::Public,
            place: None,
            device: Some("d"),
            ..partner("A", 1, None)
        };
        assert!(
            d.observe(&public, &dispensed).is_empty(),
            "a patient checking a dispensed pack is normal"
        );

        let mut d = Detector::new(DetectConfig::default());
        let exported = PackFacts {
            status: Some(Status::Decommissioned(DecommissionReason::Exported)),
            ..PackFacts::default()
        };
        assert_eq!(codes(&d.observe(&partner("A", 0, None), &exported)), ["exported_seen_again"]);

        let mut d = Detector::new(DetectConfig::default());
        let german = PackFacts { target_markets: vec!["DE".to_owned()], ..PackFacts::default() };
        assert!(d.observe(&partner("A", 0, Some("de")), &german).is_empty());
        assert_eq!(
            codes(&d.observe(&partner("A", 1, Some("NL")), &german)),
            ["outside_target_market"]
        );
        assert!(
            d.observe(&partner("A", 2, None), &german).is_empty(),
            "an unknown market proves nothing"
        );

        let mut d = Detector::new(DetectConfig::default());
        let never = PackFacts { shipped_to_returner: Some(false), ..PackFacts::default() };
        let returning = Observation { context: Context::SaleableReturn, ..partner("W", 0, None) };
        let alerts = d.observe(&returning, &never);
        assert_eq!(codes(&alerts), ["return_not_sold_to_returner"]);
        assert_eq!(alerts[0].exception_type.code(), "F12");
        let sold = PackFacts { shipped_to_returner: Some(true), ..PackFacts::default() };
        let mut d = Detector::new(DetectConfig::default());
        assert!(d.observe(&returning, &sold).is_empty());
    }

    #[test]
    fn memory_is_bounded() {
        let mut d = Detector::new(DetectConfig { capacity: 100, ..DetectConfig::default() });
        let keys: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
        for (i, key) in keys.iter().enumerate() {
            let seen = Observation { key, ..partner("A", i as i64, None) };
            d.observe(&seen, &PackFacts::default());
        }
        assert_eq!(d.len(), 100);
        for i in 0..40 {
            d.observe(&partner(&format!("S{i}"), i, None), &PackFacts::default());
        }
        assert!(d.sightings.get(KEY).is_some_and(|h| h.len() == SIGHTINGS_MAX));
    }
}
