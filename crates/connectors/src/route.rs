//! Which messages a stored event causes: a shipment (business step `shipping`) to each
//! destination party a `webhook`, `epcis` or `dscsa` connector routes, once per connector and
//! party; a commissioning event to each `eu-hub` connector, once per connector and GTIN
//! (`euhub`). The message's payload is the event's hash ID: the document is built when the
//! message is sent, from the stored event, so a capture only writes a small row per message.

use serialhub_epcis::cbv::{self, Term, Vocab};
use serialhub_store::EventRecord;
use serialhub_store::outbox::{NewMessage, Route};

use crate::{Connector, Kind};

/// The connectors' routing, asked by the store inside each capture.
#[derive(Clone, Debug, Default)]
pub struct Routes {
    connectors: Vec<Connector>,
}

impl Routes {
    /// The routing of `connectors`.
    pub fn new(connectors: Vec<Connector>) -> Routes {
        Routes { connectors }
    }
}

impl Route for Routes {
    fn route(&self, record: &EventRecord) -> Vec<NewMessage> {
        let mut messages = self.shipments(record);
        messages.extend(self.uploads(record));
        messages
    }
}

impl Routes {
    /// A shipment's messages: one per routed destination party and connector.
    fn shipments(&self, record: &EventRecord) -> Vec<NewMessage> {
        let event = &record.event;
        let shipping = event
            .biz_step
            .as_deref()
            .is_some_and(|s| cbv::classify(Vocab::BizStep, s) == Term::Standard("shipping"));
        if !shipping || event.error_declaration.is_some() {
            return Vec::new();
        }
        // Each destination party once, by its GLN when it has one: an owning party's PGLN and
        // its site's SGLN name one party, which gets one message and one order.
        let mut parties: Vec<String> = event
            .destination_list
            .iter()
            .map(|d| {
                serialhub_epcis::query::party_gln(&d.value)
                    .unwrap_or_else(|| serialhub_epcis::canonical_id(&d.value).into_owned())
            })
            .collect();
        parties.sort();
        parties.dedup();
        let mut messages = Vec::new();
        for connector in self.connectors.iter().filter(|c| c.kind != Kind::EuHub) {
            for party in &parties {
                let party = party.as_str();
                let routed = connector.parties.is_empty()
                    || connector
                        .parties
                        .iter()
                        .any(|p| serialhub_epcis::query::names_party(party, p));
                if !routed {
                    continue;
                }
                messages.push(NewMessage {
                    connector: connector.name.clone(),
                    destination: party.to_owned(),
                    idempotency_key: format!("{}:{}:{party}", connector.name, record.hash_id),
                    // A partner's shipments reach it in the order they were captured.
                    ordering_key: Some(format!("{}:{party}", connector.name)),
                    payload: record.hash_id.as_bytes().to_vec(),
                });
            }
        }
        messages
    }

    /// A commissioning event's uploads: one per `eu-hub` connector and GTIN it takes.
    fn uploads(&self, record: &EventRecord) -> Vec<NewMessage> {
        let hubs: Vec<&Connector> =
            self.connectors.iter().filter(|c| c.kind == Kind::EuHub).collect();
        if hubs.is_empty() {
            return Vec::new();
        }
        let gtins = crate::euhub::commissioned_gtins(&record.event);
        let mut messages = Vec::new();
        for connector in hubs {
            let market = connector.market.as_deref().unwrap_or_default();
            for gtin in gtins.iter().filter(|g| connector.uploads_gtin(g)) {
                messages.push(NewMessage {
                    connector: connector.name.clone(),
                    destination: market.to_owned(),
                    idempotency_key: format!("{}:{}:{gtin}", connector.name, record.hash_id),
                    // A product's uploads reach the hub in the order they were captured.
                    ordering_key: Some(format!("{}:{gtin}", connector.name)),
                    payload: record.hash_id.as_bytes().to_vec(),
                });
            }
        }
        messages
    }
}

#[cfg(test)]
mod tests {
    use serialhub_epcis::{Event, EventType, SourceDest};

    use super::*;
    use crate::Kind;

    fn connector(name: &str, parties: &[&str]) -> Connector {
        Connector {
            name: name.to_owned(),
            kind: Kind::Webhook,
            url: "http://127.0.0.1:9/messages".to_owned(),
            parties: parties.iter().map(|p| (*p).to_owned()).collect(),
            secret: None,
            timeout_ms: 10_000,
            sender: None,
            market: None,
            gtins: Vec::new(),
        }
    }

