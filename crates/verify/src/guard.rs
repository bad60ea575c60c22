//! Anti-harvesting limits: token buckets per client, per address and per serial, checked
//! before a verification looks anything up.
//!
//! A harvester tries serials at random, hoping some exist. Per address it is slowed to a
//! trickle (IPv6 addresses count per /64: one host holds a whole /64); per client (an API key,
//! a JWT subject) a partner's integration is held to its contract; per serial no one can hammer
//! one pack's answer (or probe a known serial's lot and expiry one guess at a time). A refusal
//! says which limit and when to come back, as `Retry-After` does.
//!
//! Memory is bounded: each table holds at most its capacity. A key absent from a table is
//! the same as a full bucket, so entries that have refilled are dropped first without changing
//! any answer; only when a table is full of buckets still refilling does it forget some of them
//! (those serials or addresses may then ask a little sooner; the other two limits still hold).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

/// A rate: `per_minute` on average, bursts of `burst`. A zero `per_minute` means no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Requests a minute, on average.
    pub per_minute: u32,
    /// Requests at once after an idle spell.
    pub burst: u32,
}

impl Rate {
    /// No limit.
    pub const UNLIMITED: Rate = Rate { per_minute: 0, burst: 0 };
}

/// The three limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Per authenticated client (API key or JWT subject).
    pub per_client: Rate,
    /// Per address of an anonymous caller (the consumer page).
    pub per_address: Rate,
    /// Per serial (GTIN and serial), whoever asks.
    pub per_serial: Rate,
    /// Entries each table holds at most.
    pub capacity: usize,
}

impl Default for Limits {
    /// A pharmacy or wholesaler scans a few packs a second at a busy counter; a person checks
    /// a handful of packs; a pack is checked a few times in its life (receipt, return,
    /// dispense, the patient at home).
    fn default() -> Limits {
        Limits {
            per_client: Rate { per_minute: 6_000, burst: 200 },
            per_address: Rate { per_minute: 30, burst: 20 },
            per_serial: Rate { per_minute: 2, burst: 20 },
            capacity: 200_000,
        }
    }
}

/// Which limit refused a request, and after how many seconds to try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    /// `client`, `address` or `serial`.
    pub limit: &'static str,
    /// Seconds until a token is back (at least 1).
    pub retry_after_s: u64,
}

/// One table of token buckets.
#[derive(Debug)]
pub struct Buckets<K> {
    rate: Rate,
    capacity: usize,
    /// Key to (tokens, time of the last update in ms).
    table: HashMap<K, (f64, i64)>,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    /// An empty table.
    pub fn new(rate: Rate, capacity: usize) -> Buckets<K> {
        Buckets { rate, capacity: capacity.max(16), table: HashMap::new() }
    }

    fn per_ms(&self) -> f64 {
        f64::from(self.rate.per_minute) / 60_000.0
    }

    /// The tokens `key` would have at `now`, and whether a request would pass.
    fn tokens(&self, key: &K, now_ms: i64) -> f64 {
        let burst = f64::from(self.rate.burst.max(1));
        match self.table.get(key) {
            None => burst,
            Some(&(tokens, at)) => {
                let elapsed = now_ms.saturating_sub(at).max(0) as f64;
                (tokens + elapsed * self.per_ms()).min(burst)
            }
        }
    }

    /// Seconds until `key` has a token again, or `None` when it has one now.
    pub fn wait(&self, key: &K, now_ms: i64) -> Option<u64> {
        if self.rate.per_minute == 0 {
            return None;
        }
        let tokens = self.tokens(key, now_ms);
        if tokens >= 1.0 {
            return None;
        }
        let ms = (1.0 - tokens) / self.per_ms();
        Some(((ms / 1000.0).ceil() as u64).max(1))
    }

    /// Takes a token from `key` (call after `wait` said yes).
    pub fn take(&mut self, key: &K, now_ms: i64) {
        if self.rate.per_minute == 0 {
            return;
        }
        let tokens = self.tokens(key, now_ms) - 1.0;
        if !self.table.contains_key(key) && self.table.len() >= self.capacity {
            self.make_room(now_ms);
        }
        self.table.insert(key.clone(), (tokens, now_ms));
    }

