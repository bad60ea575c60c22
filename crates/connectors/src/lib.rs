//! The outbox's connectors: one `Connector` per `[[connector]]` table of `serialhub.toml`.
//! `Routes` decides, inside each capture, which messages a stored event causes (a shipment to
//! a routed party, to each connector that routes it); `HttpTransport` speaks to each kind of
//! destination when the dispatcher sends.
//!
//! Kinds built so far: `webhook` (the event as JSON, HMAC-signed) and `epcis` (the event as an
//! EPCIS 2.0 capture document for another repository). `dscsa` and `eu-hub` are named by the
//! configuration but refused at start until their documents are built: a connector that
//! cannot speak its regime must not accept messages.

pub mod route;
pub mod transport;

/// The kinds of destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// JSON, HMAC-signed.
    Webhook,
    /// EPCIS 2.0 capture into another repository.
    Epcis,
    /// US DSCSA: EPCIS 1.2 XML to a trading partner.
    Dscsa,
    /// EU FMD hub uploads.
    EuHub,
}

impl Kind {
    /// The kind named `name` in the configuration.
    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "webhook" => Some(Kind::Webhook),
            "epcis" => Some(Kind::Epcis),
            "dscsa" => Some(Kind::Dscsa),
            "eu-hub" => Some(Kind::EuHub),
            _ => None,
        }
    }
}

/// One connector, as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connector {
    /// Unique among connectors: messages name it.
    pub name: String,
    /// How its destination is spoken to.
    pub kind: Kind,
    /// Where messages are POSTed.
    pub url: String,
    /// The parties (GLNs, or party identifiers) whose shipments go here; empty: every
    /// shipment.
    pub parties: Vec<String>,
    /// The HMAC secret of `webhook` signatures.
    pub secret: Option<String>,
    /// How long one send may take, connect to last byte, in milliseconds.
    pub timeout_ms: u64,
}

impl Connector {
    /// Checks a configured connector: a known, built kind and an http(s) URL.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() || self.name.len() > 100 {
            return Err("a connector needs a name of 1 to 100 characters".to_owned());
        }
        if !(1..=600_000).contains(&self.timeout_ms) {
            return Err(format!("connector {}: timeout_ms must be 1 to 600,000", self.name));
        }
        if !(self.url.starts_with("https://") || self.url.starts_with("http://")) {
            return Err(format!("connector {}: url {:?} is not http(s)", self.name, self.url));
        }
        match self.kind {
            Kind::Webhook | Kind::Epcis => Ok(()),
            Kind::Dscsa | Kind::EuHub => Err(format!(
                "connector {}: kind {:?} is not built yet (webhook and epcis are)",
                self.name, self.kind
            )),
        }
    }
}
