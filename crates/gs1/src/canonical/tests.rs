//! Tests of `canonical`.
use expect_test::expect;

use super::canonical_digital_link;

#[test]
fn normalises_epc_and_digital_link_forms() {
    let actual: Vec<String> = [
        "urn:epc:id:sgtin:0614141.112345.400",
        "https://brand.example.com/gtin/9506000134352/lot/AB1?17=261231",
        "urn:epc:id:sscc:0614141.1234567890",
        "urn:epc:class:lgtin:4012345.012345.998877",
        "urn:epc:idpat:grai:0614141.12345.*",
        "not an identifier",
    ]
    .iter()
    .map(|input| format!("{input} -> {:?}", canonical_digital_link(input)))
    .collect();
    expect![[r#"
        urn:epc:id:sgtin:0614141.112345.400 -> Some("https://id.gs1.org/01/10614141123459/21/400")
        https://brand.example.com/gtin/9506000134352/lot/AB1?17=261231 -> Some("https://id.gs1.org/01/09506000134352/10/AB1")
        urn:epc:id:sscc:0614141.1234567890 -> Some("https://id.gs1.org/00/106141412345678908")
        urn:epc:class:lgtin:4012345.012345.998877 -> Some("https://id.gs1.org/01/04012345123456/10/998877")
        urn:epc:idpat:grai:0614141.12345.* -> Some("https://id.gs1.org/8003/00614141123452")
        not an identifier -> None"#]]
    .assert_eq(&actual.join("\n"));
}