    /// Drops the buckets that have refilled (no answer changes); if the table is still over
    /// three quarters full, forgets arbitrary ones down to half, so the sweep's cost is
    /// amortised over many requests.
    fn make_room(&mut self, now_ms: i64) {
        let burst = f64::from(self.rate.burst.max(1));
        let per_ms = self.per_ms();
        self.table.retain(|_, &mut (tokens, at)| {
            tokens + now_ms.saturating_sub(at).max(0) as f64 * per_ms < burst
        });
        if self.table.len() > self.capacity / 4 * 3 {
            let excess = self.table.len() - self.capacity / 2;
            let doomed: Vec<K> = self.table.keys().take(excess).cloned().collect();
            for key in doomed {
                self.table.remove(&key);
            }
        }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// An address as the limit counts it: IPv4 whole, IPv6 by its /64.
pub fn address_key(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(u32::from(v4)),
            None => u128::from(v6) & !((1u128 << 64) - 1) | (1u128 << 32),
        },
    }
}

/// The tables. Serials are counted apart for partners and for the public: otherwise anyone
/// who read a pack's GTIN and serial could keep its bucket empty from the consumer page and
/// lock the pharmacy out of verifying or dispensing it.
#[derive(Debug)]
pub struct Guard {
    clients: Buckets<String>,
    addresses: Buckets<u128>,
    serials: Buckets<u64>,
    partner_serials: Buckets<u64>,
}

impl Guard {
    /// A guard enforcing `limits`.
    pub fn new(limits: &Limits) -> Guard {
        Guard {
            clients: Buckets::new(limits.per_client, limits.capacity),
            addresses: Buckets::new(limits.per_address, limits.capacity),
            serials: Buckets::new(limits.per_serial, limits.capacity),
            partner_serials: Buckets::new(limits.per_serial, limits.capacity),
        }
    }

    /// Admits a request of `client` (authenticated) or from `address` (anonymous: the address
    /// is counted only then, since many partners' clients may share an egress address) about
    /// the serial whose fingerprint is `serial` at `now_ms`, taking a token from each table
    /// only when all three allow it (a refused request costs the asker nothing but time).
    pub fn admit(
        &mut self,
        client: Option<&str>,
        address: Option<IpAddr>,
        serial: u64,
        now_ms: i64,
    ) -> Result<(), Throttled> {
        let client = client.map(str::to_owned);
        let address = if client.is_none() { address.map(address_key) } else { None };
        if let Some(c) = &client
            && let Some(s) = self.clients.wait(c, now_ms)
        {
            return Err(Throttled { limit: "client", retry_after_s: s });
        }
        if let Some(a) = &address
            && let Some(s) = self.addresses.wait(a, now_ms)
        {
            return Err(Throttled { limit: "address", retry_after_s: s });
        }
        // A partner's bucket per pack is its own: one partner cannot lock another out either.
        let (serials, serial) = match &client {
            Some(c) => (&mut self.partner_serials, fingerprint(c).rotate_left(29) ^ serial),
            None => (&mut self.serials, serial),
        };
        if let Some(s) = serials.wait(&serial, now_ms) {
            return Err(Throttled { limit: "serial", retry_after_s: s });
        }
        serials.take(&serial, now_ms);
        if let Some(c) = &client {
            self.clients.take(c, now_ms);
        }
        if let Some(a) = &address {
            self.addresses.take(a, now_ms);
        }
        Ok(())
    }

    /// Entries held per table (client, address, serial: public and partners').
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.clients.len(), self.addresses.len(), self.serials.len() + self.partner_serials.len())
    }
}

