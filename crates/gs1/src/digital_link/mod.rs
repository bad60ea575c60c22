//! GS1 Digital Link URIs: read any domain and path prefix into AI data, and write the
//! canonical form with key qualifiers in the path in the standard's order and the rest as query
//! attributes.
//!
//! Reading follows the GS1 Syntax Engine where the standard leaves room: the fragment is
//! ignored unread, non-numeric query parameters belong to the application and are skipped, and
//! an incomplete `%` escape (`A%2`) stays literal. Writing follows it too: when a key's
//! qualifier sequences tie, the first sequence wins, so `.../01/G/235/T?10=L` reads but has no
//! canonical form (its (235) would have to become a query attribute, which it may not be).

use crate::ai::Ai;
use crate::ai_data::{AiData, Element, Encoding, Options};
use crate::dictionary::AiSpec;
use crate::error::{DigitalLinkProblem as P, Error, ErrorKind};

/// The default stem of canonical GS1 Digital Link URIs.
pub const DEFAULT_STEM: &str = "https://id.gs1.org";

/// Short names that GS1 Digital Link 1.x allowed in place of AI digits (the "convenience alphas").
const CONVENIENCE_ALPHAS: &[(&str, &str)] = &[
    ("gtin", "01"),
    ("itip", "8006"),
    ("gmn", "8013"),
    ("cpid", "8010"),
    ("gln", "414"),
    ("party", "417"),
    ("gsrnp", "8017"),
    ("gsrn", "8018"),
    ("gcn", "255"),
    ("sscc", "00"),
    ("gdti", "253"),
    ("ginc", "401"),
    ("gsin", "402"),
    ("grai", "8003"),
    ("giai", "8004"),
    ("cpv", "22"),
    ("lot", "10"),
    ("ser", "21"),
    ("cpsn", "8011"),
    ("glnx", "254"),
    ("srin", "8019"),
    ("refno", "8020"),
];

/// Whether `text` starts with a scheme a Digital Link may use: `http` or `https`, all lower or
/// all upper case (mixed case is not a Digital Link, as in the GS1 Syntax Engine).
pub fn looks_like_digital_link(text: &str) -> bool {
    ["https://", "http://", "HTTPS://", "HTTP://"].iter().any(|scheme| text.starts_with(scheme))
}

/// Parses a GS1 Digital Link URI into AI data.
pub fn parse_digital_link(input: &str, opts: &Options) -> Result<AiData, Error> {
    let mut data = AiData::default();
    parse_digital_link_into(&mut data, input, opts)?;
    Ok(data)
}

/// As [`parse_digital_link`], reusing `out`'s buffers.
pub fn parse_digital_link_into(out: &mut AiData, input: &str, opts: &Options) -> Result<(), Error> {
    crate::error::guarded(input, || digital_link_into(out, input, opts))
}

pub(crate) fn digital_link_into(
    out: &mut AiData,
    input: &str,
    opts: &Options,
) -> Result<(), Error> {
    out.clear();
    read_digital_link(out, input, 0, opts)
}

fn segment_ai(segment: &str, opts: &Options) -> Option<&'static AiSpec> {
    if segment.bytes().all(|b| b.is_ascii_digit()) {
        return opts.dictionary.get(segment);
    }
    if opts.permit_convenience_alphas {
        let digits = CONVENIENCE_ALPHAS.iter().find(|(alpha, _)| *alpha == segment)?.1;
        return opts.dictionary.get(digits);
    }
    None
}

/// Characters RFC 3986 allows bare in a path (beside `%` escapes and `/`).
fn is_path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b)
}

