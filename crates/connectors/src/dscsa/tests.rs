//! Tests of the DSCSA document: built from a small supply chain held in memory (events with
//! their capture `seq`), read back with `serialhub_epcis`.

use expect_test::{Expect, expect};
use serialhub_epcis::validate::Validator;
use serialhub_epcis::{
    BizTransaction, Content, Element, ErrorDeclaration, Location, Name, SourceDest, Vocabulary,
    VocabularyAttribute, VocabularyElement,
};
use serialhub_store::EventRecord;

use super::*;

const SITE: &str = "urn:epc:id:sgln:0312345.00000.0";
const PARTY_B: &str = "urn:epc:id:sgln:4098765.00000.0";
const CASE: &str = "urn:epc:id:sscc:0312345.1000000001";
const OTHER_CASE: &str = "urn:epc:id:sscc:0312345.1000000002";

fn unit(serial: &str) -> String {
    format!("urn:epc:id:sgtin:0312345.012345.{serial}")
}

/// A supply chain: events in capture order, each stored with the next `seq`.
#[derive(Default)]
struct Chain {
    events: Vec<StoredEvent>,
}

impl Chain {
    fn add(&mut self, event: Event) -> &StoredEvent {
        let hash = serialhub_epcis::hash::event_hash(&event);
        let seq = self.events.len() as u64 + 1;
        self.events.push(StoredEvent { seq, record: EventRecord::new(hash, event) });
        self.events.last().expect("just pushed")
    }

    fn history(&self, key: &Key) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self.events.iter().filter(|e| e.record.keys.contains(key)).cloned().collect())
    }

    /// The document of the last event (the shipment) to party B.
    fn document(&self, master_data: &[Vocabulary]) -> Result<Vec<u8>, Failure> {
        self.document_of(self.events.last().expect("a shipment"), master_data)
    }

    /// The document of `shipping` to party B.
    fn document_of(
        &self,
        shipping: &StoredEvent,
        master_data: &[Vocabulary],
    ) -> Result<Vec<u8>, Failure> {
        let shipment = Shipment {
            shipping,
            receiver: "4098765000003",
            sender: None,
            idempotency_key: "us-partner:ni:///sha-256;abc:4098765000003",
            created: "2025-03-02T09:00:00.000Z",
            master_data,
        };
        document(&shipment, &mut |key| self.history(key))
    }
}

fn event(event_type: EventType, action: Action, step: &str) -> Event {
    Event {
        event_type: Some(event_type),
        event_time: "2025-03-01T08:00:00Z".to_owned(),
        event_time_zone_offset: "+00:00".to_owned(),
        action: Some(action),
        biz_step: Some(format!("urn:epcglobal:cbv:bizstep:{step}")),
        read_point: Some(Location { id: SITE.to_owned(), extensions: Vec::new() }),
        biz_location: Some(Location { id: SITE.to_owned(), extensions: Vec::new() }),
        ..Event::default()
    }
}

fn ilmd(local: &str, value: &str) -> Element {
    Element {
        name: Name::new("urn:epcglobal:cbv:mda", local, "cbvmda"),
        attributes: Vec::new(),
        content: Content::Text(value.to_owned()),
    }
}

fn commission(ids: &[String]) -> Event {
    Event {
        epc_list: ids.to_vec(),
        disposition: Some("urn:epcglobal:cbv:disp:active".to_owned()),
        ilmd: Some(vec![ilmd("lotNumber", "L1"), ilmd("itemExpirationDate", "2027-06-30")]),
        ..event(EventType::ObjectEvent, Action::Add, "commissioning")
    }
}

fn pack(parent: &str, children: &[String]) -> Event {
    Event {
        parent_id: Some(parent.to_owned()),
        epc_list: children.to_vec(),
        ..event(EventType::AggregationEvent, Action::Add, "packing")
    }
}

fn unpack(parent: &str, children: &[String]) -> Event {
    Event {
        parent_id: Some(parent.to_owned()),
        epc_list: children.to_vec(),
        ..event(EventType::AggregationEvent, Action::Delete, "unpacking")
    }
}

