//! JSON-LD `@context` handling: the prefixes a document declares, resolved offline.
//!
//! serialhub never fetches a context. The standard EPCIS context is known by its URL (any
//! version) and contributes its prefixes; a context object contributes `prefix: namespace`
//! pairs; any other remote context is recorded and ignored, since events only need prefixes.

use crate::model::Name;

/// The prefixes the standard EPCIS 2.0 context defines (`epcis-context.jsonld`).
pub const STANDARD_PREFIXES: [(&str, &str); 8] = [
    ("epcis", "https://ref.gs1.org/epcis/"),
    ("cbv", "https://ref.gs1.org/cbv/"),
    ("cbvmda", "urn:epcglobal:cbv:mda:"),
    ("gs1", "https://gs1.org/voc/"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("dcterms", "http://purl.org/dc/terms/"),
];

/// The standard context's URL as the examples write it.
pub const STANDARD_CONTEXT_URL: &str =
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// The prefixes in scope: user declarations, most recent first, then the standard ones.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Declared prefixes, in declaration order.
    pub declared: Vec<(String, String)>,
    /// Context URLs given as strings.
    pub urls: Vec<String>,
}

impl Context {
    /// Adds what a JSON `@context` value declares.
    pub fn add(&mut self, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(url) => self.urls.push(url.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| self.add(v)),
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    // Only plain prefix definitions matter to events; term definitions with
                    // `@id` objects are read for their IRI too.
                    let iri = match v {
                        serde_json::Value::String(s) => Some(s.as_str()),
                        serde_json::Value::Object(o) => o.get("@id").and_then(|v| v.as_str()),
                        _ => None,
                    };
                    if let Some(iri) = iri {
                        self.declared.push((k.clone(), iri.to_owned()));
                    }
                }
            }
            _ => {}
        }
    }

    /// The namespace bound to `prefix`, if any.
    pub fn namespace(&self, prefix: &str) -> Option<&str> {
        if let Some((_, ns)) = self.declared.iter().rev().find(|(p, _)| p == prefix) {
            return Some(ns);
        }
        STANDARD_PREFIXES.iter().find(|(p, _)| *p == prefix).map(|(_, ns)| *ns)
    }

    /// Expands a compact IRI (`ex:field`) or splits a full IRI key into a `Name`.
    /// A key with neither a known prefix nor an IRI form gets an empty namespace.
    pub fn resolve_key(&self, key: &str) -> Name {
        if let Some((prefix, local)) = key.split_once(':') {
            if !local.starts_with("//")
                && let Some(ns) = self.namespace(prefix)
            {
                return Name::new(ns, local, prefix);
            }
            if let Some(cut) = key.rfind(['/', '#']) {
                let (ns, local) = key.split_at(cut + 1);
                if !local.is_empty() {
                    return Name::new(ns, local, "");
                }
            }
        }
        Name::new("", key, "")
    }

    /// Expands a compact IRI value (`ex:thing`) whose prefix the document declared itself.
    /// Standard prefixes are not expanded here: CBV values have their own rules (`crate::cbv`).
    pub fn expand_value<'a>(&self, value: &'a str) -> std::borrow::Cow<'a, str> {
        if let Some((prefix, rest)) = value.split_once(':')
            && !rest.starts_with("//")
            && let Some((_, ns)) = self.declared.iter().rev().find(|(p, _)| p == prefix)
        {
            return std::borrow::Cow::Owned(format!("{ns}{rest}"));
        }
        std::borrow::Cow::Borrowed(value)
    }

    /// The prefix to write for `namespace`, if one is declared.
    pub fn prefix_for(&self, namespace: &str) -> Option<&str> {
        self.declared.iter().rev().find(|(_, ns)| ns == namespace).map(|(p, _)| p.as_str())
    }
}
