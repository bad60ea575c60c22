//! The verification service's state: its settings, the anti-harvesting guard, the clone and
//! diversion detector, the master data catalog it reads products and site countries from,
//! and its counters. The decisions are `serialhub_verify`'s; this module reads the store
//! for them and hands findings to the exception workbench.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serialhub_core::{Effective, Key, SerialState, lot_key_of, lot_status};
use serialhub_epcis::time::Timestamp;
use serialhub_store::{Store, StoreError};
use serialhub_verify::{
    Alert, Catalog, ConsumerStatus, DetectConfig, Detector, Facts, Guard, Limits, LotStatus,
    Observation, PackFacts, Policy, Record, Throttled, Tuple, Verdict, decide,
};

/// A link the resolver serves for products whose GTIN starts with `gtin_prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolverLink {
    /// GTIN-14 digits the product's GTIN starts with (empty: every product).
    pub gtin_prefix: String,
    /// The GS1 link type (`gs1:pip`, `gs1:epil`, `gs1:smpc`...).
    pub link_type: String,
    /// Where it points.
    pub href: String,
    /// Its title.
    pub title: String,
    /// Whether it is the default link (the redirect for a request naming no link type).
    pub default: bool,
}

/// The verification settings (`[verify]` in the configuration).
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyConfig {
    /// This responder's GLN (`responderGLN`).
    pub responder_gln: String,
    /// The decision's settings (grace window).
    pub policy: Policy,
    /// The anti-harvesting limits.
    pub limits: Limits,
    /// The detector's thresholds.
    pub detect: DetectConfig,
    /// A request header holding the public caller's country (set by a CDN or proxy in front),
    /// lower-case; `None` when no one sets it.
    pub market_header: Option<String>,
    /// A request header holding the public caller's address, set by a trusted proxy or CDN in
    /// front (`x-forwarded-for`, `cf-connecting-ip`), lower-case; `None`: the connection's peer.
    /// Set it only behind such a proxy: otherwise callers would choose their own address.
    pub client_address_header: Option<String>,
    /// The resolver's links besides the built-in ones.
    pub links: Vec<ResolverLink>,
    /// How long master data read for verification is reused before it is read again.
    pub catalog_ttl_ms: i64,
}

impl Default for VerifyConfig {
    fn default() -> VerifyConfig {
        VerifyConfig {
            responder_gln: String::new(),
            policy: Policy::default(),
            limits: Limits::default(),
            detect: DetectConfig::default(),
            market_header: None,
            client_address_header: None,
            links: Vec::new(),
            catalog_ttl_ms: 10_000,
        }
    }
}

/// Whether any event of `key`'s pedigree (its own and its containers', while it was in them)
/// ships it to `gln` or happens at one of `gln`'s sites.
fn ever_reached(store: &dyn Store, key: &Key, gln: &str) -> Result<bool, StoreError> {
    let names = |id: &str| serialhub_epcis::query::names_party(id, gln);
    Ok(serialhub_store::query::pedigree(store, key)?.iter().any(|step| {
        let event = &step.event.record.event;
        event.biz_location.as_ref().is_some_and(|l| names(&l.id))
            || event.destination_list.iter().any(|d| names(&d.value))
    }))
}

/// What a check found: the verdict and the records it was decided on.
#[derive(Debug)]
pub struct Checked {
    /// The decision.
    pub verdict: Verdict,
    /// The pack's own record.
    pub record: Option<SerialState>,
    /// Its state in force.
    pub effective: Option<Effective>,
}

/// The service.
#[derive(Debug)]
pub struct Verifier {
    /// The settings.
    pub config: VerifyConfig,
    guard: Mutex<Guard>,
    detector: Mutex<Detector>,
    catalog: RwLock<(i64, Arc<Catalog>)>,
    /// Held by the one caller reading master data again.
    reloading: Mutex<()>,
    /// The key of public callers' pseudonyms (random per process).
    device_key: [u8; 32],
    /// Answers per consumer status (`ConsumerStatus::ALL` order).
    consumer: [AtomicU64; 8],
    /// Partner verifications: verified, not verified.
    partner: [AtomicU64; 2],
    /// Requests refused by the guard.
    pub throttled: AtomicU64,
    /// Findings raised.
    pub alerts: AtomicU64,
    /// Requests to other companies' services on their way, at most `REMOTE_MAX`.
    pub remote_permits: tokio::sync::Semaphore,
}

/// Requests to other companies' verification services at once, at most (each holds a thread
/// of the blocking pool until answered or timed out).
pub const REMOTE_MAX: usize = 32;

