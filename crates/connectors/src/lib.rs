//! The outbox's connectors: one `Connector` per `[[connector]]` table of `serialhub.toml`.
//! `Routes` decides, inside each capture, which messages a stored event causes; `HttpTransport`
//! speaks to each kind of destination when the dispatcher sends.
//!
//! Kinds:
//! - `webhook`: a shipment (the event as JSON, HMAC-signed) to each routed party.
//! - `epcis`: a shipment as an EPCIS 2.0 capture document, into another repository.
//! - `dscsa`: a shipment as the EPCIS 1.2 document a US trading partner expects under the GS1
//!   US guideline for DSCSA (`dscsa`): the shipped hierarchy, its product and location master
//!   data, the transaction information and statement.
//! - `eu-hub`: a commissioning event as an EU FMD hub upload (`euhub`): product master data,
//!   batch and pack serials, answered per serial.
//!
//! A message that cannot be built as its regime requires is refused before it is sent, with a
//! stable code (`refusal`): it fails as an exception instead of reaching the partner as a
//! non-compliant file.

#![warn(missing_docs)]

pub mod dscsa;
pub mod euhub;
mod product;
pub mod refusal;
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

    /// The kind's name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::Epcis => "epcis",
            Kind::Dscsa => "dscsa",
            Kind::EuHub => "eu-hub",
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
    /// shipment. Not for `eu-hub`, which routes by market.
    pub parties: Vec<String>,
    /// The HMAC secret of signatures (`GS1-Signature`), or for `epcis` the bearer token.
    pub secret: Option<String>,
    /// How long one send may take, connect to last byte, in milliseconds.
    pub timeout_ms: u64,
    /// Who sends (a GLN, or an SGLN or PGLN URI): `dscsa` names it as the SBDH sender (else the
    /// shipping event's source party), `eu-hub` as the uploader. Not for other kinds.
    pub sender: Option<String>,
    /// The market an `eu-hub` connector uploads for (`"EU"`): it routes every commissioning
    /// event there, and names the destination by it. Required for `eu-hub`, refused for other
    /// kinds (they route shipments by `parties`).
    pub market: Option<String>,
    /// `eu-hub` only: the GTINs (any length, padded to 14) whose packs are uploaded; empty:
    /// every GTIN.
    pub gtins: Vec<String>,
}

/// The GLN `value` names (a bare GLN, an SGLN or PGLN URI, a Digital Link with (414) or
/// (417)), when its check digit is right.
pub(crate) fn gln_of(value: &str) -> Option<String> {
    serialhub_epcis::query::party_gln(value).filter(|gln| serialhub_gs1::Gln::parse(gln).is_ok())
}

/// The most GTINs an `eu-hub` connector may list.
pub const GTINS_MAX: usize = 10_000;

