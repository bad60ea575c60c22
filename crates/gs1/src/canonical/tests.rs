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

/// The allocation-free EPC path must agree with the general one on every input it takes.
#[test]
fn fast_epc_path_agrees_with_the_general_path() {
    let mut inputs = Vec::new();
    for cp_len in 6..=12 {
        let cp: String = "4012345678901".chars().take(cp_len).collect();
        let ir: String = "1234567890123".chars().take(13 - cp_len).collect();
        let sr: String = "98765432109876543".chars().take(17 - cp_len).collect();
        let lr: String = "210987654321".chars().take(12 - cp_len).collect();
        for serial in ["1", "0", "ABC-12_x.y", "00000000000000000009", "X"] {
            inputs.push(format!("urn:epc:id:sgtin:{cp}.{ir}.{serial}"));
            inputs.push(format!("urn:epc:id:sgln:{cp}.{lr}.{serial}"));
        }
        inputs.push(format!("urn:epc:id:sscc:{cp}.{sr}"));
        inputs.push(format!("urn:epc:id:sgln:{cp}.{lr}.0"));
    }
    // Shapes the fast path must refuse and leave to the general one.
    inputs.extend(
        [
            "urn:epc:id:sgtin:4012345.012345.a%2Fb",
            "urn:epc:id:sgtin:4012345.01234.1",
            "urn:epc:id:sgtin:40123.0123456.1",
            "urn:epc:id:sscc:4012345.000000011",
            "urn:epc:id:sgtin:4012345.012345.123456789012345678901",
        ]
        .map(str::to_owned),
    );
    let mut taken = 0;
    let mut cache = super::CanonicalCache::default();
    for input in &inputs {
        let mut fast = String::new();
        let took = super::fast_epc(input, &mut fast);
        let general = super::general(input);
        if took {
            taken += 1;
            assert_eq!(Some(&fast), general.as_ref(), "{input}");
        }
        // The cache answers like the general path, twice in a row (second time from cache).
        for _ in 0..2 {
            let mut cached = String::new();
            let ok = cache.push(input, &mut cached);
            assert_eq!(ok.then_some(&cached), general.as_ref(), "{input}");
        }
    }
    assert!(inputs.len() > 60);
    assert!(taken > 50, "the fast path took only {taken} inputs");
}

/// A dotted serial first in a run must not make the cache remember too long a prefix.
// See: review of 2026-11-24 (the cache cut the prefix at the serial's last dot).
#[test]
fn cache_handles_serials_with_dots() {
    let mut cache = super::CanonicalCache::default();
    for input in [
        "urn:epc:id:sgtin:0614141.112345.A.1",
        "urn:epc:id:sgtin:0614141.112345.A.2",
        "urn:epc:id:sgtin:0614141.112345.B",
        "urn:epc:id:sgtin:0614141.112345.x.y.z",
    ] {
        let mut cached = String::new();
        assert!(cache.push(input, &mut cached));
        assert_eq!(Some(cached), super::general(input), "{input}");
    }
}
