//! A token bucket per client address, in front of every route: the public endpoints (health,
//! discovery, the OpenAPI document) and failed authentications are as protected as the rest.
//! Over the limit a client gets 429 with `Retry-After`; the table of clients is bounded
//! (`CLIENTS_MAX`), forgetting the longest idle first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Clients remembered, at most.
pub const CLIENTS_MAX: usize = 10_000;

/// The limiter; a rate of 0 lets everything through.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    clients: Mutex<HashMap<Option<IpAddr>, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_second` requests a second per client on average, bursts of twice that.
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: 2.0 * f64::from(per_second),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `client` may make a request at `now`; takes a token if so.
    pub fn allow(&self, client: Option<IpAddr>, now: Instant) -> bool {
        if self.per_second == 0.0 {
            return true;
        }
        let Ok(mut clients) = self.clients.lock() else { return true };
        if clients.len() >= CLIENTS_MAX && !clients.contains_key(&client) {
            let idlest = clients.iter().min_by_key(|(_, (_, at))| *at).map(|(ip, _)| *ip);
            if let Some(idlest) = idlest {
                clients.remove(&idlest);
            }
        }
        let (tokens, last) = clients.entry(client).or_insert((self.burst, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * self.per_second;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_client_over_its_rate_waits_and_others_do_not() {
        let limiter = RateLimiter::new(10);
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        let b = Some(IpAddr::from([10, 0, 0, 2]));
        let allowed = (0..50).filter(|_| limiter.allow(a, start)).count();
        assert_eq!(allowed, 20, "the burst is twice the rate");
        assert!(limiter.allow(b, start), "another client has its own bucket");
        assert!(!limiter.allow(a, start + Duration::from_millis(50)), "half a token");
        assert!(
            limiter.allow(a, start + Duration::from_millis(100)),
            "one token a tenth of a second"
        );
        assert!(RateLimiter::new(0).allow(a, start), "0 is unlimited");
    }
}
