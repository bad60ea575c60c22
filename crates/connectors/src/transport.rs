//! Sending over HTTP: each message's body is built from the stored event it names (a `dscsa`
//! document from the shipped hierarchy and the master data, an `eu-hub` upload from the
//! commissioning event and the master data), POSTed to its connector's URL with its
//! idempotency key (`Idempotency-Key`), and the answer is classified for the dispatcher. A body
//! that cannot be built as the regime requires ends the attempt rejected with its
//! `refusal::Code`, before anything is sent; a store that cannot be read, transient.
//!
//! - 2xx with a JSON acknowledgement: delivered (a duplicate answered as such is delivered:
//!   the receiver had it). A 2xx whose body is not the acknowledgement expected is a malformed
//!   acknowledgement: transient (the message may have arrived; the retry's key tells).
//! - 400, 404, 409, 410, 413, 415, 422: rejected for good, with the receiver's `code` and
//!   `reason` when its body gives them.
//! - 408, 425, 429, 5xx, no answer, a timeout: transient.
//! - `eu-hub` answers per serial: see `euhub::classify`.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serialhub_dispatch::{Attempt, Transport};
use serialhub_epcis::{DocumentKind, Header};
use serialhub_store::Store;
use serialhub_store::outbox::StoredMessage;
use sha2::Sha256;

use crate::refusal::Refusal;
use crate::{Connector, Kind, dscsa, euhub};

/// The largest acknowledgement read.
const ANSWER_MAX: u64 = 64 * 1024;

/// The transport of every configured connector.
pub struct HttpTransport {
    store: Arc<dyn Store>,
    connectors: Vec<Connector>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("connectors", &self.connectors)
            .finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// Sends for `connectors`, reading events from `store`.
    pub fn new(store: Arc<dyn Store>, connectors: Vec<Connector>) -> HttpTransport {
        // No redirects: a message goes where it is configured to, nowhere else.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        HttpTransport { store, connectors, agent }
    }

    /// The body of `message` for `connector`, or how the attempt ends without sending.
    fn body(&self, connector: &Connector, message: &StoredMessage) -> Result<Vec<u8>, Attempt> {
        let transient = |error: String| Attempt::Transient { error };
        let hash = std::str::from_utf8(&message.message.payload)
            .map_err(|_| transient("the message's payload is not an event hash ID".to_owned()))?;
        let events = self.store.events_by_id(hash).map_err(|e| transient(e.to_string()))?;
        let Some(stored) = events.into_iter().find(|e| e.record.hash_id == hash) else {
            return Err(transient(format!("the event {hash} is not stored")));
        };
        let created = message.created_at.to_utc_millis_string();
        match connector.kind {
            Kind::Dscsa => {
                let master_data = self.store.master_data().map_err(|e| transient(e.to_string()))?;
                let shipment = dscsa::Shipment {
                    shipping: &stored,
                    receiver: &message.message.destination,
                    sender: connector.sender.as_deref(),
                    idempotency_key: &message.message.idempotency_key,
                    created: &created,
                    master_data: &master_data,
                };
                dscsa::document(&shipment, &mut |key| self.store.history(key)).map_err(|failure| {
                    match failure {
                        dscsa::Failure::Refused(refusal) => refusal.into_attempt(),
                        dscsa::Failure::Store(error) => transient(error.to_string()),
                    }
                })
            }
            Kind::EuHub => {
                let key = &message.message.idempotency_key;
                let Some(gtin) = euhub::gtin_of_key(key) else {
                    return Err(transient(format!("the key {key} names no GTIN")));
                };
                let master_data = self.store.master_data().map_err(|e| transient(e.to_string()))?;
                let upload = euhub::Upload {
                    event: &stored.record.event,
                    gtin,
                    market: connector.market.as_deref().unwrap_or_default(),
                    sender: connector.sender.as_deref(),
                    idempotency_key: key,
                    master_data: &master_data,
                };
                euhub::upload(&upload).map_err(Refusal::into_attempt)
            }
            Kind::Webhook | Kind::Epcis => {
                self.capture_document(connector, message, &stored, &created).map_err(transient)
            }
        }
    }

