//! Tests of `wholesaler`, through the simulation: pallets go to wholesalers of their market,
//! and totes carry one to four cases to a pharmacy, under the wholesaler's own SSCCs.

use std::collections::BTreeMap;

use serialhub_epcis::Action;
use serialhub_epcis::model::Event;

use crate::{Config, Simulation};

fn events(config: Config) -> Vec<Event> {
    let mut sim = Simulation::new(config);
    let mut events = Vec::new();
    while let Some(document) = sim.next_document() {
        events.extend(document.events);
    }
    events
}

/// The owning party of a source or destination list.
fn party(list: &[serialhub_epcis::model::SourceDest]) -> &str {
    list.iter().find(|s| s.type_ == "owning_party").map_or("-", |s| s.value.as_str())
}

#[test]
fn goods_flow_within_their_market() {
    let events = events(Config { seed: 7, packs: 8_000, ..Config::default() });
    // Shipments by (source party, destination party), counted.
    let mut lanes: BTreeMap<(String, String), usize> = BTreeMap::new();
    for event in events.iter().filter(|e| e.biz_step.as_deref() == Some("shipping")) {
        let lane =
            (party(&event.source_list).to_owned(), party(&event.destination_list).to_owned());
        *lanes.entry(lane).or_default() += 1;
    }
    // EU prefixes start with 4 or 8, US ones with 0: no lane crosses the Atlantic.
    for (from, to) in lanes.keys() {
        let market = |party: &str| party.trim_start_matches("urn:epc:id:pgln:").starts_with('0');
        assert_eq!(market(from), market(to), "{from} -> {to}");
    }
    assert!(lanes.len() > 10, "{lanes:?}");
}

#[test]
fn totes_hold_one_to_four_cases() {
    let events = events(Config { seed: 8, packs: 8_000, ..Config::default() });
    let wholesalers = ["4098765", "8034567", "0614141", "0860012"];
    let mut totes = 0;
    for event in &events {
        let Some(parent) = &event.parent_id else { continue };
        let by_wholesaler =
            wholesalers.iter().any(|w| parent.starts_with(&format!("urn:epc:id:sscc:{w}.9")));
        if event.action == Some(Action::Add) && by_wholesaler {
            assert!((1..=4).contains(&event.epc_list.len()), "{parent}");
            totes += 1;
        }
    }
    assert!(totes > 50, "{totes} totes");
}
