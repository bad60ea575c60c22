//! Black-box tests of verification: the VRS responder in both request forms and
//! `checkConnectivity`, the resolver, the consumer check and its anti-harvesting limits, the
//! pharmacy operations, and clone and diversion findings reaching the workbench.

use serde_json::{Value, json};

use super::{NOW, PARTY_A, PARTY_B, Server, create_key, document, sgtin, temp_dir};

const GTIN: &str = "04012345111118";
const PARTY_C: &str = "4000001000005";
const PARTY_D: &str = "4000002000004";
const PARTY_E: &str = "4000003000003";

fn at(day: u32, hour: u32) -> String {
    format!("2025-01-{day:02}T{hour:02}:00:00Z")
}

fn commission(serials: &[u32], lot: &str, expiry: &str) -> Value {
    json!({
        "@context": [{"cbvmda": "urn:epcglobal:cbv:mda:"}],
        "type": "ObjectEvent", "eventTime": at(2, 8), "eventTimeZoneOffset": "+00:00",
        "epcList": serials.iter().map(|s| sgtin(*s)).collect::<Vec<_>>(),
        "action": "ADD", "bizStep": "commissioning", "disposition": "active",
        "bizLocation": {"id": "urn:epc:id:sgln:4012345.00000.0"},
        "ilmd": {"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": expiry},
    })
}

fn observe(serials: &[u32], hour: u32, biz_step: &str, disposition: &str, location: &str) -> Value {
    let mut event = json!({
        "type": "ObjectEvent", "eventTime": at(3, hour), "eventTimeZoneOffset": "+00:00",
        "epcList": serials.iter().map(|s| sgtin(*s)).collect::<Vec<_>>(),
        "action": "OBSERVE", "bizStep": biz_step, "disposition": disposition,
        "bizLocation": {"id": location},
    });
    if biz_step == "shipping" {
        event["destinationList"] =
            json!([{"type": "owning_party", "destination": "urn:epc:id:pgln:4098765.00000"}]);
    }
    event
}

fn recall(lot: &str) -> Value {
    json!({
        "type": "ObjectEvent", "eventTime": at(4, 8), "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE", "bizStep": "holding",
        "quantityList": [{"epcClass": format!("urn:epc:class:lgtin:4012345.011111.{lot}"), "quantity": 1}],
        "persistentDisposition": {"set": ["recalled"]},
    })
}

fn vrs(serial: u32, lot: &str, exp: &str, gln: &str) -> String {
    format!(
        "/verify/gtin/{GTIN}/lot/{lot}/ser/{serial}?exp={exp}&reqGLN={gln}&corrUUID=c0ffee00-0000-4000-8000-000000000001&context=dscsaSaleableReturn"
    )
}

/// Serial 1 to 9: lot L1, expiry 2027-06-30, shipped to and received by B; serial 5 is
/// dispensed at B; 20 and 21: lot L2, recalled; 30: made, never shipped.
fn supply_chain(server: &Server, admin: &str) {
    let b_site = "urn:epc:id:sgln:4098765.00000.0";
    let events = vec![
        commission(&[1, 2, 3, 4, 5, 6, 7, 8, 9], "L1", "2027-06-30"),
        commission(&[20, 21], "L2", "2027-06-30"),
        commission(&[30], "L1", "2027-06-30"),
        commission(&[40], "L4", "2025-05-31"),
        observe(
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21],
            9,
            "shipping",
            "in_transit",
            "urn:epc:id:sgln:4012345.00000.0",
        ),
        observe(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21], 12, "receiving", "in_progress", b_site),
        observe(&[5], 15, "dispensing", "dispensed", b_site),
        observe(&[40], 9, "shipping", "in_transit", "urn:epc:id:sgln:4012345.00000.0"),
        observe(&[40], 12, "receiving", "in_progress", b_site),
        observe(&[40], 16, "dispensing", "dispensed", b_site),
        recall("L2"),
    ];
    let job = server.capture(admin, &document(&events), "rollback");
    assert_eq!(job["success"], true, "{job}");
}