impl Verifier {
    /// The service with `config`.
    pub fn new(config: VerifyConfig) -> Verifier {
        Verifier {
            guard: Mutex::new(Guard::new(&config.limits)),
            detector: Mutex::new(Detector::new(config.detect)),
            catalog: RwLock::new((i64::MIN, Arc::new(Catalog::default()))),
            reloading: Mutex::new(()),
            device_key: {
                let mut key = [0u8; 32];
                // Without an OS random source the pseudonyms are merely unkeyed hashes.
                let _ = getrandom::fill(&mut key);
                key
            },
            config,
            consumer: Default::default(),
            partner: Default::default(),
            throttled: AtomicU64::new(0),
            alerts: AtomicU64::new(0),
            remote_permits: tokio::sync::Semaphore::new(REMOTE_MAX),
        }
    }

    /// Admits a request (`guard::Guard::admit`), counting refusals.
    pub fn admit(
        &self,
        client: Option<&str>,
        address: Option<IpAddr>,
        key: &Key,
        now_ms: i64,
    ) -> Result<(), Throttled> {
        let serial = serialhub_verify::guard::fingerprint(key.as_str());
        let mut guard = self.guard.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let admitted = guard.admit(client, address, serial, now_ms);
        if admitted.is_err() {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
        admitted
    }

    /// The master data catalog, read again from `store` when older than the TTL. One caller
    /// reads it again; the others go on with the one they have (no pile-up of reloads).
    pub fn catalog(&self, store: &dyn Store, now_ms: i64) -> Result<Arc<Catalog>, StoreError> {
        let (loaded_at, cached) = {
            let cached = self.catalog.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            (cached.0, cached.1.clone())
        };
        if now_ms.saturating_sub(loaded_at) < self.config.catalog_ttl_ms {
            return Ok(cached);
        }
        let _reloading = match self.reloading.try_lock() {
            Ok(guard) => guard,
            // A reload that panicked left nothing half-done behind: the catalog is swapped whole.
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) if loaded_at != i64::MIN => return Ok(cached),
            // The first load: wait for it, then load it here if it failed there.
            Err(std::sync::TryLockError::WouldBlock) => {
                self.reloading.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
            }
        };
        {
            let current = self.catalog.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if now_ms.saturating_sub(current.0) < self.config.catalog_ttl_ms {
                return Ok(current.1.clone());
            }
        }
        let catalog = Arc::new(Catalog::from_master_data(&store.master_data()?));
        *self.catalog.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            (now_ms, catalog.clone());
        Ok(catalog)
    }

    /// A pseudonym of a public caller's address for the detector's evidence: keyed by a
    /// secret of this process, so the audit log's evidence cannot be turned back into an
    /// address by trying them all.
    pub fn device_of(&self, address: IpAddr) -> String {
        use hmac::{KeyInit, Mac};
        let key = serialhub_verify::guard::address_key(address);
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.device_key) else {
            return String::new();
        };
        mac.update(&key.to_le_bytes());
        mac.finalize().into_bytes().iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// Decides `tuple` against the ledger. An unknown serial and a known one with a wrong lot
    /// or expiry cost the same reads (the pack's record, a lot's record), so neither answer's
    /// time tells them apart; only a full match reads on (its containers, for the state in
    /// force), which the answer says anyway.
    pub fn check(
        &self,
        store: &dyn Store,
        tuple: &Tuple,
        now: Timestamp,
    ) -> Result<Checked, StoreError> {
        let key = tuple.key();
        let record = store.state(&key)?;
        let matches = record.as_ref().is_some_and(|r| {
            r.lot.as_deref() == Some(tuple.lot.as_str())
                && r.expiry
                    .as_deref()
                    .is_some_and(|e| serialhub_verify::decide::expiry_matches(&tuple.expiry, e))
        });
        let effective =
            if matches { serialhub_store::query::effective_state(store, &key)? } else { None };
        // The lot the pack was commissioned with, else the one asked about (the same read).
        let lot = record.as_ref().and_then(|r| r.lot.as_deref()).unwrap_or(&tuple.lot);
        let lot_state = match lot_key_of(&key, lot) {
            Some(lot_key) => store.state(&lot_key)?,
            None => None,
        };
        let lot_status = lot_state.as_ref().and_then(lot_status).map(|(_, name)| match name {
            "withdrawn" => LotStatus::Withdrawn,
            _ => LotStatus::Recalled,
        });
        let facts = Facts {
            // A mismatch is decided on the values alone: the pack's own status stands in.
            record: record.as_ref().map(|r| Record {
                lot: r.lot.as_deref(),
                expiry: r.expiry.as_deref(),
                status: effective.as_ref().map_or(r.status, |e| e.status),
                commissioned_at: r.life_started,
            }),
            lot_status,
        };
        let verdict = decide(tuple, &facts, now, &self.config.policy);
        Ok(Checked { verdict, record, effective })
    }

