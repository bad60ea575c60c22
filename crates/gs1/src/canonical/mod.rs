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
    // An EPC URI's canonical link is at most a few bytes longer (`https://id.gs1.org/01/`
    // against `urn:epc:id:sgtin:`, plus the check digit): one allocation, not four doublings.
    let mut out = String::with_capacity(input.len() + 16);
    canonical_digital_link_into(input, &mut out).then_some(out)
}

/// As [`canonical_digital_link`], appending to `out`; returns false (and leaves `out` as it
/// was) when `input` is not a GS1 identifier. The SGTIN, SSCC and SGLN EPC URIs that make up
/// nearly all event data take an allocation-free path.
pub fn canonical_digital_link_into(input: &str, out: &mut String) -> bool {
    if fast_epc(input, out) {
        return true;
    }
    match general(input) {
        Some(s) => {
            out.push_str(&s);
            true
        }
        None => false,
    }
}

/// [`canonical_digital_link_into`] for runs of SGTINs of one GTIN, the common shape of an
/// event's EPC list: the GTIN part of the last SGTIN is remembered, so the next one with the
/// same company prefix and item reference only needs its serial checked and copied.
#[derive(Clone, Debug, Default)]
pub struct CanonicalCache {
    /// `urn:epc:id:sgtin:<cp>.<ir>.` of the last SGTIN converted.
    epc_prefix: String,
    /// `https://id.gs1.org/01/<gtin>/21/` for it.
    dl_prefix: String,
}

impl CanonicalCache {
    /// As [`canonical_digital_link_into`].
    pub fn push(&mut self, input: &str, out: &mut String) -> bool {
        if !self.epc_prefix.is_empty()
            && let Some(serial) = input.strip_prefix(self.epc_prefix.as_str())
            && plain_serial(serial)
        {
            out.push_str(&self.dl_prefix);
            out.push_str(serial);
            return true;
        }
        let start = out.len();
        if !canonical_digital_link_into(input, out) {
            return false;
        }
        // Remember the GTIN part of a plain SGTIN for the next call.
        if let Some(body) = input.strip_prefix("urn:epc:id:sgtin:") {
            // The serial starts after the second dot of the body (a serial may hold dots).
            let second_dot = body.find('.').and_then(|d1| {
                body[d1 + 1..].find('.').map(|d2| "urn:epc:id:sgtin:".len() + d1 + 1 + d2)
            });
            if let (Some(dot), Some(cut)) = (second_dot, out[start..].rfind("/21/"))
                && plain_serial(&input[dot + 1..])
            {
                self.epc_prefix.clear();
                self.epc_prefix.push_str(&input[..=dot]);
                self.dl_prefix.clear();
                self.dl_prefix.push_str(&out[start..start + cut + 4]);
            }
        }
        true
    }
}