/// Reads the URI that starts at byte `start` of `input`; positions in errors refer to `input`.
pub(crate) fn read_digital_link(
    out: &mut AiData,
    input: &str,
    start: usize,
    opts: &Options,
) -> Result<(), Error> {
    let uri = &input[start..];
    let bytes = input.as_bytes();
    let after_scheme = if uri.starts_with("https://") || uri.starts_with("HTTPS://") {
        8
    } else if uri.starts_with("http://") || uri.starts_with("HTTP://") {
        7
    } else {
        let kind =
            if uri.is_empty() { ErrorKind::Empty } else { ErrorKind::DigitalLink(P::Scheme) };
        return Err(Error::new(kind).at(start));
    };
    let host_start = start + after_scheme;
    let host_end = input[host_start..].find('/').map_or(input.len(), |i| host_start + i);
    check_host(&input[host_start..host_end])
        .map_err(|offset| Error::new(ErrorKind::DigitalLink(P::Host)).at(host_start + offset))?;
    // The fragment is never part of the identifier.
    let end = input[host_end..].find('#').map_or(input.len(), |i| host_end + i);
    let query_start = input[host_end..end].find('?').map(|i| host_end + i);
    let path_end = query_start.unwrap_or(end);
    if host_end >= path_end {
        return Err(Error::new(ErrorKind::DigitalLink(P::NoPrimaryKey)).at(host_end));
    }
    for (i, &b) in bytes.iter().enumerate().take(end).skip(host_end) {
        let ok = is_path_char(b)
            || b == b'%'
            || b == b'/'
            || (b == b'?' && query_start.is_some_and(|q| i >= q));
        if !ok {
            return Err(Error::new(ErrorKind::DigitalLink(P::BadCharacter))
                .at(i)
                .found(char::from(b).to_string()));
        }
    }
    if path_end > host_end + 1 && bytes[path_end - 1] == b'/' {
        return Err(Error::new(ErrorKind::DigitalLink(P::EmptySegment)).at(path_end - 1));
    }
    // Path segments after the host, with their input offsets.
    let mut segments: Vec<(usize, &str)> = Vec::with_capacity(8);
    let mut seg_start = host_end + 1;
    for i in host_end + 1..=path_end {
        if i == path_end || bytes[i] == b'/' {
            segments.push((seg_start, &input[seg_start..i]));
            seg_start = i + 1;
        }
    }
    // Find the rightmost primary key: walk (AI, value) pairs leftwards from the end, keeping
    // each pair's entry (rightmost first) so nothing is looked up twice.
    let mut key_idx = None;
    let mut walked: Vec<&'static AiSpec> = Vec::with_capacity(4);
    let mut i = segments.len();
    while i >= 2 {
        i -= 2;
        let Some(spec) = segment_ai(segments[i].1, opts) else { break };
        walked.push(spec);
        if spec.dl_pkey.is_some() {
            key_idx = Some(i);
            break;
        }
    }
    walked.reverse();
    let Some(key_idx) = key_idx else {
        return Err(Error::new(ErrorKind::DigitalLink(P::NoPrimaryKey)).at(host_end));
    };
    for (pos, segment) in &segments[key_idx..] {
        if segment.is_empty() {
            return Err(Error::new(ErrorKind::DigitalLink(P::EmptySegment)).at(*pos));
        }
    }
    // Invariant: `walked` holds the key and then its qualifiers, in path order.
    let (key_spec, qualifiers) = (walked[0], &walked[1..]);
    let alternatives = key_spec.dl_pkey.expect("a primary key");
    // The qualifiers must follow, in order, one of the key's alternative sequences.
    let compatible: Vec<&[&str]> = alternatives
        .iter()
        .copied()
        .filter(|alt| is_ordered_subsequence(qualifiers.iter().map(|q| q.ai), alt))
        .collect();
    if !qualifiers.is_empty() && compatible.is_empty() {
        // Point at the first qualifier after which no sequence of the key can go on.
        let bad = (1..=qualifiers.len())
            .find(|&n| {
                !alternatives
                    .iter()
                    .any(|alt| is_ordered_subsequence(qualifiers[..n].iter().map(|q| q.ai), alt))
            })
            .unwrap_or(1);
        let segment = segments[key_idx + 2 * bad].0;
        return Err(Error::new(ErrorKind::DigitalLink(P::QualifierOrder))
            .ai(ai_of(qualifiers[bad - 1]))
            .at(segment));
    }
    let first = out.elements().len();
    for (pair, &spec) in segments[key_idx..].chunks(2).zip(&walked) {
        let (value_pos, raw) = pair[1];
        push_decoded(out, spec, pair[0].0, value_pos, raw, false, opts)?;
    }
    if let Some(q) = query_start {
        let mut param_start = q + 1;
        for i in q + 1..=end {
            if i < end && bytes[i] != b'&' {
                continue;
            }
            let param = &input[param_start..i];
            let pos = param_start;
            param_start = i + 1;
            let Some((name, raw)) = param.split_once('=') else { continue };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
                // Non-AI parameters belong to the application, not to the identifier.
                continue;
            }
            let ai = Ai::new(name).ok_or_else(|| {
                Error::new(ErrorKind::DigitalLink(P::UnknownAttribute)).at(pos).found(name)
            })?;
            let spec = opts.dictionary.get(name);
            let Some(spec) = spec else {
                if opts.permit_unknown_ais && opts.permit_unknown_dl_attributes {
                    if raw.is_empty() {
                        return Err(Error::new(ErrorKind::DigitalLink(P::EmptyAttribute))
                            .ai(ai)
                            .at(pos));
                    }
                    push_unknown(out, ai, pos, pos + name.len() + 1, raw)?;
                    continue;
                }
                return Err(Error::new(ErrorKind::DigitalLink(P::UnknownAttribute))
                    .at(pos)
                    .found(name));
            };
            // A qualifier of the key belongs in the path: with no qualifiers there, every
            // alternative's qualifiers are barred from the query; otherwise those of the
            // alternatives the path can still be read as.
            let barred = if qualifiers.is_empty() { alternatives } else { &compatible[..] };
            if !spec.dl_data_attribute || barred.iter().any(|alt| alt.contains(&spec.ai)) {
                return Err(Error::new(ErrorKind::NotDigitalLinkAttribute).ai(ai).at(pos));
            }
            if raw.is_empty() {
                return Err(Error::new(ErrorKind::DigitalLink(P::EmptyAttribute)).ai(ai).at(pos));
            }
            push_decoded(out, spec, pos, pos + name.len() + 1, raw, true, opts)?;
        }
    }
    // Each AI may appear once in a URI.
    let elements = &out.elements()[first..];
    for (i, a) in elements.iter().enumerate() {
        if elements[..i].iter().any(|b| b.ai() == a.ai()) {
            return Err(Error::new(ErrorKind::DigitalLink(P::DuplicateAi))
                .ai(a.ai())
                .at(a.position()));
        }
    }
    out.check_values_from(input, first, opts)?;
    out.check_relations(opts)
}