    /// Counts an answer to the public.
    pub fn count_consumer(&self, status: ConsumerStatus) {
        if let Some(i) = ConsumerStatus::ALL.iter().position(|s| *s == status) {
            self.consumer[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts an answer to a partner.
    pub fn count_partner(&self, verified: bool) {
        self.partner[usize::from(!verified)].fetch_add(1, Ordering::Relaxed);
    }

    /// Forgets that a finding was raised (recording it failed): the next sighting raises it.
    pub fn forget(&self, key: &str, code: &str) {
        let mut detector = self.detector.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        detector.forget(key, code);
    }

    /// Records a sighting of a known pack and returns the findings it raises.
    pub fn observe(&self, seen: &Observation<'_>, facts: &PackFacts) -> Vec<Alert> {
        let mut detector = self.detector.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let alerts = detector.observe(seen, facts);
        self.alerts.fetch_add(alerts.len() as u64, Ordering::Relaxed);
        alerts
    }

    /// What the detector must know of a checked pack: its status, the markets it is meant
    /// for (its code's reimbursement number, its product's target markets, the country of the
    /// last site it reached) and, for a return by `returner`, whether it was shipped there.
    pub fn pack_facts(
        &self,
        store: &dyn Store,
        tuple: &Tuple,
        checked: &Checked,
        catalog: &Catalog,
        observer: Option<&str>,
        returning: bool,
    ) -> Result<PackFacts, StoreError> {
        let mut markets: Vec<String> = Vec::new();
        let mut add = |m: &str| {
            let m = m.to_ascii_uppercase();
            if !markets.contains(&m) {
                markets.push(m);
            }
        };
        if let Some(m) = tuple.nhrn_market {
            add(m);
        }
        if let Some(product) = catalog.product(&tuple.gtin) {
            product.target_markets.iter().for_each(|m| add(m));
        }
        let effective = checked.effective.as_ref();
        if let Some(country) =
            effective.and_then(|e| e.location.as_deref()).and_then(|l| catalog.country(l))
        {
            add(country);
        }
        let returner = observer.filter(|_| returning);
        // The pack's latest whereabouts name the returner when it was sold to it: the site or
        // owner of its receipt, or the destination of the shipment on its way.
        let shipped_to_returner = returner.and_then(|gln| {
            let e = effective?;
            let shipment = e.shipment.as_deref();
            let named = [
                e.location.as_deref(),
                e.owner.as_deref(),
                shipment.and_then(|s| s.owner.as_deref()),
                shipment.and_then(|s| s.location.as_deref()),
            ];
            let known = named.iter().flatten().count() > 0;
            known.then(|| {
                named.iter().flatten().any(|id| serialhub_epcis::query::names_party(id, gln))
            })
        });
        // The pack may have gone on since (the returner sold it on to a pharmacy, which sent
        // it back): its pedigree says whether it ever went to the returner. Read only then.
        let shipped_to_returner = match (shipped_to_returner, returner) {
            (Some(false), Some(gln)) => Some(ever_reached(store, &tuple.key(), gln)?),
            (other, _) => other,
        };
        let at_its_site = observer.is_some_and(|gln| {
            effective
                .and_then(|e| e.location.as_deref())
                .is_some_and(|l| serialhub_epcis::query::names_party(l, gln))
        });
        Ok(PackFacts {
            status: effective.map(|e| e.status),
            target_markets: markets,
            shipped_to_returner,
            at_its_site,
        })
    }

    /// The counters in Prometheus text.
    pub fn metrics(&self) -> String {
        let mut out = String::from(
            "# HELP serialhub_verify_consumer_total Consumer page checks by answer.\n# TYPE serialhub_verify_consumer_total counter\n",
        );
        for (status, count) in ConsumerStatus::ALL.iter().zip(&self.consumer) {
            out.push_str(&format!(
                "serialhub_verify_consumer_total{{status=\"{}\"}} {}\n",
                status.name(),
                count.load(Ordering::Relaxed)
            ));
        }
        out.push_str("# HELP serialhub_verify_partner_total Partner verifications by result.\n# TYPE serialhub_verify_partner_total counter\n");
        for (name, count) in ["true", "false"].iter().zip(&self.partner) {
            out.push_str(&format!(
                "serialhub_verify_partner_total{{verified=\"{name}\"}} {}\n",
                count.load(Ordering::Relaxed)
            ));
        }
        out.push_str(&format!(
            "# HELP serialhub_verify_throttled_total Verifications refused by the anti-harvesting limits.\n# TYPE serialhub_verify_throttled_total counter\nserialhub_verify_throttled_total {}\n# HELP serialhub_verify_alerts_total Clone and diversion findings raised.\n# TYPE serialhub_verify_alerts_total counter\nserialhub_verify_alerts_total {}\n",
            self.throttled.load(Ordering::Relaxed),
            self.alerts.load(Ordering::Relaxed)
        ));
        out
    }
}
