//! The checks of a DSCSA document, one broken requirement at a time.

/// A compliant document: two units commissioned, packed into a case, the case shipped.
const DOCUMENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:cbvmda="urn:epcglobal:cbv:mda" xmlns:gs1ushc="http://epcis.gs1us.org/hc/ns" xmlns:sbdh="http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader" schemaVersion="1.2" creationDate="2025-03-02T09:00:00Z">
  <EPCISHeader>
    <sbdh:StandardBusinessDocumentHeader>
      <sbdh:HeaderVersion>1.0</sbdh:HeaderVersion>
      <sbdh:Sender><sbdh:Identifier Authority="GLN">0312345000004</sbdh:Identifier></sbdh:Sender>
      <sbdh:Receiver><sbdh:Identifier Authority="GLN">4098765000003</sbdh:Identifier></sbdh:Receiver>
      <sbdh:DocumentIdentification>
        <sbdh:Standard>EPCglobal</sbdh:Standard>
        <sbdh:TypeVersion>1.0</sbdh:TypeVersion>
        <sbdh:InstanceIdentifier>doc-1</sbdh:InstanceIdentifier>
        <sbdh:Type>Events</sbdh:Type>
        <sbdh:CreationDateAndTime>2025-03-02T09:00:00Z</sbdh:CreationDateAndTime>
      </sbdh:DocumentIdentification>
    </sbdh:StandardBusinessDocumentHeader>
    <extension><EPCISMasterData><VocabularyList>
      <Vocabulary type="urn:epcglobal:epcis:vtype:EPCClass"><VocabularyElementList>
        <VocabularyElement id="urn:epc:idpat:sgtin:0312345.012345.*">
          <attribute id="urn:epcglobal:cbv:mda#additionalTradeItemIdentification">12345123405</attribute>
          <attribute id="urn:epcglobal:cbv:mda#additionalTradeItemIdentificationTypeCode">FDA_NDC_11</attribute>
          <attribute id="urn:epcglobal:cbv:mda#regulatedProductName">Examplamab</attribute>
        </VocabularyElement>
      </VocabularyElementList></Vocabulary>
    </VocabularyList></EPCISMasterData></extension>
    <gs1ushc:dscsaTransactionStatement>
      <gs1ushc:affirmTransactionStatement>true</gs1ushc:affirmTransactionStatement>
    </gs1ushc:dscsaTransactionStatement>
  </EPCISHeader>
  <EPCISBody><EventList>
    <ObjectEvent>
      <eventTime>2025-03-01T08:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
      <epcList><epc>urn:epc:id:sgtin:0312345.012345.1</epc><epc>urn:epc:id:sgtin:0312345.012345.2</epc></epcList>
      <action>ADD</action><bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
      <disposition>urn:epcglobal:cbv:disp:active</disposition>
      <extension><ilmd><cbvmda:lotNumber>L1</cbvmda:lotNumber><cbvmda:itemExpirationDate>2027-06-30</cbvmda:itemExpirationDate></ilmd></extension>
    </ObjectEvent>
    <AggregationEvent>
      <eventTime>2025-03-01T08:10:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
      <parentID>urn:epc:id:sscc:0312345.1000000001</parentID>
      <childEPCs><epc>urn:epc:id:sgtin:0312345.012345.1</epc><epc>urn:epc:id:sgtin:0312345.012345.2</epc></childEPCs>
      <action>ADD</action><bizStep>urn:epcglobal:cbv:bizstep:packing</bizStep>
    </AggregationEvent>
    <ObjectEvent>
      <eventTime>2025-03-02T08:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
      <epcList><epc>urn:epc:id:sscc:0312345.1000000001</epc></epcList>
      <action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>
      <bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epcglobal:cbv:bt:0312345000004:PO-1</bizTransaction></bizTransactionList>
    </ObjectEvent>
  </EventList></EPCISBody>
</epcis:EPCISDocument>
"#;

/// The check of DOCUMENT with `from` replaced by `to`.
#[track_caller]
fn check(from: &str, to: &str, expect: &str) {
    assert!(DOCUMENT.contains(from), "{from}");
    let document = DOCUMENT.replacen(from, to, 1);
    let actual = match super::check(document.as_bytes()) {
        Ok(accepted) => {
            format!("accepted: {} events, {} shipped", accepted.events, accepted.shipped)
        }
        Err(r) => format!("{} {}: {}", r.status, r.code, r.reason),
    };
    assert_eq!(actual, expect);
}

#[test]
fn a_partner_checks_what_the_guideline_requires() {
    check("", "", "accepted: 3 events, 3 shipped");
    check(
        r#"schemaVersion="1.2""#,
        r#"schemaVersion="1.1""#,
        r#"422 schema_version_unsupported: schemaVersion Some("1.1"): EPCIS 1.2 is expected"#,
    );
    check("<?xml", "{} <?xml", "422 format_unsupported: the document is not EPCIS 1.2 XML");
    check(
        "<sbdh:Receiver><sbdh:Identifier Authority=\"GLN\">4098765000003</sbdh:Identifier></sbdh:Receiver>",
        "",
        "422 receiver_missing: the SBDH names no Receiver identifier",
    );
    check(
        ">true<",
        ">false<",
        "422 transaction_statement_missing: the header has no gs1ushc:dscsaTransactionStatement with affirmTransactionStatement true",
    );
    check(
        "<bizTransactionList><bizTransaction type=\"urn:epcglobal:cbv:btt:po\">urn:epcglobal:cbv:bt:0312345000004:PO-1</bizTransaction></bizTransactionList>",
        "",
        "422 transaction_information_missing: a shipping event has no bizTransactionList (purchase order, invoice, despatch advice)",
    );
    check(
        "FDA_NDC_11",
        "GTIN",
        "422 ndc_missing: no EPCClass master data with an NDC for GTIN 00312345123451",
    );
    check(
        "<childEPCs><epc>urn:epc:id:sgtin:0312345.012345.1</epc>",
        "<childEPCs><epc>urn:epc:id:sgtin:0312345.012345.1</epc><epc>urn:epc:id:sgtin:0312345.012345.3</epc>",
        "422 hierarchy_incomplete: shipped but never commissioned in this file: urn:epc:id:sgtin:0312345.012345.3",
    );
    check(
        "urn:epcglobal:cbv:bizstep:shipping",
        "urn:epcglobal:cbv:bizstep:receiving",
        "422 shipment_missing: the document has no shipping event",
    );
    check("<action>OBSERVE</action>", "", "422 schema_invalid: 43:5: ObjectEvent needs action");
}