fn ship(ids: &[&str], transactions: &[(&str, &str)]) -> Event {
    let party = |value: &str| SourceDest {
        type_: "urn:epcglobal:cbv:sdt:owning_party".to_owned(),
        value: value.to_owned(),
    };
    Event {
        epc_list: ids.iter().map(|id| (*id).to_owned()).collect(),
        event_time: "2025-03-02T08:00:00Z".to_owned(),
        disposition: Some("urn:epcglobal:cbv:disp:in_transit".to_owned()),
        biz_transaction_list: transactions
            .iter()
            .map(|(t, v)| BizTransaction { type_: Some((*t).to_owned()), value: (*v).to_owned() })
            .collect(),
        source_list: vec![party(SITE)],
        destination_list: vec![party(PARTY_B)],
        ..event(EventType::ObjectEvent, Action::Observe, "shipping")
    }
}

const PO: (&str, &str) = ("urn:epcglobal:cbv:btt:po", "urn:epcglobal:cbv:bt:0312345000004:PO-1");

fn attribute(name: &str, value: &str) -> VocabularyAttribute {
    VocabularyAttribute {
        id: format!("urn:epcglobal:cbv:mda#{name}"),
        value: Content::Text(value.to_owned()),
    }
}

/// The product's master data (as a 2.0 document stores it: the GTIN as a Digital Link, the
/// `cbvmda:` spelling) without the attributes named in `without`, and the site's.
fn master_data(without: &[&str]) -> Vec<Vocabulary> {
    let product = [
        ("additionalTradeItemIdentification", "12345123405"),
        ("additionalTradeItemIdentificationTypeCode", "FDA_NDC_11"),
        ("regulatedProductName", "Examplamab"),
        ("dosageFormType", "TABLET"),
        ("strengthDescription", "10 mg"),
        ("netContentDescription", "30 TABLET"),
        ("manufacturerOfTradeItemPartyName", "Example Pharma Inc."),
    ];
    let product = product
        .iter()
        .filter(|(name, _)| !without.contains(name))
        .map(|(name, value)| VocabularyAttribute {
            id: format!("cbvmda:{name}"),
            value: Content::Text((*value).to_owned()),
        })
        .collect();
    vec![
        Vocabulary {
            type_: "urn:epcglobal:epcis:vtype:EPCClass".to_owned(),
            elements: vec![VocabularyElement {
                id: "https://id.gs1.org/01/00312345123451".to_owned(),
                attributes: product,
                children: Vec::new(),
            }],
        },
        Vocabulary {
            type_: "urn:epcglobal:epcis:vtype:BusinessLocation".to_owned(),
            elements: vec![VocabularyElement {
                id: SITE.to_owned(),
                attributes: vec![
                    attribute("name", "Example Pharma Plant"),
                    attribute("streetAddressOne", "1 Main St"),
                    attribute("city", "Springfield"),
                    attribute("state", "NJ"),
                    attribute("postalCode", "07081"),
                    attribute("countryCode", "US"),
                ],
                children: Vec::new(),
            }],
        },
    ]
}

/// Units 1 to 4 commissioned together; 1, 2 and 3 packed into the case, 3 taken out again,
/// 4 packed into another case; the case shipped; then 5 packed into the case after the
/// shipment was captured.
fn supply_chain(transactions: &[(&str, &str)]) -> Chain {
    let units: Vec<String> = ["1", "2", "3", "4"].iter().map(|s| unit(s)).collect();
    let mut chain = Chain::default();
    chain.add(commission(&units));
    chain.add(pack(CASE, &units[..3]));
    chain.add(unpack(CASE, &units[2..3]));
    chain.add(pack(OTHER_CASE, &units[3..]));
    chain.add(ship(&[CASE], transactions));
    chain
}

#[track_caller]
fn check_refusal(chain: &Chain, master_data: &[Vocabulary], expect: Expect) {
    match chain.document(master_data) {
        Err(Failure::Refused(refusal)) => {
            expect.assert_eq(&format!("{}: {}", refusal.code.as_str(), refusal.reason));
        }
        Err(Failure::Store(error)) => panic!("a store error: {error}"),
        Ok(document) => panic!("built:\n{}", String::from_utf8_lossy(&document)),
    }
}

