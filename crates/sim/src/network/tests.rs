//! Tests of `network`: the master data, as a table, and every identifier in it checked with
//! `serialhub_gs1`.

use std::fmt::Write;

use expect_test::expect;
use serialhub_gs1::epc::parse_epc_uri;
use serialhub_gs1::lint::{Linter, lint};
use serialhub_gs1::ndc::Ndc;

use super::{Market, Network};
use crate::rng::Rng;

fn render(net: &Network) -> String {
    let mut out = String::new();
    for (idx, m) in net.manufacturers.iter().enumerate() {
        let lines = m.lines.join(" ");
        writeln!(
            out,
            "M{idx} {:?} {} {} {} {:?} {lines}",
            m.market, m.offset, m.party, m.site, m.case_label
        )
        .expect("a String takes it");
        for &p in &m.products {
            let product = &net.products[p];
            let ndc = match m.market {
                Market::Us => {
                    Ndc::from_gtin(&product.pack.gtin).expect("an NDC GTIN").digits().to_owned()
                }
                Market::Eu => "-".to_owned(),
            };
            writeln!(
                out,
                "  {} ndc={ndc} case={} {}x{} {}m {}",
                product.pack.gtin,
                product.case.gtin,
                product.case_size,
                product.cases_per_pallet,
                product.shelf_life_months,
                product.pack.lgtin("LOT")
            )
            .expect("a String takes it");
        }
    }
    for w in &net.wholesalers {
        writeln!(out, "W {:?} {} {} {}", w.market, w.offset, w.party, w.site)
            .expect("a String takes it");
    }
    for c in &net.chains {
        let sites: Vec<&str> =
            c.branches.iter().map(|&b| net.pharmacies[b].site.as_str()).collect();
        writeln!(out, "C {} {}", c.party, sites.join(" ")).expect("a String takes it");
    }
    out
}