fn ai_of(spec: &AiSpec) -> Ai {
    Ai::new(spec.ai).expect("dictionary AIs are digits")
}

fn is_ordered_subsequence<'a>(mut items: impl Iterator<Item = &'a str>, sequence: &[&str]) -> bool {
    let mut rest = sequence.iter();
    items.all(|item| rest.any(|s| *s == item))
}

/// Checks a host: a registered name, IPv4 address, or bracketed IPv6 address, with optional port.
/// On failure returns the offset of the first bad character.
fn check_host(host: &str) -> Result<(), usize> {
    if host.is_empty() {
        return Err(0);
    }
    let bytes = host.as_bytes();
    if bytes[0] == b'[' {
        let close = host.find(']').ok_or(host.len())?;
        if let Some(bad) = bytes[1..close]
            .iter()
            .position(|b| !(b.is_ascii_hexdigit() || *b == b':' || *b == b'.'))
        {
            return Err(1 + bad);
        }
        return check_port(&host[close + 1..]).map_err(|o| close + 1 + o);
    }
    let name_end = host.find(':').unwrap_or(host.len());
    if name_end == 0 {
        return Err(0);
    }
    if let Some(bad) = bytes[..name_end]
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.'))
    {
        return Err(bad);
    }
    check_port(&host[name_end..]).map_err(|o| name_end + o)
}

