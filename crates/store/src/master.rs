//! Master data (EPCISMasterData vocabularies): how a capture merges into what is stored, and
//! the stored form backends write (a header-only JSON-LD EPCISDocument, which the epcis crate
//! reads back to equal vocabularies).
//!
//! A document's master data describes the vocabulary elements its events use (locations,
//! trade item classes, parties). Capturing it again, or capturing newer attributes, must not
//! lose what an earlier document said: the merge replaces an element's attributes by id (all
//! values of a repeated id together, since a repeated attribute is one array-valued attribute)
//! and keeps the others, and adds children it has not seen. Merging is idempotent.

use std::collections::BTreeMap;

use serialhub_epcis::query::{EventQuery, MasterDataKind};
use serialhub_epcis::{Document, Header, Vocabulary, VocabularyElement};

use crate::{Store, StoreError};

/// Stored master data: vocabulary type, then element id, to the element.
pub type MasterData = BTreeMap<String, BTreeMap<String, VocabularyElement>>;

/// The most vocabulary elements one capture may carry: master data is read whole into memory,
/// so a hostile document must not grow it without bound.
pub const ELEMENTS_PER_CAPTURE_MAX: usize = 100_000;

/// Merges `incoming` into `stored` (see the module comment). Elements without an id are
/// skipped: validation reports them, and there is nothing to key them by.
pub fn merge(stored: &mut MasterData, incoming: &[Vocabulary]) {
    for vocabulary in incoming {
        let elements = stored.entry(vocabulary.type_.clone()).or_default();
        for element in vocabulary.elements.iter().filter(|e| !e.id.is_empty()) {
            match elements.get_mut(&element.id) {
                None => {
                    let mut fresh = VocabularyElement { children: Vec::new(), ..element.clone() };
                    merge_element(&mut fresh, element);
                    elements.insert(element.id.clone(), fresh);
                }
                Some(existing) => merge_element(existing, element),
            }
        }
    }
}

fn merge_element(existing: &mut VocabularyElement, incoming: &VocabularyElement) {
    let replaced: Vec<&str> = incoming.attributes.iter().map(|a| a.id.as_str()).collect();
    existing.attributes.retain(|a| !replaced.contains(&a.id.as_str()));
    existing.attributes.extend(incoming.attributes.iter().cloned());
    for child in &incoming.children {
        if !existing.children.contains(child) {
            existing.children.push(child.clone());
        }
    }
}

/// `stored` as vocabularies: one per type, in type order, elements in id order.
pub fn vocabularies(stored: &MasterData) -> Vec<Vocabulary> {
    stored
        .iter()
        .filter(|(_, elements)| !elements.is_empty())
        .map(|(type_, elements)| Vocabulary {
            type_: type_.clone(),
            elements: elements.values().cloned().collect(),
        })
        .collect()
}

/// The stored form of `vocabularies`: an EPCISDocument with no events whose header carries
/// them.
pub fn encode(vocabularies: &[Vocabulary]) -> Vec<u8> {
    let document = Document {
        header: Header { master_data: vocabularies.to_vec(), ..Header::default() },
        events: Vec::new(),
    };
    serialhub_epcis::json::write::to_json_ld(&document)
}

/// Reads what `encode` wrote.
pub fn decode(bytes: &[u8]) -> Result<Vec<Vocabulary>, String> {
    serialhub_epcis::read_document(bytes)
        .map(|collected| collected.document.header.master_data)
        .map_err(|e| format!("stored master data does not read back: {e}"))
}

/// Resolves the master data parameters of `query` (WD_, HASATTR_, EQ_ATTR_) against the
/// master data `store` holds now; reads nothing when the query has none. A caller acting for
/// `party` resolves against the elements naming its party only: another party's site
/// attributes must not be found out one query at a time.
pub fn resolve(
    store: &dyn Store,
    query: &mut EventQuery,
    party: Option<&str>,
) -> Result<(), StoreError> {
    let needed = query.master_data_needed();
    if needed.is_empty() {
        return Ok(());
    }
    let vocabularies = store.master_data()?;
    let own = |element: &&VocabularyElement| {
        party.is_none_or(|p| serialhub_epcis::query::names_party(&element.id, p))
    };
    for kind in needed {
        let elements: Vec<&VocabularyElement> = vocabularies
            .iter()
            .filter(|v| MasterDataKind::of_vocabulary_type(&v.type_) == Some(kind))
            .flat_map(|v| &v.elements)
            .filter(own)
            .collect();
        query.resolve_master_data(kind, &elements);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serialhub_epcis::{Content, VocabularyAttribute};

    use super::*;

    fn attribute(id: &str, value: &str) -> VocabularyAttribute {
        VocabularyAttribute { id: id.to_owned(), value: Content::Text(value.to_owned()) }
    }

    fn location(id: &str, attributes: Vec<VocabularyAttribute>, children: &[&str]) -> Vocabulary {
        Vocabulary {
            type_: "urn:epcglobal:epcis:vtype:BusinessLocation".to_owned(),
            elements: vec![VocabularyElement {
                id: id.to_owned(),
                attributes,
                children: children.iter().map(|c| (*c).to_owned()).collect(),
            }],
        }
    }

    #[test]
    fn merge_replaces_attributes_by_id_keeps_the_rest_and_is_idempotent() {
        let site = "urn:epc:id:sgln:4012345.00001.0";
        let first = location(
            site,
            vec![
                attribute("urn:epcglobal:cbv:mda:name", "Plant A"),
                attribute("urn:epcglobal:cbv:mda:countryCode", "DE"),
                attribute("http://example.com/ext#tag", "one"),
                attribute("http://example.com/ext#tag", "two"),
            ],
            &["urn:epc:id:sgln:4012345.00001.1"],
        );
        let second = location(
            site,
            vec![
                attribute("urn:epcglobal:cbv:mda:name", "Plant A (Berlin)"),
                attribute("http://example.com/ext#tag", "three"),
            ],
            &["urn:epc:id:sgln:4012345.00001.2", "urn:epc:id:sgln:4012345.00001.1"],
        );
        let mut stored = MasterData::new();
        merge(&mut stored, &[first]);
        merge(&mut stored, std::slice::from_ref(&second));
        let once = stored.clone();
        merge(&mut stored, &[second]);
        assert_eq!(stored, once, "merging the same vocabulary again changes nothing");

        let element = &stored["urn:epcglobal:epcis:vtype:BusinessLocation"][site];
        let pairs: Vec<(&str, String)> = element
            .attributes
            .iter()
            .map(|a| (a.id.as_str(), a.value.text().unwrap_or_default().into_owned()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("urn:epcglobal:cbv:mda:countryCode", "DE".to_owned()),
                ("urn:epcglobal:cbv:mda:name", "Plant A (Berlin)".to_owned()),
                ("http://example.com/ext#tag", "three".to_owned()),
            ]
        );
        assert_eq!(
            element.children,
            ["urn:epc:id:sgln:4012345.00001.1", "urn:epc:id:sgln:4012345.00001.2"]
        );
    }

    #[test]
    fn the_stored_form_reads_back_equal() {
        let mut stored = MasterData::new();
        merge(
            &mut stored,
            &[location(
                "urn:epc:id:sgln:4012345.00001.0",
                vec![attribute("urn:epcglobal:cbv:mda:name", "Plant A")],
                &["urn:epc:id:sgln:4012345.00001.1"],
            )],
        );
        let vocabularies = vocabularies(&stored);
        assert_eq!(decode(&encode(&vocabularies)).expect("reads back"), vocabularies);
        assert!(decode(b"{not json").expect_err("not JSON").contains("does not read back"));
    }
}
