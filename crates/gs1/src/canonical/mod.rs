//! The constrained canonical GS1 Digital Link URI that the EPCIS 2.0 event hash (CBV 2.0
//! section 8.9) uses for identifiers: `https://id.gs1.org/`, numeric AIs, the primary key and
//! only the qualifiers that make up the identity, no query string.
//!
//! Both EPC URIs (pure identity, LGTIN class and `idpat` patterns) and Digital Link URIs in any
//! form (any domain, convenience alphas, zero-suppressed GTINs) normalise to it.

use crate::ai_data::{AiData, Options};
use crate::digital_link::DEFAULT_STEM;

/// The canonical Digital Link for an identifier, or `None` when `input` is not a GS1 identifier
/// (the event hash then keeps the value as it is).
pub fn canonical_digital_link(input: &str) -> Option<String> {
    let opts = Options {
        permit_convenience_alphas: true,
        permit_zero_suppressed_gtin: true,
        validate_requisites: false,
        // The reference normaliser checks structure, not check digits (one of its vectors,
        // `/01/040123451234`, has a wrong one); the hash must match it byte for byte.
        verify_check_digits: false,
        ..Options::default()
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(pattern) = input.strip_prefix("urn:epc:idpat:") {
        pairs = idpat_key(pattern)?;
    } else if input.starts_with("urn:epc:") {
        let epc = crate::epc::parse_epc_uri(input).ok()?;
        pairs.extend(epc.ais.into_iter().map(|(ai, v)| (ai.to_owned(), v)));
    } else if crate::digital_link::looks_like_digital_link(input) {
        let mut data = AiData::default();
        crate::digital_link::digital_link_into(&mut data, input, &opts).ok()?;
        pairs.extend(data.iter().map(|(ai, v)| (ai.as_str().to_owned(), v.to_owned())));
    } else {
        return None;
    }
    let dictionary = opts.dictionary;
    let (key, key_value) =
        pairs.iter().find(|(ai, _)| dictionary.get(ai).is_some_and(|s| s.dl_pkey.is_some()))?;
    let spec = dictionary.get(key).expect("found above");
    let has = |ai: &str| pairs.iter().find(|(a, _)| a == ai).map(|(_, v)| v.as_str());
    let mut out = format!("{DEFAULT_STEM}/{key}/");
    percent_encode(key_value, &mut out);
    // For trade items a serial identifies the instance and supersedes lot and CPV; a lot
    // identifies the class instance and supersedes CPV. Other keys keep their qualifiers.
    let identity: Vec<&str> = match key.as_str() {
        "01" | "8006" => {
            if has("21").is_some() {
                vec!["21"]
            } else if has("235").is_some() {
                vec!["235"]
            } else if has("10").is_some() {
                vec!["10"]
            } else {
                vec![]
            }
        }
        _ => spec.dl_pkey.into_iter().flatten().flat_map(|alt| alt.iter().copied()).collect(),
    };
    for qualifier in identity {
        if let Some(value) = has(qualifier) {
            out.push('/');
            out.push_str(qualifier);
            out.push('/');
            percent_encode(value, &mut out);
        }
    }
    Some(out)
}

/// The key (without serial) that an EPC pattern URI such as `sgtin:4012345.012345.*` names.
fn idpat_key(pattern: &str) -> Option<Vec<(String, String)>> {
    let (scheme, body) = pattern.split_once(':')?;
    let body = body.strip_suffix(".*")?;
    // Parse the pattern as the identity with a placeholder serial (`1`, valid in every scheme),
    // then drop the serial.
    let placeholder = format!("urn:epc:id:{scheme}:{body}.1");
    let epc = crate::epc::parse_epc_uri(&placeholder).ok()?;
    let mut pairs = Vec::new();
    for (ai, value) in epc.ais {
        match ai {
            "21" | "235" | "8011" => {}
            // GDTI and GCN carry the serial inside the key's value after 13 digits, GRAI
            // after 14 (a leading zero and the 13-digit asset type).
            "253" | "255" => pairs.push((ai.to_owned(), value.get(..13)?.to_owned())),
            "8003" => pairs.push((ai.to_owned(), value.get(..14)?.to_owned())),
            _ => pairs.push((ai.to_owned(), value)),
        }
    }
    Some(pairs)
}

#[cfg(test)]
mod tests;

/// Percent-encodes a value the way the reference event hash generator does: it keeps the
/// characters an EPC URI may carry bare, so `'`, `;` and `=` stay literal, unlike the GS1
/// Digital Link encoder (see crates/epcis/HASH-NOTES.md).
fn percent_encode(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'\'' | b';' | b'=') {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}