#[test]
fn the_document_carries_exactly_the_shipped_hierarchy() {
    let mut chain = supply_chain(&[PO]);
    let shipping = chain.events.last().cloned().expect("the shipment");
    // Captured after the shipment: not part of it.
    chain.add(pack(CASE, &[unit("5")]));
    let document = chain
        .document_of(&shipping, &master_data(&[]))
        .map_err(|e| format!("{e:?}"))
        .expect("built");
    let text = String::from_utf8(document.clone()).expect("UTF-8");
    expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:cbvmda="urn:epcglobal:cbv:mda" xmlns:gs1ushc="http://epcis.gs1us.org/hc/ns" xmlns:sbdh="http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader" schemaVersion="1.2" creationDate="2025-03-02T09:00:00.000Z">
          <EPCISHeader>
            <sbdh:StandardBusinessDocumentHeader>
              <sbdh:HeaderVersion>1.0</sbdh:HeaderVersion>
              <sbdh:Sender>
                <sbdh:Identifier Authority="GLN">0312345000004</sbdh:Identifier>
              </sbdh:Sender>
              <sbdh:Receiver>
                <sbdh:Identifier Authority="GLN">4098765000003</sbdh:Identifier>
              </sbdh:Receiver>
              <sbdh:DocumentIdentification>
                <sbdh:Standard>EPCglobal</sbdh:Standard>
                <sbdh:TypeVersion>1.0</sbdh:TypeVersion>
                <sbdh:InstanceIdentifier>639fbdf0-60c3-8380-b508-248cb925661a</sbdh:InstanceIdentifier>
                <sbdh:Type>Events</sbdh:Type>
                <sbdh:CreationDateAndTime>2025-03-02T09:00:00.000Z</sbdh:CreationDateAndTime>
              </sbdh:DocumentIdentification>
            </sbdh:StandardBusinessDocumentHeader>
            <extension>
              <EPCISMasterData>
                <VocabularyList>
                  <Vocabulary type="urn:epcglobal:epcis:vtype:EPCClass">
                    <VocabularyElementList>
                      <VocabularyElement id="urn:epc:idpat:sgtin:0312345.012345.*">
                        <attribute id="urn:epcglobal:cbv:mda#additionalTradeItemIdentification">12345123405</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#additionalTradeItemIdentificationTypeCode">FDA_NDC_11</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#regulatedProductName">Examplamab</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#dosageFormType">TABLET</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#strengthDescription">10 mg</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#netContentDescription">30 TABLET</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#manufacturerOfTradeItemPartyName">Example Pharma Inc.</attribute>
                      </VocabularyElement>
                    </VocabularyElementList>
                  </Vocabulary>
                  <Vocabulary type="urn:epcglobal:epcis:vtype:Location">
                    <VocabularyElementList>
                      <VocabularyElement id="urn:epc:id:sgln:0312345.00000.0">
                        <attribute id="urn:epcglobal:cbv:mda#name">Example Pharma Plant</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#streetAddressOne">1 Main St</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#city">Springfield</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#state">NJ</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#postalCode">07081</attribute>
                        <attribute id="urn:epcglobal:cbv:mda#countryCode">US</attribute>
                      </VocabularyElement>
                    </VocabularyElementList>
                  </Vocabulary>
                </VocabularyList>
              </EPCISMasterData>
            </extension>
            <gs1ushc:dscsaTransactionStatement>
              <gs1ushc:affirmTransactionStatement>true</gs1ushc:affirmTransactionStatement>
              <gs1ushc:legalNotice>Seller has complied with each applicable subsection of FDCA Sec. 581(27)(A)-(G).</gs1ushc:legalNotice>
            </gs1ushc:dscsaTransactionStatement>
          </EPCISHeader>
          <EPCISBody>
            <EventList>
              <ObjectEvent>
                <eventTime>2025-03-01T08:00:00Z</eventTime>
                <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                <baseExtension>
                  <eventID>ni:///sha-256;cd2b3913918820429dc6503f56b36f31bc3954e1b4f7f6f5ff25d4668a0216a4?ver=CBV2.0</eventID>
                </baseExtension>
                <epcList>
                  <epc>urn:epc:id:sgtin:0312345.012345.1</epc>
                  <epc>urn:epc:id:sgtin:0312345.012345.2</epc>
                </epcList>
                <action>ADD</action>
                <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
                <disposition>urn:epcglobal:cbv:disp:active</disposition>
                <readPoint>
                  <id>urn:epc:id:sgln:0312345.00000.0</id>
                </readPoint>
                <bizLocation>
                  <id>urn:epc:id:sgln:0312345.00000.0</id>
                </bizLocation>
                <extension>
                  <ilmd>
                    <cbvmda:lotNumber>L1</cbvmda:lotNumber>
                    <cbvmda:itemExpirationDate>2027-06-30</cbvmda:itemExpirationDate>
                  </ilmd>
                </extension>
              </ObjectEvent>
              <AggregationEvent>
                <eventTime>2025-03-01T08:00:00Z</eventTime>
                <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                <baseExtension>
                  <eventID>ni:///sha-256;d4caba85d172eba81544ea780a90e6d0ae7b30ce5922022a02f486b2ef8dfb7f?ver=CBV2.0</eventID>
                </baseExtension>
                <parentID>urn:epc:id:sscc:0312345.1000000001</parentID>
                <childEPCs>
                  <epc>urn:epc:id:sgtin:0312345.012345.1</epc>
                  <epc>urn:epc:id:sgtin:0312345.012345.2</epc>
                </childEPCs>
                <action>ADD</action>
                <bizStep>urn:epcglobal:cbv:bizstep:packing</bizStep>
                <readPoint>
                  <id>urn:epc:id:sgln:0312345.00000.0</id>
                </readPoint>
                <bizLocation>
                  <id>urn:epc:id:sgln:0312345.00000.0</id>
                </bizLocation>
              </AggregationEvent>
              <ObjectEvent>
                <eventTime>2025-03-02T08:00:00Z</eventTime>
                <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                <epcList>
                  <epc>urn:epc:id:sscc:0312345.1000000001</epc>
                </epcList>
                <action>OBSERVE</action>
                <bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>
                <disposition>urn:epcglobal:cbv:disp:in_transit</disposition>
                <readPoint>
                  <id>urn:epc:id:sgln:0312345.00000.0</id>
                </readPoint>
                <bizLocation>
                  <id>urn:epc:id:sgln:0312345.00000.0</id>
                </bizLocation>
                <bizTransactionList>
                  <bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epcglobal:cbv:bt:0312345000004:PO-1</bizTransaction>
                </bizTransactionList>
                <extension>
                  <sourceList>
                    <source type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:sgln:0312345.00000.0</source>
                  </sourceList>
                  <destinationList>
                    <destination type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:sgln:4098765.00000.0</destination>
                  </destinationList>
                </extension>
              </ObjectEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]].assert_eq(&text);

    // It reads back as a valid EPCIS 1.2 document.
    let mut validator = Validator::default();
    serialhub_epcis::read_slice(&document, &serialhub_epcis::Limits::default(), &mut validator)
        .expect("it reads back");
    let collected = validator.into_inner();
    let errors: Vec<String> =
        collected.problems.iter().filter(|p| p.is_error()).map(|p| p.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let header = &collected.document.header;
    assert_eq!(header.schema_version.as_deref(), Some("1.2"));
    assert!(header.sbdh.is_some());
    assert!(
        header
            .extensions
            .iter()
            .any(|e| e.name.namespace == GS1USHC_NS && e.name.local == "dscsaTransactionStatement"),
        "{:?}",
        header.extensions
    );
    let events = &collected.document.events;
    assert_eq!(events.len(), 3, "commissioning, packing, shipping");
    // Units 3 and 4 were commissioned with 1 and 2, but are not in the case.
    assert_eq!(events[0].epc_list, [unit("1"), unit("2")]);
    assert_eq!(events[1].epc_list, [unit("1"), unit("2")]);
    // A cut event is a new event: its ID is its own hash.
    let commissioning = Event { event_id: None, ..events[0].clone() };
    assert_eq!(
        events[0].event_id.as_deref(),
        Some(serialhub_epcis::hash::event_hash(&commissioning).as_str())
    );
    assert_eq!(events[2], shipping.record.event);
}

