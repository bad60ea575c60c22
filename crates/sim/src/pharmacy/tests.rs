//! Tests of `pharmacy`, through the simulation: what becomes of the packs on the shelves.

use std::collections::BTreeMap;

use expect_test::expect;

use crate::{Config, Simulation};

#[test]
fn most_packs_are_dispensed() {
    let mut sim = Simulation::new(Config { seed: 9, packs: 20_000, ..Config::default() });
    let mut packs: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(document) = sim.next_document() {
        for event in document.events {
            let step = event.biz_step.unwrap_or_default();
            if matches!(step.as_str(), "dispensing" | "destroying" | "decommissioning" | "stocking")
            {
                let step = format!("{step} {}", event.disposition.unwrap_or_default());
                // Pallets, cases and totes destroyed in a recall count once each.
                *packs.entry(step).or_default() += event.epc_list.len();
            }
        }
    }
    expect![[r#"
        {
            "decommissioning stolen": 94,
            "destroying destroyed": 2903,
            "dispensing dispensed": 17034,
            "stocking sellable_accessible": 157,
        }"#]]
    .assert_eq(&format!("{packs:#?}"));
}