    fn shipment(step: &str, to: &[&str]) -> EventRecord {
        let event = Event {
            event_type: Some(EventType::ObjectEvent),
            biz_step: Some(step.to_owned()),
            destination_list: to
                .iter()
                .map(|p| SourceDest { type_: "owning_party".to_owned(), value: (*p).to_owned() })
                .collect(),
            ..Event::default()
        };
        EventRecord::new("ni:///sha-256;abc".to_owned(), event)
    }

    #[test]
    fn shipments_go_to_the_connectors_that_route_their_parties() {
        let routes =
            Routes::new(vec![connector("us-partner", &["4098765000003"]), connector("audit", &[])]);
        let keys = |record: &EventRecord| -> Vec<String> {
            routes.route(record).into_iter().map(|m| m.idempotency_key).collect()
        };
        // The party as a PGLN URI and its site as an SGLN, the routing as a bare GLN: one
        // party, one message per connector, keyed by the GLN.
        let to_b = shipment(
            "urn:epcglobal:cbv:bizstep:shipping",
            &["urn:epc:id:pgln:4098765.00000", "urn:epc:id:sgln:4098765.00000.0"],
        );
        assert_eq!(
            keys(&to_b),
            ["us-partner:ni:///sha-256;abc:4098765000003", "audit:ni:///sha-256;abc:4098765000003"]
        );
        let message = &routes.route(&to_b)[0];
        assert_eq!(message.ordering_key.as_deref(), Some("us-partner:4098765000003"));
        assert_eq!(message.destination, "4098765000003");
        assert_eq!(message.payload, b"ni:///sha-256;abc");
        let to_c = shipment("shipping", &["urn:epc:id:pgln:4055555.00000"]);
        assert_eq!(keys(&to_c), ["audit:ni:///sha-256;abc:4055555000001"]);
        assert!(keys(&shipment("receiving", &["urn:epc:id:pgln:4098765.00000"])).is_empty());
        assert!(keys(&shipment("shipping", &[])).is_empty(), "no destination, nothing to send");
    }

    #[test]
    fn commissioning_events_go_to_the_eu_hub_once_per_gtin() {
        let hub = |name: &str, gtins: &[&str]| Connector {
            kind: Kind::EuHub,
            market: Some("EU".to_owned()),
            gtins: gtins.iter().map(|g| (*g).to_owned()).collect(),
            ..connector(name, &[])
        };
        let routes = Routes::new(vec![
            connector("us-partner", &[]),
            hub("eu", &[]),
            hub("eu-one-product", &["4012345000016"]),
        ]);
        let event = Event {
            event_type: Some(EventType::ObjectEvent),
            action: Some(serialhub_epcis::Action::Add),
            biz_step: Some("urn:epcglobal:cbv:bizstep:commissioning".to_owned()),
            epc_list: vec![
                "urn:epc:id:sgtin:4012345.000001.A1".to_owned(),
                "urn:epc:id:sgtin:4012345.000002.B1".to_owned(),
                "urn:epc:id:sgtin:4012345.000001.A2".to_owned(),
            ],
            ..Event::default()
        };
        let record = EventRecord::new("ni:///sha-256;abc".to_owned(), event.clone());
        let messages = routes.route(&record);
        let keys: Vec<(&str, &str, Option<&str>)> = messages
            .iter()
            .map(|m| {
                (m.idempotency_key.as_str(), m.destination.as_str(), m.ordering_key.as_deref())
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("eu:ni:///sha-256;abc:04012345000016", "EU", Some("eu:04012345000016")),
                ("eu:ni:///sha-256;abc:04012345000023", "EU", Some("eu:04012345000023")),
                (
                    "eu-one-product:ni:///sha-256;abc:04012345000016",
                    "EU",
                    Some("eu-one-product:04012345000016")
                ),
            ]
        );
        assert!(messages.iter().all(|m| m.payload == b"ni:///sha-256;abc"));
        // A shipment does not go to the hub, nor a commissioning to the partner.
        let shipping = Event { biz_step: Some("shipping".to_owned()), ..event };
        let shipped = shipment("shipping", &["urn:epc:id:pgln:4098765.00000"]);
        assert!(routes.route(&EventRecord::new("h".to_owned(), shipping)).is_empty());
        assert!(routes.route(&shipped).iter().all(|m| m.connector == "us-partner"));
    }
}