/// The fingerprint of a pack's key for the serial table (FNV-1a: no allocation, and the table
/// need not be safe against crafted collisions, which would only share a bucket).
pub fn fingerprint(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    #[test]
    fn an_address_gets_its_burst_then_its_rate() {
        let limits = Limits {
            per_address: Rate { per_minute: 60, burst: 10 },
            per_serial: Rate::UNLIMITED,
            ..Limits::default()
        };
        let mut guard = Guard::new(&limits);
        let a = Some(IpAddr::from([192, 0, 2, 1]));
        let passed = (0..100u64).filter(|s| guard.admit(None, a, *s, 0).is_ok()).count();
        assert_eq!(passed, 10, "the burst");
        let refused = guard.admit(None, a, 7, 0).expect_err("over the burst");
        assert_eq!(refused, Throttled { limit: "address", retry_after_s: 1 });
        // A minute later: 60 more.
        let passed = (0..100u64).filter(|s| guard.admit(None, a, *s, MINUTE).is_ok()).count();
        assert_eq!(passed, 10, "refills to the burst, never above it");
        let b = Some(IpAddr::from([192, 0, 2, 2]));
        assert!(guard.admit(None, b, 1, MINUTE).is_ok(), "another address has its own bucket");
        // An authenticated client is counted by its key, not its address.
        assert!(guard.admit(Some("k1"), a, 1, MINUTE).is_ok());
    }

    #[test]
    fn one_serial_is_limited_whoever_asks() {
        let limits = Limits {
            per_client: Rate::UNLIMITED,
            per_address: Rate::UNLIMITED,
            per_serial: Rate { per_minute: 1, burst: 3 },
            capacity: 100,
        };
        let mut guard = Guard::new(&limits);
        let s = fingerprint("https://id.gs1.org/01/09506000134352/21/S1");
        let passed = (0..10u8)
            .filter(|i| guard.admit(None, Some(IpAddr::from([10, 0, 0, *i])), s, 0).is_ok())
            .count();
        assert_eq!(passed, 3);
        // The public emptied the pack's bucket; the pharmacy's is its own.
        let passed = (0..10).filter(|_| guard.admit(Some("pharmacy"), None, s, 0).is_ok()).count();
        assert_eq!(passed, 3);
        let refused = guard.admit(Some("pharmacy"), None, s, 0).expect_err("its bucket is empty");
        assert_eq!(refused, Throttled { limit: "serial", retry_after_s: 60 });
        assert!(guard.admit(Some("another"), None, s, 0).is_ok(), "another partner's is not");
    }

    #[test]
    fn a_refused_request_takes_no_token() {
        let limits = Limits {
            per_client: Rate { per_minute: 60, burst: 5 },
            per_address: Rate::UNLIMITED,
            per_serial: Rate { per_minute: 60, burst: 1 },
            capacity: 100,
        };
        let mut guard = Guard::new(&limits);
        assert!(guard.admit(Some("k"), None, 1, 0).is_ok());
        for _ in 0..10 {
            assert_eq!(guard.admit(Some("k"), None, 1, 0).map_err(|t| t.limit), Err("serial"));
        }
        let passed = (2..20u64).filter(|s| guard.admit(Some("k"), None, *s, 0).is_ok()).count();
        assert_eq!(passed, 4, "the client's refused requests cost it nothing");
    }

    #[test]
    fn tables_stay_within_their_capacity() {
        let limits = Limits {
            per_client: Rate::UNLIMITED,
            per_address: Rate::UNLIMITED,
            per_serial: Rate { per_minute: 1, burst: 2 },
            capacity: 1000,
        };
        let mut guard = Guard::new(&limits);
        for s in 0..100_000u64 {
            guard.admit(None, None, s, 0).expect("each serial once");
        }
        assert!(guard.sizes().2 <= 1000, "{:?}", guard.sizes());
        // Refilled buckets are dropped first: an hour later the sweep frees everything.
        for s in 0..2000u64 {
            guard.admit(None, None, 1_000_000 + s, 60 * MINUTE).expect("fresh serials");
        }
        assert!(guard.sizes().2 <= 1000);
    }

    #[test]
    fn ipv6_counts_per_slash_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("v6");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("v6");
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("v6");
        assert_eq!(address_key(mapped), address_key(IpAddr::from([192, 0, 2, 1])));
    }
}