#[test]
fn verification_for_partners_the_public_and_pharmacies() {
    verification_scenario("verify", &[]);
}

/// The same on the PostgreSQL store (the server on this machine kind, or
/// `SERIALHUB_TEST_POSTGRES`), in a schema of its own.
#[test]
fn verification_on_postgresql() {
    let schema = crate::PgSchema::new("verify_it");
    let store = schema.store_url();
    verification_scenario("verify-pg", &["--postgres", &store]);
}

fn verification_scenario(name: &str, store: &[&str]) {
    let data = temp_dir(name);
    std::fs::write(
        data.join("serialhub.toml"),
        r#"
[verify]
responder_gln = "4012345000009"
[verify.limits]
address_per_minute = 60
address_burst = 10
[[verify.link]]
gtin_prefix = "0401234"
link_type = "gs1:epil"
href = "https://example.com/leaflet.pdf"
title = "Patient information leaflet"
"#,
    )
    .expect("config");
    let admin = create_key(&data, "admin", "admin", None);
    let partner_b = create_key(&data, "wholesaler-b", "verify", Some(PARTY_B));
    let unbound = create_key(&data, "unbound", "verify", None);
    let capture = create_key(&data, "line", "capture", Some(PARTY_A));
    let config = data.join("serialhub.toml");
    let secret = "0123456789abcdef0123456789abcdef";
    let mut args = vec!["--config", config.to_str().expect("utf-8")];
    args.extend_from_slice(store);
    let server = Server::start_args(&data, &[("SERIALHUB_JWT__HS256_SECRET", secret)], true, &args);
    supply_chain(&server, &admin);

    // The responder: verified, and each standard failure reason.
    let reply = server.get(&vrs(1, "L1", "270630", PARTY_B), Some(&partner_b));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["data"], json!({"verified": true}), "{body}");
    assert_eq!(body["responderGLN"], PARTY_A);
    assert_eq!(body["corrUUID"], "c0ffee00-0000-4000-8000-000000000001");
    assert_eq!(body["verificationTimestamp"], "2025-06-01T00:00:00.000Z");
    let cases = [
        (
            2,
            "L9",
            "270630",
            json!({"verified": false, "verificationFailureReason": "No_match_GTIN_Serial_Lot"}),
        ),
        (
            2,
            "L1",
            "270629",
            json!({"verified": false, "verificationFailureReason": "No_match_GTIN_Serial_Expiry"}),
        ),
        (
            2,
            "L9",
            "280101",
            json!({"verified": false, "verificationFailureReason": "No_match_GTIN_Serial_Lot_Expiry"}),
        ),
        (
            999,
            "L1",
            "270630",
            json!({"verified": false, "verificationFailureReason": "No_match_GTIN_Serial"}),
        ),
        (20, "L2", "270630", json!({"verified": true, "additionalInfo": "recalled"})),
        (2, "L1", "270600", json!({"verified": true})),
    ];
    for (serial, lot, exp, expected) in cases {
        let reply = server.get(&vrs(serial, lot, exp, PARTY_B), Some(&partner_b));
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["data"], expected, "serial {serial} lot {lot} exp {exp}");
    }
    // The Lightweight Verification Messaging form, through the resolver.
    let lvm = format!(
        "/01/{GTIN}/10/L1/21/3?17=270630&linkType=gs1:verificationService&context=dscsaSaleableReturn&reqGLN={PARTY_B}&corrUUID=abc-1"
    );
    let reply = server.get(&lvm, Some(&partner_b));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["data"], json!({"verified": true}));
    assert_eq!(reply.json()["corrUUID"], "abc-1");

    // A JWT from the identity provider: the verify role, bound to B's GLN.
    let claims = |party: &str| json!({"sub": "b-returns", "role": "verify", "party": party, "exp": 1_900_000_000});
    let jwt_b = super::hs256_token(secret, &claims(PARTY_B));
    let reply = server.get(&vrs(1, "L1", "270630", PARTY_B), Some(&jwt_b));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["data"], json!({"verified": true}));
    let jwt_c = super::hs256_token(secret, &claims(PARTY_C));
    assert_eq!(server.get(&vrs(1, "L1", "270630", PARTY_B), Some(&jwt_c)).status, 403);

    // Requesters: unknown 401, not permitted 403, incomplete 400.
    assert_eq!(server.get(&vrs(1, "L1", "270630", PARTY_B), None).status, 401);
    assert_eq!(server.get(&vrs(1, "L1", "270630", PARTY_B), Some("shk_nobody_secret")).status, 401);
    assert_eq!(
        server.get(&vrs(1, "L1", "270630", PARTY_C), Some(&partner_b)).status,
        403,
        "another's GLN"
    );
    assert_eq!(
        server.get(&vrs(1, "L1", "270630", PARTY_B), Some(&unbound)).status,
        403,
        "bound to no GLN"
    );
    assert_eq!(
        server.get(&vrs(1, "L1", "270630", PARTY_B), Some(&capture)).status,
        403,
        "no verify role"
    );
    assert_eq!(
        server.get(&vrs(1, "L1", "270630", PARTY_C), Some(&admin)).status,
        200,
        "an admin asks for anyone"
    );
    let no_exp = format!("/verify/gtin/{GTIN}/lot/L1/ser/1?reqGLN={PARTY_B}");
    let reply = server.get(&no_exp, Some(&partner_b));
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body.contains("exp is empty"), "{}", reply.body);
    let connectivity =
        format!("/checkConnectivity?gtin={GTIN}&reqGLN={PARTY_B}&context=dscsaSaleableReturn");
    assert_eq!(server.get(&connectivity, Some(&partner_b)).status, 200);
    assert_eq!(server.get(&connectivity, None).status, 401);
    assert_eq!(server.get(&connectivity, Some("shk_nobody_secret")).status, 401);
    assert_eq!(server.get(&connectivity.replace(PARTY_B, PARTY_C), Some(&partner_b)).status, 403);

    // The resolver: the page for a browser, the link set, a configured link.
    let reply = server.get_with(
        &format!("/01/{GTIN}/10/L1/21/1?17=270630"),
        &admin,
        ("Accept", "text/html"),
    );
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    assert!(
        reply.header("content-security-policy").is_some_and(|c| c.contains("script-src 'self'"))
    );
    assert!(
        reply.header("link").is_some_and(|l| l.contains("rel=\"linkset\"")),
        "{:?}",
        reply.header("link")
    );
    let reply = server.get(&format!("/01/{GTIN}/21/1?linkType=all"), None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let set = &reply.json()["linkset"][0];
    assert!(set["https://gs1.org/voc/verificationService"].is_array(), "{set}");
    assert_eq!(set["https://gs1.org/voc/epil"][0]["href"], "https://example.com/leaflet.pdf");
    let no_redirects: ureq::Agent =
        ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
    let reply = no_redirects
        .get(format!("{}/01/{GTIN}?linkType=gs1:epil", server.base))
        .call()
        .expect("an answer");
    assert_eq!(reply.status(), 307);
    assert_eq!(
        reply.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("https://example.com/leaflet.pdf")
    );
    assert_eq!(server.get(&format!("/01/{GTIN}?linkType=gs1:smpc"), None).status, 404);
    assert_eq!(server.get("/01/04012345111119/21/1", None).status, 400, "a bad check digit");

    // The consumer check: one shape for every answer, a mismatch is unknown.
    let check = |code: &str| {
        let reply = server.get(&format!("/api/consumer/check?code={}", percent(code)), None);
        (reply.status, if reply.status == 200 { reply.json() } else { Value::Null }, reply)
    };
    let (status, genuine, _) = check(&format!("(01){GTIN}(17)270630(10)L1(21)1"));
    assert_eq!(status, 200);
    assert_eq!(genuine["status"], "genuine", "{genuine}");
    assert_eq!(genuine["code"]["expiry"], "2027-06-30");
    let (_, wrong_lot, _) = check(&format!("(01){GTIN}(17)270630(10)L2(21)1"));
    let (_, unknown, _) = check(&format!("(01){GTIN}(17)270630(10)L1(21)777"));
    for answer in [&wrong_lot, &unknown] {
        assert_eq!(answer["status"], "unknown", "{answer}");
        let keys: Vec<&String> = answer.as_object().expect("an object").keys().collect();
        let genuine_keys: Vec<&String> = genuine.as_object().expect("an object").keys().collect();
        assert_eq!(keys, genuine_keys, "the same shape");
    }
    let (_, dispensed, _) = check(&format!("(01){GTIN}(17)270630(10)L1(21)5"));
    assert_eq!(dispensed["status"], "dispensed");
    let (_, recalled, _) = check(&format!("https://id.gs1.org/01/{GTIN}/10/L2/21/21?17=270630"));
    assert_eq!(recalled["status"], "recalled");
    let (_, unshipped, _) = check(&format!("/01/{GTIN}/10/L1/21/30?17=270630"));
    assert_eq!(unshipped["status"], "not_in_circulation", "made in January, never shipped");
    let (status, _, reply) = check(&format!("(01){GTIN}(10)L1(21)1"));
    assert_eq!(status, 400);
    assert!(reply.body.contains("no expiry date (17)"), "{}", reply.body);
    assert!(
        !genuine.to_string().contains(PARTY_B) && !genuine.to_string().contains("4098765"),
        "no party: {genuine}"
    );

    // Harvesting: random serials from one address are throttled after the burst (10, of
    // which 6 were spent above; the clock is pinned, so nothing refills) and learn nothing.
    let mut answered = Vec::new();
    let mut throttled = 0;
    for serial in 1000..1100 {
        let (status, answer, reply) = check(&format!("(01){GTIN}(17)270630(10)L1(21){serial}"));
        match status {
            200 => answered.push(answer["status"].as_str().unwrap_or_default().to_owned()),
            429 => {
                throttled += 1;
                assert!(
                    reply
                        .header("retry-after")
                        .is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s >= 1))
                );
            }
            other => panic!("{other}: {}", reply.body),
        }
    }
    assert_eq!(answered.len(), 4, "within the burst: {answered:?}");
    assert!(answered.iter().all(|s| s == "unknown"), "{answered:?}");
    assert_eq!(throttled + answered.len(), 100);

    // Pharmacy operations at B: verify, dispense, a second dispense refused, undo, decommission.
    let op = |operation: &str, body: Value| {
        let reply = server.post(
            &format!("/api/packs/{operation}"),
            Some(&partner_b),
            "application/json",
            body.to_string().as_bytes(),
            &[],
        );
        let json = serde_json::from_str::<Value>(&reply.body).unwrap_or(Value::Null);
        (reply.status, json)
    };
    let code = |serial: u32| format!("(01){GTIN}(17)270630(10)L1(21){serial}");
    let (status, verified) = op("verify", json!({"code": code(6)}));
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["canDispense"], true, "{verified}");
    assert_eq!(verified["status"], "received");
    let (status, dispensed) = op("dispense", json!({"code": code(6)}));
    assert_eq!(status, 200, "{dispensed}");
    assert_eq!(dispensed["pack"]["status"], "dispensed", "{dispensed}");
    assert_eq!(dispensed["exceptions"], 0);
    assert_eq!(dispensed["pack"]["undoUntil"], "2025-06-11T00:00:00.000Z");
    let (status, again) = op("dispense", json!({"code": code(6)}));
    assert_eq!(status, 409, "{again}");
    assert!(
        again["detail"].as_str().is_some_and(|d| d.starts_with("already_dispensed")),
        "{again}"
    );
    let (status, elsewhere) =
        op("undo", json!({"code": code(6), "location": "urn:epc:id:sgln:4098765.00000.7"}));
    assert_eq!(status, 409, "an undo happens where the pack was dispensed: {elsewhere}");
    let (status, undone) = op("undo", json!({"code": code(6)}));
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["pack"]["status"], "received", "{undone}");
    let (status, recalled) =
        op("dispense", json!({"code": format!("(01){GTIN}(17)270630(10)L2(21)20")}));
    assert_eq!(status, 409, "{recalled}");
    let (status, stolen) = op("decommission", json!({"code": code(7), "reason": "stolen"}));
    assert_eq!(status, 200, "{stolen}");
    assert_eq!(stolen["pack"]["status"], "decommissioned:stolen");
    let (status, never) = op("undo", json!({"code": code(7)}));
    assert_eq!(status, 409, "stolen is never undone: {never}");
    let (status, unknown) = op("undo", json!({"code": code(999)}));
    assert_eq!(status, 409, "an unknown pack is never put back: {unknown}");
    let expired = format!("(01){GTIN}(17)250531(10)L4(21)40");
    let (status, late) = op("undo", json!({"code": expired}));
    assert_eq!(status, 409, "{late}");
    assert!(late["detail"].as_str().is_some_and(|d| d.contains("expired")), "{late}");
    let (status, bad) = op("decommission", json!({"code": code(8), "reason": "lost"}));
    assert_eq!(status, 400, "{bad}");
    let (status, other_site) =
        op("dispense", json!({"code": code(8), "location": "urn:epc:id:sgln:4012345.00000.0"}));
    assert_eq!(status, 403, "a partner acts at its own sites: {other_site}");

    // Findings: serial 9 verified by four partner sites is a clone; a return by a partner the
    // pack was never shipped to is a diversion. Both reach the workbench as F12.
    // The admin asks on each partner's behalf (it may name any requester GLN).
    for gln in [PARTY_B, PARTY_C, PARTY_D, PARTY_E] {
        let reply = server.get(&vrs(9, "L1", "270630", gln), Some(&admin));
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let f12 = wait_for(&server, &admin, "F12", &["clone_suspected", "return_not_sold_to_returner"]);
    let codes: Vec<&str> = f12.iter().filter_map(|e| e["code"].as_str()).collect();
    assert!(codes.contains(&"clone_suspected"), "{codes:?}");
    assert!(
        codes.contains(&"return_not_sold_to_returner"),
        "C, D and E never bought serial 9: {codes:?}"
    );
    assert!(
        !codes.contains(&"verified_after_dispense"),
        "the pharmacy that dispensed serial 6 checking it again is no finding: {codes:?}"
    );
    let clone = f12.iter().find(|e| e["code"] == "clone_suspected").expect("the clone");
    let id = clone["id"].as_str().expect("an id");
    assert!(id.starts_with('a'), "{id}");
    let detail = server.get(&format!("/api/exceptions/{id}"), Some(&admin)).json();
    assert_eq!(
        detail["evidence"]["evidence"]["sightings"].as_array().map(Vec::len),
        Some(4),
        "{detail}"
    );
    assert_eq!(detail["source"], "verification");
    let metrics = server.get("/metrics", Some(&admin)).body;
    assert!(metrics.contains("serialhub_verify_consumer_total{status=\"genuine\"} 1"), "{metrics}");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("serialhub_verify_throttled_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );
    let _ = NOW;
}

/// The exceptions of `type_` once one of each of `codes` is there (findings are recorded off
/// the request's path, so they may arrive in any order), within 20 s.
fn wait_for(server: &Server, admin: &str, type_: &str, codes: &[&str]) -> Vec<Value> {
    #[allow(clippy::disallowed_methods)]
    let started = std::time::Instant::now();
    loop {
        let reply = server.get(&format!("/api/exceptions?type={type_}"), Some(admin));
        assert_eq!(reply.status, 200, "{}", reply.body);
        let rows = reply.json()["exceptions"].as_array().cloned().unwrap_or_default();
        let all = codes.iter().all(|c| rows.iter().any(|r| r["code"] == *c));
        if all || started.elapsed() > std::time::Duration::from_secs(20) {
            return rows;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn percent(text: &str) -> String {
    serialhub_verify::directory::percent_encode(text)
}

#[test]
fn a_wholesaler_asks_the_manufacturers_verification_service() {
    // The manufacturer (A) runs a responder; the wholesaler (B) asks it through its directory.
    let maker = temp_dir("verify-maker");
    std::fs::write(maker.join("serialhub.toml"), "[verify]\nresponder_gln = \"4012345000009\"\n")
        .expect("config");
    let maker_admin = create_key(&maker, "admin", "admin", None);
    let b_at_maker = create_key(&maker, "wholesaler-b", "verify", Some(PARTY_B));
    let config = maker.join("serialhub.toml");
    let responder =
        Server::start_args(&maker, &[], true, &["--config", config.to_str().expect("utf-8")]);
    supply_chain(&responder, &maker_admin);

    let wholesaler = temp_dir("verify-wholesaler");
    std::fs::write(
        wholesaler.join("serialhub.toml"),
        format!(
            r#"
[verify.requester]
our_gln = "{PARTY_B}"
timeout_ms = 5000
[[verify.requester.directory]]
prefix = "0401234"
url = "{}"
responder_gln = "{PARTY_A}"
token = "{b_at_maker}"
"#,
            responder.base
        ),
    )
    .expect("config");
    let clerk = create_key(&wholesaler, "returns-clerk", "verify", Some(PARTY_B));
    let w_admin = create_key(&wholesaler, "admin", "admin", None);
    let partner = create_key(&wholesaler, "a-customer", "verify", Some(PARTY_C));
    let config = wholesaler.join("serialhub.toml");
    let requester =
        Server::start_args(&wholesaler, &[], true, &["--config", config.to_str().expect("utf-8")]);
    let ask = |code: &str| {
        let reply =
            requester.get(&format!("/api/requests/verify?code={}", percent(code)), Some(&clerk));
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    };
    let first = ask(&format!("(01){GTIN}(17)270630(10)L1(21)4"));
    assert_eq!(first["result"], "answered", "{first}");
    assert_eq!(first["verified"], true, "{first}");
    assert_eq!(first["cached"], false);
    assert_eq!(first["responderGLN"], PARTY_A);
    let again = ask(&format!("(01){GTIN}(17)270630(10)L1(21)4"));
    assert_eq!(again["cached"], true, "{again}");
    let wrong = ask(&format!("(01){GTIN}(17)270630(10)L7(21)4"));
    assert_eq!(wrong["verified"], false, "{wrong}");
    assert_eq!(wrong["verificationFailureReason"], "No_match_GTIN_Serial_Lot");
    // The manufacturer does not verify the returned pack: an F8 exception in our workbench.
    let f8 = wait_for(&requester, &w_admin, "F8", &["return_not_verified"]);
    let finding = f8.iter().find(|e| e["code"] == "return_not_verified").expect("raised");
    assert_eq!(finding["partner"], PARTY_A, "{finding}");
    let elsewhere = ask("(01)09506000134352(17)270630(10)L1(21)4");
    assert_eq!(elsewhere["result"], "not_in_directory", "{elsewhere}");
    let reply = requester.get("/api/requests/verify?code=%2801%2904012345111118", Some(&clerk));
    assert_eq!(reply.status, 400, "an incomplete code: {}", reply.body);
    let code = percent(&format!("(01){GTIN}(17)270630(10)L1(21)4"));
    let reply = requester.get(&format!("/api/requests/verify?code={code}"), Some(&partner));
    assert_eq!(
        reply.status, 403,
        "a trading partner's key asks nothing in our name: {}",
        reply.body
    );
}
