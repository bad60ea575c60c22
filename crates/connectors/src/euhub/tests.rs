//! Tests of the EU hub upload and of how the hub's answers are classified.

use expect_test::{Expect, expect};
use serialhub_epcis::{
    Action, Content, Element, EventType, Name, Vocabulary, VocabularyAttribute, VocabularyElement,
};

use super::*;

const GTIN: &str = "04012345000016";

fn ilmd(local: &str, value: &str) -> Element {
    Element {
        // As a JSON-LD capture stores it: the context's namespace, with its trailing colon.
        name: Name::new("urn:epcglobal:cbv:mda:", local, "cbvmda"),
        attributes: Vec::new(),
        content: Content::Text(value.to_owned()),
    }
}

fn commissioning(ilmd: Vec<Element>) -> Event {
    Event {
        event_type: Some(EventType::ObjectEvent),
        action: Some(Action::Add),
        biz_step: Some("commissioning".to_owned()),
        epc_list: vec![
            "urn:epc:id:sgtin:4012345.000001.A1".to_owned(),
            "https://id.gs1.org/01/04012345000016/21/B%2F2".to_owned(),
            "urn:epc:id:sgtin:4012345.000002.X".to_owned(),
            "urn:epc:id:sscc:4012345.0000000001".to_owned(),
        ],
        ilmd: Some(ilmd),
        ..Event::default()
    }
}

fn master_data(name: Option<&str>) -> Vec<Vocabulary> {
    let mut attributes = vec![
        VocabularyAttribute {
            id: "urn:epcglobal:cbv:mda#dosageFormType".to_owned(),
            value: Content::Text("TABLET".to_owned()),
        },
        VocabularyAttribute {
            id: "urn:epcglobal:cbv:mda#strengthDescription".to_owned(),
            value: Content::Text("10 mg".to_owned()),
        },
    ];
    if let Some(name) = name {
        attributes.push(VocabularyAttribute {
            id: "urn:epcglobal:cbv:mda#regulatedProductName".to_owned(),
            value: Content::Text(name.to_owned()),
        });
    }
    vec![Vocabulary {
        type_: "urn:epcglobal:epcis:vtype:EPCClass".to_owned(),
        elements: vec![VocabularyElement {
            id: "urn:epc:idpat:sgtin:4012345.000001.*".to_owned(),
            attributes,
            children: Vec::new(),
        }],
    }]
}

#[track_caller]
fn check_upload(event: &Event, master_data: &[Vocabulary], expect: Expect) {
    let upload = Upload {
        event,
        gtin: GTIN,
        market: "EU",
        sender: Some("urn:epc:id:sgln:4012345.00000.0"),
        idempotency_key: "eu:ni:///sha-256;abc:04012345000016",
        master_data,
    };
    let actual = match super::upload(&upload) {
        Ok(body) => {
            let json: Value = serde_json::from_slice(&body).expect("JSON");
            serde_json::to_string_pretty(&json).expect("JSON")
        }
        Err(refusal) => format!("{}: {}", refusal.code.as_str(), refusal.reason),
    };
    expect.assert_eq(&actual);
}