fn check_port(rest: &str) -> Result<(), usize> {
    match rest.strip_prefix(':') {
        None if rest.is_empty() => Ok(()),
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(0),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (and `+` as space in a query). An incomplete or non-hex escape stays
/// literal, as the GS1 Syntax Engine does; a decoded NUL or a decoded byte sequence that is not
/// UTF-8 is refused (returns the raw offset of the escape).
pub fn percent_decode(raw: &str, query: bool, out: &mut String) -> Result<(), usize> {
    let bytes = raw.as_bytes();
    let mut decoded: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len()
                && hex(bytes[i + 1]).is_some()
                && hex(bytes[i + 2]).is_some() =>
            {
                let v =
                    hex(bytes[i + 1]).expect("checked") * 16 + hex(bytes[i + 2]).expect("checked");
                if v == 0 {
                    return Err(i);
                }
                decoded.push(v);
                i += 3;
            }
            b'+' if query => {
                decoded.push(b' ');
                i += 1;
            }
            b => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(decoded) {
        Ok(s) => {
            out.push_str(&s);
            Ok(())
        }
        Err(e) => {
            // Latin-1 style bytes (as in "%ff") are kept as the characters they name.
            let bytes = e.into_bytes();
            out.extend(bytes.iter().map(|&b| char::from(b)));
            Ok(())
        }
    }
}

fn push_decoded(
    out: &mut AiData,
    spec: &'static AiSpec,
    ai_pos: usize,
    value_pos: usize,
    raw: &str,
    query: bool,
    opts: &Options,
) -> Result<(), Error> {
    let ai = ai_of(spec);
    let mut value = String::with_capacity(raw.len());
    percent_decode(raw, query, &mut value).map_err(|offset| {
        Error::new(ErrorKind::DigitalLink(P::BadEscape)).ai(ai).at(value_pos + offset)
    })?;
    if value.is_empty() {
        return Err(Error::new(ErrorKind::EmptyValue).ai(ai).at(value_pos));
    }
    let verbatim = raw == value;
    let mut pad = 0;
    if spec.ai == "01" && opts.permit_zero_suppressed_gtin && matches!(value.len(), 8 | 12 | 13) {
        pad = 14 - value.len();
        value.insert_str(0, &"000000"[..pad]);
    }
    let encoding = match (verbatim, pad) {
        (true, 0) => Encoding::Verbatim,
        (true, pad) => Encoding::Padded { pad: pad as u8 },
        (false, _) => Encoding::Percent { query },
    };
    out.push(ai, Some(spec), &value, value_pos..value_pos + raw.len(), ai_pos, encoding);
    Ok(())
}

fn push_unknown(
    out: &mut AiData,
    ai: Ai,
    ai_pos: usize,
    value_pos: usize,
    raw: &str,
) -> Result<(), Error> {
    let mut value = String::with_capacity(raw.len());
    percent_decode(raw, true, &mut value).map_err(|offset| {
        Error::new(ErrorKind::DigitalLink(P::BadEscape)).ai(ai).at(value_pos + offset)
    })?;
    out.push(
        ai,
        None,
        &value,
        value_pos..value_pos + raw.len(),
        ai_pos,
        Encoding::Percent { query: true },
    );
    Ok(())
}

/// Appends `value` percent-encoded for a URI path segment (`query == false`) or query value:
/// RFC 3986 unreserved characters stay, space is `%20` in a path and `+` in a query, every
/// other byte becomes `%XX` in upper-case hex.
pub fn percent_encode(value: &str, query: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = value.as_bytes();
    let mut start = 0;
    while let Some(offset) = bytes[start..].iter().position(|&b| !UNRESERVED[usize::from(b)]) {
        let at = start + offset;
        out.push_str(&value[start..at]);
        let b = bytes[at];
        if b == b' ' && query {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        start = at + 1;
        // A multi-byte character's continuation bytes are escaped one by one; keep `start` on
        // byte boundaries that `value` can be sliced at by escaping them here.
        while start < bytes.len() && !value.is_char_boundary(start) {
            let b = bytes[start];
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
            start += 1;
        }
    }
    out.push_str(&value[start..]);
}

/// RFC 3986 unreserved characters, which stay bare in a Digital Link.
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_' || c == b'~';
        b += 1;
    }
    table
};

/// Writes the GS1 Digital Link URI for `data` under `stem` (no trailing slash needed).
///
/// The first primary key in the data goes in the path with the qualifiers of its best matching
/// sequence (most qualifiers present; the first sequence on a tie), in the standard's order;
/// every other AI becomes a query attribute, predefined-length AIs first, repeats dropped.
pub fn format_digital_link(
    data: &AiData,
    stem: &str,
    opts: &Options,
    out: &mut String,
) -> Result<(), Error> {
    let elements = data.elements();
    let Some(key) = elements.iter().find(|e| e.spec().is_some_and(|s| s.dl_pkey.is_some())) else {
        return Err(Error::new(ErrorKind::NoDigitalLinkKey));
    };
    let key_spec = key.spec().expect("found with a spec");
    let alternatives = key_spec.dl_pkey.expect("a primary key");
    let present = |ai: &str| Ai::new(ai).is_some_and(|ai| elements.iter().any(|e| e.ai() == ai));
    let mut best: &[&str] = &[];
    let mut best_count = 0;
    for alt in alternatives {
        let count = alt.iter().filter(|ai| present(ai)).count();
        if count > best_count {
            best = alt;
            best_count = count;
        }
    }
    out.push_str(stem.trim_end_matches('/'));
    out.push('/');
    out.push_str(key_spec.ai);
    out.push('/');
    percent_encode(data.value(key), false, out);
    // Qualifier sequences are short (at most 3 in the dictionary): no allocation for them.
    let mut best_ais = [None::<Ai>; 8];
    assert!(best.len() <= best_ais.len(), "a dictionary qualifier sequence outgrew the buffer");
    for (slot, qualifier) in best_ais.iter_mut().zip(best.iter()) {
        *slot = Ai::new(qualifier);
    }
    for (qualifier, ai) in best.iter().zip(best_ais.iter().flatten()) {
        if let Some(e) = elements.iter().find(|e| e.ai() == *ai) {
            out.push('/');
            out.push_str(qualifier);
            out.push('/');
            percent_encode(data.value(e), false, out);
        }
    }
    let in_path = |e: &Element| e.ai() == key.ai() || best_ais.contains(&Some(e.ai()));
    let mut separator = '?';
    for fixed_pass in [true, false] {
        for (i, e) in elements.iter().enumerate() {
            if in_path(e) || e.spec().is_some_and(|s| s.predefined_length) != fixed_pass {
                continue;
            }
            if elements[..i].iter().any(|p| p.ai() == e.ai() && data.value(p) == data.value(e)) {
                continue;
            }
            let attribute = match e.spec() {
                Some(spec) => spec.dl_data_attribute,
                None => opts.permit_unknown_dl_attributes,
            };
            if !attribute {
                return Err(Error::new(ErrorKind::NotDigitalLinkAttribute)
                    .ai(e.ai())
                    .at(e.position()));
            }
            out.push(separator);
            separator = '&';
            out.push_str(e.ai().as_str());
            out.push('=');
            percent_encode(data.value(e), true, out);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