#[test]
fn what_the_regime_requires_and_the_data_lacks_is_refused_with_its_code() {
    let chain = supply_chain(&[PO]);
    check_refusal(
        &chain,
        &[],
        expect![
            "master_data_missing: product master data missing: GTIN 00312345123451: no EPCClass master data"
        ],
    );
    check_refusal(
        &chain,
        &master_data(&["additionalTradeItemIdentificationTypeCode", "dosageFormType"]),
        expect![
            "master_data_missing: product master data missing: GTIN 00312345123451: no NDC (additionalTradeItemIdentification typed FDA_NDC_11 or US_FDA_NDC), dosageFormType"
        ],
    );
    let wrong_ndc: Vec<Vocabulary> = master_data(&[])
        .into_iter()
        .map(|mut v| {
            for element in &mut v.elements {
                for a in &mut element.attributes {
                    if a.id == "cbvmda:additionalTradeItemIdentification" {
                        a.value = Content::Text("54321-1234-05".to_owned());
                    }
                }
            }
            v
        })
        .collect();
    check_refusal(
        &chain,
        &wrong_ndc,
        expect!["ndc_mismatch: GTIN 00312345123451: NDC 54321-1234-05 is not the one it encodes"],
    );
    // An invoice and a despatch advice also carry the transaction; a bill of lading does not.
    check_refusal(
        &supply_chain(&[]),
        &master_data(&[]),
        expect![
            "transaction_information_missing: the shipping event's bizTransactionList has no purchase order (po), invoice (inv) or despatch advice (desadv)"
        ],
    );
    check_refusal(
        &supply_chain(&[("urn:epcglobal:cbv:btt:bol", "B-1")]),
        &master_data(&[]),
        expect![
            "transaction_information_missing: the shipping event's bizTransactionList has no purchase order (po), invoice (inv) or despatch advice (desadv)"
        ],
    );
    assert!(supply_chain(&[("inv", "I-1")]).document(&master_data(&[])).is_ok());
    assert!(supply_chain(&[("desadv", "D-1")]).document(&master_data(&[])).is_ok());

    // A unit packed but never commissioned, and an empty case never commissioned.
    let mut chain = Chain::default();
    chain.add(commission(&[unit("1")]));
    chain.add(pack(CASE, &[unit("1"), unit("9")]));
    chain.add(ship(&[CASE, OTHER_CASE], &[PO]));
    check_refusal(
        &chain,
        &master_data(&[]),
        expect![
            "hierarchy_incomplete: 2 shipped identifier(s) never commissioned before the shipment: urn:epc:id:sscc:0312345.1000000002; urn:epc:id:sgtin:0312345.012345.9"
        ],
    );

    // A commissioning declared in error commissioned nothing.
    let mut chain = Chain::default();
    let commissioning = commission(&[unit("1")]);
    chain.add(commissioning.clone());
    let declaration = Event {
        error_declaration: Some(ErrorDeclaration {
            declaration_time: "2025-03-01T09:00:00Z".to_owned(),
            reason: Some("urn:epcglobal:cbv:er:did_not_occur".to_owned()),
            ..ErrorDeclaration::default()
        }),
        ..commissioning.clone()
    };
    let declared = serialhub_epcis::hash::event_hash(&commissioning);
    let capture_id = serialhub_store::capture_id(declared, &declaration);
    let seq = chain.events.len() as u64 + 1;
    chain.events.push(StoredEvent { seq, record: EventRecord::new(capture_id, declaration) });
    chain.add(ship(&[&unit("1")], &[PO]));
    check_refusal(
        &chain,
        &master_data(&[]),
        expect![
            "hierarchy_incomplete: 1 shipped identifier(s) never commissioned before the shipment: urn:epc:id:sgtin:0312345.012345.1"
        ],
    );

    // Nothing serialised shipped.
    let mut chain = Chain::default();
    chain.add(ship(&[], &[PO]));
    check_refusal(
        &chain,
        &master_data(&[]),
        expect![
            "hierarchy_incomplete: the shipping event names no serialised identifier (quantities only)"
        ],
    );
}

