//! Tests of `manufacturer`, through the simulation: lots are made of whole pallets, every
//! container holds one lot, and the lines keep their pace.

use std::collections::HashMap;

use serialhub_epcis::model::{Content, Event};
use serialhub_epcis::{Action, EventType};

use crate::calendar::{DAY, START};
use crate::{Config, Simulation};

fn events(config: Config) -> Vec<Event> {
    let mut sim = Simulation::new(config);
    let mut events = Vec::new();
    while let Some(document) = sim.next_document() {
        events.extend(document.events);
    }
    events
}

fn lot_of(event: &Event) -> Option<String> {
    let ilmd = event.ilmd.as_ref()?;
    ilmd.iter().find(|e| e.name.local == "lotNumber").and_then(|e| match &e.content {
        Content::Text(lot) => Some(lot.clone()),
        _ => None,
    })
}

#[test]
fn every_container_holds_one_lot() {
    let events = events(Config { seed: 5, packs: 6_000, ..Config::default() });
    let mut lots: HashMap<String, String> = HashMap::new();
    let mut pallets = 0;
    for event in &events {
        match (event.event_type, event.action) {
            (Some(EventType::ObjectEvent), Some(Action::Add)) => {
                let lot = lot_of(event).expect("commissioning gives the lot");
                for epc in &event.epc_list {
                    assert!(lots.insert(epc.clone(), lot.clone()).is_none(), "{epc} twice");
                }
            }
            (Some(EventType::AggregationEvent), Some(Action::Add)) => {
                let Some(parent) = &event.parent_id else { continue };
                let children: Vec<String> = event
                    .epc_list
                    .iter()
                    .map(|c| lots.get(c).expect("a known child").clone())
                    .collect();
                assert!(children.windows(2).all(|w| w[0] == w[1]), "{parent} mixes lots");
                let pallet = parent.contains(":sscc:")
                    && parent.split('.').nth(1).is_some_and(|r| r.starts_with('3'));
                pallets += usize::from(pallet);
                lots.entry(parent.clone()).or_insert_with(|| children[0].clone());
            }
            _ => {}
        }
    }
    assert!(pallets >= 6, "{pallets} pallets");
}

#[test]
fn lines_keep_their_pace() {
    // 20,000 packs a day over all lines: 100,000 packs take about five days.
    let events = events(Config { seed: 6, packs: 100_000, ..Config::default() });
    let last = events
        .iter()
        .filter(|e| e.action == Some(Action::Add) && e.biz_step.as_deref() == Some("commissioning"))
        .map(|e| {
            serialhub_epcis::time::Timestamp::parse(&e.event_time).expect("a time").unix_millis
        })
        .max()
        .expect("packs were made");
    let days = (last - START) as f64 / DAY as f64;
    assert!((4.0..6.5).contains(&days), "production took {days:.2} days");
}