/// A serial the fast path copies as it is: the characters EPC URIs and the canonical form
/// both write bare, at most 20 of them.
fn plain_serial(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 20
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// Digits of a GS1 key (given in parts) with its check digit appended.
fn push_key_with_check(out: &mut String, parts: &[&[u8]]) {
    let mut key = [0u8; 18];
    let mut n = 0;
    for part in parts {
        let take = part.len().min(17 - n);
        key[n..n + take].copy_from_slice(&part[..take]);
        n += take;
    }
    // Weights 3, 1, 3, ... from the rightmost data digit: position i (from the left) of n
    // digits has weight 3 when n - i is odd.
    let mut sum = 0u32;
    for (i, d) in key[..n].iter().enumerate() {
        let w = if (n - i) % 2 == 1 { 3 } else { 1 };
        sum += u32::from(d.wrapping_sub(b'0')) * w;
    }
    key[n] = b'0' + ((10 - sum % 10) % 10) as u8;
    // Only ASCII digits were written (callers check), so this cannot fail.
    out.push_str(std::str::from_utf8(&key[..=n]).unwrap_or_default());
}

/// A plain SGTIN, SSCC or SGLN pure-identity URI, split into its fields: the shape nearly all
/// event data takes, which both the canonical form and the validator read without a full parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlainEpc<'a> {
    /// `urn:epc:id:sgtin:<cp>.<indicator and item reference>.<serial>`
    Sgtin { cp: &'a str, ir: &'a str, serial: &'a str },
    /// `urn:epc:id:sscc:<cp>.<extension digit and serial reference>`
    Sscc { cp: &'a str, sr: &'a str },
    /// `urn:epc:id:sgln:<cp>.<location reference>.<extension>`
    Sgln { cp: &'a str, lr: &'a str, ext: &'a str },
}

impl<'a> PlainEpc<'a> {
    /// `urn:epc:id:sgtin|sscc|sgln:` with digits where TDS puts digits, the key's length
    /// right, and plain characters only (no escapes, at most 20 in a serial or extension);
    /// `None` for anything else, which the general paths read and report.
    pub(crate) fn parse(input: &'a str) -> Option<PlainEpc<'a>> {
        let rest = input.strip_prefix("urn:epc:id:")?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let fields = |scheme: &str| -> Option<(&'a str, &'a str, Option<&'a str>)> {
            let body = rest.strip_prefix(scheme)?.strip_prefix(':')?;
            // The fields are short: a byte loop beats a searcher's set-up here.
            let d1 = body.bytes().position(|c| c == b'.')?;
            let after = &body[d1 + 1..];
            Some(match after.bytes().position(|c| c == b'.') {
                Some(d2) => (&body[..d1], &after[..d2], Some(&after[d2 + 1..])),
                None => (&body[..d1], after, None),
            })
        };
        if let Some((cp, ir, Some(serial))) = fields("sgtin") {
            let ok = digits(cp) && digits(ir) && cp.len() >= 6 && cp.len() + ir.len() == 13;
            return (ok && plain_serial(serial)).then_some(PlainEpc::Sgtin { cp, ir, serial });
        }
        if let Some((cp, sr, None)) = fields("sscc") {
            let ok = digits(cp) && digits(sr) && cp.len() >= 6 && cp.len() + sr.len() == 17;
            return ok.then_some(PlainEpc::Sscc { cp, sr });
        }
        if let Some((cp, lr, Some(ext))) = fields("sgln") {
            let ok = digits(cp)
                && (digits(lr) || lr.is_empty())
                && cp.len() >= 6
                && cp.len() + lr.len() == 12;
            return (ok && plain_serial(ext)).then_some(PlainEpc::Sgln { cp, lr, ext });
        }
        None
    }

    /// The GS1 Company Prefix.
    pub(crate) fn company_prefix(self) -> &'a str {
        match self {
            PlainEpc::Sgtin { cp, .. } | PlainEpc::Sscc { cp, .. } | PlainEpc::Sgln { cp, .. } => {
                cp
            }
        }
    }
}

/// The canonical form of a plain EPC (`PlainEpc`), without a parse or an allocation.
fn fast_epc(input: &str, out: &mut String) -> bool {
    match PlainEpc::parse(input) {
        Some(PlainEpc::Sgtin { cp, ir, serial }) => {
            let (ir, cp) = (ir.as_bytes(), cp.as_bytes());
            out.push_str(DEFAULT_STEM);
            out.push_str("/01/");
            push_key_with_check(out, &[&ir[..1], cp, &ir[1..]]);
            out.push_str("/21/");
            out.push_str(serial);
        }
        Some(PlainEpc::Sscc { cp, sr }) => {
            let (sr, cp) = (sr.as_bytes(), cp.as_bytes());
            out.push_str(DEFAULT_STEM);
            out.push_str("/00/");
            push_key_with_check(out, &[&sr[..1], cp, &sr[1..]]);
        }
        Some(PlainEpc::Sgln { cp, lr, ext }) => {
            out.push_str(DEFAULT_STEM);
            out.push_str("/414/");
            push_key_with_check(out, &[cp.as_bytes(), lr.as_bytes()]);
            if ext != "0" {
                out.push_str("/254/");
                out.push_str(ext);
            }
        }
        None => return false,
    }
    true
}

fn general(input: &str) -> Option<String> {
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