impl Connector {
    /// Checks a configured connector: a known, built kind, an http(s) URL, and the fields its
    /// kind takes (and only those).
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if name.is_empty() || name.len() > 100 {
            return Err("a connector needs a name of 1 to 100 characters".to_owned());
        }
        if !(1..=600_000).contains(&self.timeout_ms) {
            return Err(format!("connector {name}: timeout_ms must be 1 to 600,000"));
        }
        if !(self.url.starts_with("https://") || self.url.starts_with("http://")) {
            return Err(format!("connector {name}: url {:?} is not http(s)", self.url));
        }
        let kind = self.kind.name();
        if let Some(sender) = &self.sender {
            if !matches!(self.kind, Kind::Dscsa | Kind::EuHub) {
                return Err(format!(
                    "connector {name}: sender is for dscsa and eu-hub, not {kind}"
                ));
            }
            if gln_of(sender).is_none() {
                return Err(format!("connector {name}: sender {sender:?} is not a GLN"));
            }
        }
        match (self.kind, &self.market) {
            (Kind::EuHub, None) => {
                return Err(format!("connector {name}: eu-hub needs a market (market = \"EU\")"));
            }
            (Kind::EuHub, Some(market)) if market.is_empty() || market.len() > 20 => {
                return Err(format!("connector {name}: market must be 1 to 20 characters"));
            }
            (Kind::EuHub, Some(_)) => {}
            (_, Some(_)) => {
                return Err(format!(
                    "connector {name}: market is for eu-hub; {kind} routes shipments by parties"
                ));
            }
            (_, None) => {}
        }
        if self.kind == Kind::EuHub && !self.parties.is_empty() {
            return Err(format!(
                "connector {name}: eu-hub uploads commissioning events, which name no party: \
                 route by market and gtins"
            ));
        }
        if !self.gtins.is_empty() {
            if self.kind != Kind::EuHub {
                return Err(format!("connector {name}: gtins is for eu-hub, not {kind}"));
            }
            if self.gtins.len() > GTINS_MAX {
                return Err(format!("connector {name}: more than {GTINS_MAX} gtins"));
            }
            if let Some(bad) = self.gtins.iter().find(|g| serialhub_gs1::Gtin::parse(g).is_err()) {
                return Err(format!("connector {name}: {bad:?} is not a GTIN"));
            }
        }
        Ok(())
    }

    /// Whether an `eu-hub` connector uploads packs of `gtin` (14 digits).
    pub fn uploads_gtin(&self, gtin: &str) -> bool {
        self.gtins.is_empty()
            || self
                .gtins
                .iter()
                .any(|g| serialhub_gs1::Gtin::parse(g).is_ok_and(|parsed| parsed.as_str() == gtin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connector(kind: Kind) -> Connector {
        Connector {
            name: "c".to_owned(),
            kind,
            url: "http://127.0.0.1:9/in".to_owned(),
            parties: Vec::new(),
            secret: None,
            timeout_ms: 1_000,
            sender: None,
            market: None,
            gtins: Vec::new(),
        }
    }

    #[track_caller]
    fn check(connector: Connector, expect: Result<(), &str>) {
        assert_eq!(connector.validate(), expect.map_err(str::to_owned));
    }

    #[test]
    fn each_kind_takes_its_own_fields() {
        check(connector(Kind::Webhook), Ok(()));
        check(connector(Kind::Epcis), Ok(()));
        check(connector(Kind::Dscsa), Ok(()));
        check(
            Connector {
                sender: Some("urn:epc:id:sgln:4012345.00000.0".to_owned()),
                ..connector(Kind::Dscsa)
            },
            Ok(()),
        );
        check(
            Connector { sender: Some("4012345000001".to_owned()), ..connector(Kind::Dscsa) },
            Err("connector c: sender \"4012345000001\" is not a GLN"),
        );
        check(
            Connector { sender: Some("4012345000009".to_owned()), ..connector(Kind::Webhook) },
            Err("connector c: sender is for dscsa and eu-hub, not webhook"),
        );
        check(connector(Kind::EuHub), Err("connector c: eu-hub needs a market (market = \"EU\")"));
        let eu = Connector { market: Some("EU".to_owned()), ..connector(Kind::EuHub) };
        check(eu.clone(), Ok(()));
        check(
            Connector { gtins: vec!["04012345000017".to_owned()], ..eu.clone() },
            Err("connector c: \"04012345000017\" is not a GTIN"),
        );
        check(
            Connector { parties: vec!["4012345000009".to_owned()], ..eu.clone() },
            Err(
                "connector c: eu-hub uploads commissioning events, which name no party: route by market and gtins",
            ),
        );
        check(
            Connector { market: Some("EU".to_owned()), ..connector(Kind::Dscsa) },
            Err("connector c: market is for eu-hub; dscsa routes shipments by parties"),
        );
        check(
            Connector { gtins: vec!["4012345000016".to_owned()], ..connector(Kind::Webhook) },
            Err("connector c: gtins is for eu-hub, not webhook"),
        );
        let filtered = Connector { gtins: vec!["4012345000016".to_owned()], ..eu };
        assert!(filtered.uploads_gtin("04012345000016"));
        assert!(!filtered.uploads_gtin("04012345000023"));
    }
}