    /// The `epcis` capture document of one event, or for a `webhook` that document in the
    /// message's envelope.
    fn capture_document(
        &self,
        connector: &Connector,
        message: &StoredMessage,
        stored: &serialhub_store::StoredEvent,
        created: &str,
    ) -> Result<Vec<u8>, String> {
        let header = Header {
            kind: DocumentKind::EpcisDocument,
            schema_version: Some("2.0".to_owned()),
            creation_date: Some(created.to_owned()),
            ..Header::default()
        };
        let mut w = serialhub_epcis::json::write::JsonLdWriter::new(Vec::new());
        w.begin(&header).map_err(|e| e.to_string())?;
        w.event(&stored.record.event).map_err(|e| e.to_string())?;
        let document = w.finish().map_err(|e| e.to_string())?;
        match connector.kind {
            Kind::Epcis => Ok(document),
            _ => {
                let document: serde_json::Value =
                    serde_json::from_slice(&document).map_err(|e| e.to_string())?;
                Ok(serde_json::json!({
                    "messageId": message.message.idempotency_key,
                    "connector": connector.name,
                    "destination": message.message.destination,
                    "document": document,
                })
                .to_string()
                .into_bytes())
            }
        }
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`.
fn signature(secret: &str, body: &[u8]) -> String {
    // Invariant: HMAC takes keys of any length.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// How an HTTP answer ends an attempt.
pub fn classify(status: u16, body: &str) -> Attempt {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let field = |name: &str| {
        json.as_ref().and_then(|j| j.get(name)).and_then(|v| v.as_str()).map(str::to_owned)
    };
    match status {
        200..=299 => match json {
            Some(_) => Attempt::Delivered {
                receipt: field("receipt")
                    .or_else(|| field("captureID"))
                    .unwrap_or_else(|| status.to_string()),
            },
            None if status == 202 || status == 204 => {
                Attempt::Delivered { receipt: status.to_string() }
            }
            None => Attempt::Transient {
                error: format!("malformed acknowledgement ({status}): {}", shorten(body)),
            },
        },
        400 | 404 | 409 | 410 | 413 | 415 | 422 => Attempt::Rejected {
            code: field("code").unwrap_or_else(|| format!("HTTP{status}")),
            reason: field("reason")
                .or_else(|| field("detail"))
                .unwrap_or_else(|| shorten(body).to_owned()),
        },
        _ => Attempt::Transient { error: format!("HTTP {status}: {}", shorten(body)) },
    }
}

/// `text` cut to at most 200 bytes, on a character boundary.
pub(crate) fn shorten(text: &str) -> &str {
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Transport for HttpTransport {
    fn send(&self, message: &StoredMessage) -> Attempt {
        let Some(connector) = self.connectors.iter().find(|c| c.name == message.message.connector)
        else {
            return Attempt::Rejected {
                code: "NO_CONNECTOR".to_owned(),
                reason: format!("no connector named {} is configured", message.message.connector),
            };
        };
        let body = match self.body(connector, message) {
            Ok(body) => body,
            Err(attempt) => return attempt,
        };
        let content_type = match connector.kind {
            Kind::Epcis => "application/ld+json",
            Kind::Dscsa => "application/xml",
            Kind::Webhook | Kind::EuHub => "application/json",
        };
        let mut request = self
            .agent
            .post(&connector.url)
            .config()
            .timeout_global(Some(Duration::from_millis(connector.timeout_ms)))
            .build()
            .header("Content-Type", content_type)
            .header("Idempotency-Key", &message.message.idempotency_key);
        match (&connector.secret, connector.kind) {
            // Another EPCIS repository authenticates its capture clients by bearer token.
            (Some(token), Kind::Epcis) => {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            (Some(secret), _) => {
                request = request.header("GS1-Signature", signature(secret, &body));
            }
            (None, _) => {}
        }
        match request.send(&body[..]) {
            Err(error) => Attempt::Transient { error: format!("no answer: {error}") },
            Ok(mut response) => {
                let status = response.status().as_u16();
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let answer = response
                    .body_mut()
                    .with_config()
                    .limit(ANSWER_MAX)
                    .read_to_string()
                    .unwrap_or_default();
                match (connector.kind, status, location) {
                    (Kind::Epcis, 202, Some(location)) => self.follow_capture(connector, &location),
                    (Kind::EuHub, _, _) => euhub::classify(status, &answer),
                    _ => classify(status, &answer),
                }
            }
        }
    }
}

/// The pause between two polls of a capture job, and how long one poll may take.
const POLL_EVERY_MS: u64 = 50;
const POLL_TIMEOUT_MS: u64 = 200;

impl HttpTransport {
    /// Follows an EPCIS capture job (`GET` its `Location`) until it finishes, or the
    /// connector's timeout has passed in polls: a successful job delivered the message (its
    /// events stored, or already there: the receiver deduplicates by event hash), a failed one
    /// rejected it with the job's first error, and one still running is tried again (the
    /// repeat is a duplicate there).
    fn follow_capture(&self, connector: &Connector, location: &str) -> Attempt {
        let base = origin(&connector.url);
        let url = if location.starts_with('/') {
            format!("{base}{location}")
        } else if origin(location) == base {
            location.to_owned()
        } else {
            // The bearer key goes to the configured repository and nowhere else.
            return Attempt::Transient {
                error: format!("the capture job is elsewhere ({location}): not followed"),
            };
        };
        // Each poll waits at most POLL_TIMEOUT_MS and then POLL_EVERY_MS: the whole follow
        // stays within about the connector's timeout.
        let polls = connector.timeout_ms.div_ceil(POLL_TIMEOUT_MS + POLL_EVERY_MS).max(1);
        for _ in 0..polls {
            let mut request = self
                .agent
                .get(&url)
                .config()
                .timeout_global(Some(Duration::from_millis(POLL_TIMEOUT_MS)))
                .build();
            if let Some(token) = &connector.secret {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            let job: serde_json::Value = match request.call() {
                Ok(mut response) if response.status().is_success() => {
                    let text = response
                        .body_mut()
                        .with_config()
                        .limit(ANSWER_MAX)
                        .read_to_string()
                        .unwrap_or_default();
                    match serde_json::from_str(&text) {
                        Ok(job) => job,
                        Err(_) => {
                            return Attempt::Transient {
                                error: format!("capture job {url}: not JSON: {}", shorten(&text)),
                            };
                        }
                    }
                }
                Ok(response) => {
                    return Attempt::Transient {
                        error: format!("capture job {url}: HTTP {}", response.status().as_u16()),
                    };
                }
                Err(error) => {
                    return Attempt::Transient { error: format!("capture job {url}: {error}") };
                }
            };
            if job["running"] == false {
                let id = job["captureID"].as_str().unwrap_or(location).to_owned();
                if job["success"] == true {
                    return Attempt::Delivered { receipt: id };
                }
                let first = job["errors"][0].as_str().unwrap_or("the capture job failed");
                // The receiving store failed (a serialhub says so in these words): nothing of
                // the job was kept, and the same capture later will do.
                if first.starts_with("the store refused the job") {
                    return Attempt::Transient { error: format!("{id}: {}", shorten(first)) };
                }
                return Attempt::Rejected {
                    code: "CAPTURE_FAILED".to_owned(),
                    reason: format!("{id}: {}", shorten(first)),
                };
            }
            std::thread::sleep(Duration::from_millis(POLL_EVERY_MS));
        }
        Attempt::Transient { error: format!("capture job {url} still running") }
    }
}

/// `scheme://host[:port]` of `url`.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(path) => &url[..after_scheme + path],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        let delivered = |receipt: &str| Attempt::Delivered { receipt: receipt.to_owned() };
        assert_eq!(classify(200, r#"{"status":"accepted","receipt":"R7"}"#), delivered("R7"));
        assert_eq!(classify(200, r#"{"status":"duplicate","receipt":"R7"}"#), delivered("R7"));
        assert_eq!(classify(202, ""), delivered("202"));
        assert!(matches!(classify(200, "{\"receipt\": "), Attempt::Transient { .. }));
        assert_eq!(
            classify(422, r#"{"code":"E_PRODUCT_UNKNOWN","reason":"not registered"}"#),
            Attempt::Rejected {
                code: "E_PRODUCT_UNKNOWN".to_owned(),
                reason: "not registered".to_owned()
            }
        );
        assert_eq!(
            classify(400, "bad"),
            Attempt::Rejected { code: "HTTP400".to_owned(), reason: "bad".to_owned() }
        );
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(matches!(classify(status, "x"), Attempt::Transient { .. }), "{status}");
        }
        assert_eq!(
            origin("https://hub.example.com:8443/epcis/capture"),
            "https://hub.example.com:8443"
        );
        assert_eq!(origin("http://127.0.0.1:9"), "http://127.0.0.1:9");
        assert_eq!(
            signature("key", b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }
}