#[test]
fn the_instance_identifier_is_a_uuid_stable_per_idempotency_key() {
    let id = instance_identifier("us-partner:ni:///sha-256;abc:4098765000003");
    assert_eq!(id, instance_identifier("us-partner:ni:///sha-256;abc:4098765000003"));
    assert_ne!(id, instance_identifier("us-partner:ni:///sha-256;abd:4098765000003"));
    expect!["639fbdf0-60c3-8380-b508-248cb925661a"].assert_eq(&id);
    assert_eq!(&id[14..15], "8", "version 8");
}

#[test]
fn ndcs_are_compared_with_the_gtin_that_encodes_them() {
    let gtin = "00312345123451";
    assert!(ndc_fits_gtin("12345123405", gtin), "11 digits, 5-4-1 padded");
    assert!(ndc_fits_gtin("12345-1234-5", gtin));
    assert!(ndc_fits_gtin("1234512345", gtin));
    assert!(!ndc_fits_gtin("12345-1234-6", gtin));
    // The layout is not in the GTIN: each 11-digit padding of its NDC fits.
    assert!(ndc_fits_gtin("01234512345", gtin));
    assert!(!ndc_fits_gtin("12345123406", gtin));
    assert!(!ndc_fits_gtin("1234-5123-46", gtin));
    assert!(ndc_fits_gtin("anything", "04012345000016"), "not an NDC-based GTIN");
}