#[test]
fn an_upload_carries_product_batch_and_the_packs_of_its_gtin() {
    let good =
        commissioning(vec![ilmd("lotNumber", "L1"), ilmd("itemExpirationDate", "2027-06-30")]);
    check_upload(
        &good,
        &master_data(Some("Examplamab")),
        expect![[r#"
        {
          "uploadId": "c52e7b3e-cef2-8cfd-8765-37d514ada886",
          "market": "EU",
          "product": {
            "productCode": "04012345000016",
            "productCodeScheme": "GS1",
            "name": "Examplamab",
            "pharmaForm": "TABLET",
            "strength": "10 mg"
          },
          "batch": {
            "id": "L1",
            "expiry": "270630"
          },
          "packs": [
            {
              "serial": "A1"
            },
            {
              "serial": "B/2"
            }
          ],
          "sender": "4012345000009"
        }"#]],
    );
    check_upload(
        &good,
        &master_data(None),
        expect![
            "master_data_missing: GTIN 04012345000016: no product name (regulatedProductName or tradeItemDescription)"
        ],
    );
    check_upload(
        &good,
        &[],
        expect!["master_data_missing: GTIN 04012345000016: no EPCClass master data"],
    );
    check_upload(
        &commissioning(vec![ilmd("lotNumber", "L1")]),
        &master_data(Some("E")),
        expect![
            "batch_data_missing: GTIN 04012345000016: the commissioning event's ILMD gives no itemExpirationDate"
        ],
    );
    check_upload(
        &commissioning(vec![]),
        &master_data(Some("E")),
        expect![
            "batch_data_missing: GTIN 04012345000016: the commissioning event's ILMD gives no lotNumber and no itemExpirationDate"
        ],
    );
    check_upload(
        &commissioning(vec![ilmd("lotNumber", "L1"), ilmd("itemExpirationDate", "2027-02-30")]),
        &master_data(Some("E")),
        expect![[
            r#"batch_data_invalid: GTIN 04012345000016, lot L1: itemExpirationDate "2027-02-30" is not a date"#
        ]],
    );
}

#[test]
fn commissioning_events_name_the_gtins_they_upload() {
    let event = commissioning(Vec::new());
    assert_eq!(commissioned_gtins(&event), ["04012345000016", "04012345000023"]);
    let shipping = Event { biz_step: Some("shipping".to_owned()), ..event.clone() };
    assert!(commissioned_gtins(&shipping).is_empty());
    let observed = Event { action: Some(Action::Observe), ..event };
    assert!(commissioned_gtins(&observed).is_empty());
    assert_eq!(gtin_of_key("eu:ni:///sha-256;abc?ver=CBV2.0:04012345000016"), Some(GTIN));
    assert_eq!(gtin_of_key("eu:ni:///sha-256;abc"), None);
}

#[track_caller]
fn check_answer(status: u16, body: &str, expect: Expect) {
    expect.assert_debug_eq(&classify(status, body));
}

#[test]
fn the_hubs_answers_per_serial_are_classified() {
    check_answer(
        200,
        r#"{"status":"accepted","receipt":"R1","serials":[{"serial":"A1","status":"accepted"}]}"#,
        expect![[r#"
            Delivered {
                receipt: "R1",
            }
        "#]],
    );
    check_answer(
        200,
        r#"{"status":"duplicate","receipt":"R1","serials":[{"serial":"A1","status":"accepted"}]}"#,
        expect![[r#"
            Delivered {
                receipt: "R1",
            }
        "#]],
    );
    check_answer(
        200,
        r#"{"status":"accepted","receipt":"R2","serials":[
            {"serial":"A1","status":"accepted"},
            {"serial":"A2","status":"rejected","code":"serial_duplicate"},
            {"serial":"A3","status":"rejected","code":"serial_invalid"}]}"#,
        expect![[r#"
            Rejected {
                code: "serials_rejected",
                reason: "2 of 3 serials rejected: A2 serial_duplicate; A3 serial_invalid",
            }
        "#]],
    );
    let many: Vec<String> = (0..50)
        .map(|i| format!(r#"{{"serial":"S{i}","status":"rejected","code":"serial_duplicate"}}"#))
        .collect();
    check_answer(
        200,
        &format!(r#"{{"serials":[{}]}}"#, many.join(",")),
        expect![[r#"
        Rejected {
            code: "serials_rejected",
            reason: "50 of 50 serials rejected: S0 serial_duplicate; S1 serial_duplicate; S2 serial_duplicate; S3 serial_duplicate; S4 serial_duplicate; S5 serial_duplicate; S6 serial_duplicate; S7 serial_duplicate; S8 serial_duplicate; S9 serial_duplicate; S10 serial_duplicate; S11 serial_duplicate; S12 serial_duplicate; S13 serial_duplicate; S14 serial_duplicate; S15 serial_duplicate; S16 serial_duplicate; S17 serial_duplicate; S18 serial_duplicate; S19 serial_duplicate; and 30 more",
        }
    "#]],
    );
    check_answer(
        200,
        r#"{"status":"accepted","receipt":"R1"}"#,
        expect![[r#"
        Transient {
            error: "malformed acknowledgement (200): no per-serial answers: {\"status\":\"accepted\",\"receipt\":\"R1\"}",
        }
    "#]],
    );
    check_answer(
        422,
        r#"{"code":"expiry_invalid","reason":"batch expiry 271332 is not a date"}"#,
        expect![[r#"
            Rejected {
                code: "expiry_invalid",
                reason: "batch expiry 271332 is not a date",
            }
        "#]],
    );
    check_answer(
        503,
        "down",
        expect![[r#"
        Transient {
            error: "HTTP 503: down",
        }
    "#]],
    );
}