#[test]
fn the_network() {
    let net = Network::new(&mut Rng::new(0));
    expect![[r#"
        M0 Eu +01:00 urn:epc:id:pgln:4012345.00000 urn:epc:id:sgln:4012345.00001.0 Sscc urn:epc:id:sgln:4012345.00001.1 urn:epc:id:sgln:4012345.00001.2
          04012345111118 ndc=- case=14012345111115 20x48 36m urn:epc:class:lgtin:4012345.011111.LOT
          04012345222258 ndc=- case=14012345222255 40x30 24m urn:epc:class:lgtin:4012345.022225.LOT
        M1 Eu +01:00 urn:epc:id:pgln:80012345.0000 urn:epc:id:sgln:80012345.0001.0 Sgtin urn:epc:id:sgln:80012345.0001.1
          08001234501013 ndc=- case=18001234501010 12x60 36m urn:epc:class:lgtin:80012345.00101.LOT
          08001234502027 ndc=- case=18001234502024 30x24 24m urn:epc:class:lgtin:80012345.00202.LOT
        M2 Us -05:00 urn:epc:id:pgln:0377333.00000 urn:epc:id:sgln:0377333.00001.0 Sgtin urn:epc:id:sgln:0377333.00001.1 urn:epc:id:sgln:0377333.00001.2
          00377333101309 ndc=7733310130 case=50377333101304 24x40 36m urn:epc:class:lgtin:0377333.010130.LOT
          00377333245904 ndc=7733324590 case=50377333245909 10x56 24m urn:epc:class:lgtin:0377333.024590.LOT
        M3 Us -06:00 urn:epc:id:pgln:030999.000000 urn:epc:id:sgln:030999.000001.0 Sscc urn:epc:id:sgln:030999.000001.1
          00309993105021 ndc=0999310502 case=50309993105026 36x20 24m urn:epc:class:lgtin:030999.0310502.LOT
        W Eu +01:00 urn:epc:id:pgln:4098765.00000 urn:epc:id:sgln:4098765.00001.0
        W Eu +01:00 urn:epc:id:pgln:8034567.00000 urn:epc:id:sgln:8034567.00001.0
        W Us -05:00 urn:epc:id:pgln:0614141.00000 urn:epc:id:sgln:0614141.00001.0
        W Us -06:00 urn:epc:id:pgln:0860012.00000 urn:epc:id:sgln:0860012.00001.0
        C urn:epc:id:pgln:4300011.00000 urn:epc:id:sgln:4300011.00001.0 urn:epc:id:sgln:4300011.00002.0 urn:epc:id:sgln:4300011.00003.0 urn:epc:id:sgln:4300011.00004.0 urn:epc:id:sgln:4300011.00005.0 urn:epc:id:sgln:4300011.00006.0
        C urn:epc:id:pgln:4300022.00000 urn:epc:id:sgln:4300022.00001.0 urn:epc:id:sgln:4300022.00002.0 urn:epc:id:sgln:4300022.00003.0 urn:epc:id:sgln:4300022.00004.0
        C urn:epc:id:pgln:8051133.00000 urn:epc:id:sgln:8051133.00001.0 urn:epc:id:sgln:8051133.00002.0 urn:epc:id:sgln:8051133.00003.0
        C urn:epc:id:pgln:4300044.00000 urn:epc:id:sgln:4300044.00001.0
        C urn:epc:id:pgln:8051155.00000 urn:epc:id:sgln:8051155.00001.0
        C urn:epc:id:pgln:0812345.00000 urn:epc:id:sgln:0812345.00001.0 urn:epc:id:sgln:0812345.00002.0 urn:epc:id:sgln:0812345.00003.0 urn:epc:id:sgln:0812345.00004.0 urn:epc:id:sgln:0812345.00005.0 urn:epc:id:sgln:0812345.00006.0
        C urn:epc:id:pgln:0823456.00000 urn:epc:id:sgln:0823456.00001.0 urn:epc:id:sgln:0823456.00002.0 urn:epc:id:sgln:0823456.00003.0 urn:epc:id:sgln:0823456.00004.0
        C urn:epc:id:pgln:0834567.00000 urn:epc:id:sgln:0834567.00001.0 urn:epc:id:sgln:0834567.00002.0 urn:epc:id:sgln:0834567.00003.0
        C urn:epc:id:pgln:0845678.00000 urn:epc:id:sgln:0845678.00001.0
        C urn:epc:id:pgln:0856789.00000 urn:epc:id:sgln:0856789.00001.0
    "#]]
    .assert_eq(&render(&net));
}

#[test]
fn every_identifier_is_well_formed() {
    let net = Network::new(&mut Rng::new(1));
    let mut uris = Vec::new();
    for m in &net.manufacturers {
        lint(Linter::Csum, m.gln.as_bytes()).expect("GLN check digit");
        uris.extend([m.party.clone(), m.site.clone()]);
        uris.extend(m.lines.iter().cloned());
    }
    for p in &net.products {
        for item in [&p.pack, &p.case] {
            lint(Linter::Csum, item.gtin.as_bytes()).expect("GTIN check digit");
            uris.extend([item.epc(0), item.epc(1 << 40), item.lgtin("AB12")]);
        }
    }
    for w in &net.wholesalers {
        lint(Linter::Csum, w.gln.as_bytes()).expect("GLN check digit");
        uris.extend([w.party.clone(), w.site.clone(), w.company.sscc(9, 0)]);
    }
    for c in &net.chains {
        lint(Linter::Csum, c.gln.as_bytes()).expect("GLN check digit");
        uris.push(c.party.clone());
    }
    uris.extend(net.pharmacies.iter().map(|p| p.site.clone()));
    for uri in uris {
        parse_epc_uri(&uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
    }
}

#[test]
fn markets_have_wholesalers_and_multi_branch_chains() {
    let net = Network::new(&mut Rng::new(2));
    for market in [Market::Eu, Market::Us] {
        assert!(net.wholesalers_in(market).len() >= 2);
        let pharmacies = net.pharmacies_in(market);
        assert!(pharmacies.len() >= 10);
        assert!(
            net.chains
                .iter()
                .any(|c| c.branches.len() >= 2 && net.pharmacies[c.branches[0]].market == market)
        );
    }
}
