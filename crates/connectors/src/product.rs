//! Master data and identifiers as the regimes read them: the GTIN and serial an identifier
//! names, the stored EPCClass element of each product (by GTIN) and its CBV attributes
//! (`urn:epcglobal:cbv:mda#...` in whichever spelling it was captured), and the stored
//! location elements (by canonical identifier).

use std::collections::HashMap;

use serialhub_epcis::{Content, Vocabulary, VocabularyAttribute, VocabularyElement};

/// The CBV master data attribute namespace as EPCIS 1.2 documents write attribute ids.
pub(crate) const MDA: &str = "urn:epcglobal:cbv:mda#";

/// The NDC type codes seen in the wild (DOMAIN R7): GS1 US guideline's `FDA_NDC_11`, and
/// `US_FDA_NDC`.
pub(crate) const NDC_TYPE_CODES: [&str; 2] = ["FDA_NDC_11", "US_FDA_NDC"];

const DL_GTIN: &str = "https://id.gs1.org/01/";

/// The GTIN-14 of a canonical identifier (`Key::as_str`, `canonical_id`): an SGTIN, an LGTIN,
/// a GTIN pattern or a GTIN.
pub(crate) fn gtin_of_canonical(canonical: &str) -> Option<&str> {
    let rest = canonical.strip_prefix(DL_GTIN)?;
    let gtin = rest.get(..14)?;
    let tail = &rest[14..];
    (gtin.bytes().all(|b| b.is_ascii_digit()) && (tail.is_empty() || tail.starts_with('/')))
        .then_some(gtin)
}

/// The GTIN-14 of an identifier in any form.
pub(crate) fn gtin_of(id: &str) -> Option<String> {
    gtin_of_canonical(&serialhub_epcis::canonical_id(id)).map(str::to_owned)
}

/// Whether a canonical identifier is an SGTIN (a serialised pack or case).
pub(crate) fn is_sgtin(canonical: &str) -> bool {
    gtin_of_canonical(canonical).is_some() && canonical[DL_GTIN.len() + 14..].starts_with("/21/")
}

/// The GTIN-14 and serial (as printed: percent-escapes decoded) of an SGTIN in any form.
pub(crate) fn sgtin_of(id: &str) -> Option<(String, String)> {
    let canonical = serialhub_epcis::canonical_id(id);
    if !is_sgtin(&canonical) {
        return None;
    }
    let (data, _) = serialhub_gs1::parse(&canonical, &serialhub_gs1::Options::default()).ok()?;
    Some((data.get("01")?.to_owned(), data.get("21")?.to_owned()))
}

/// The CBV master data attribute name of an attribute id (`urn:epcglobal:cbv:mda#name`, the
/// `urn:epcglobal:cbv:mda:name` and `cbvmda:name` spellings), if it is one.
pub(crate) fn mda_name(id: &str) -> Option<&str> {
    ["urn:epcglobal:cbv:mda#", "urn:epcglobal:cbv:mda:", "cbvmda:"]
        .iter()
        .find_map(|prefix| id.strip_prefix(prefix))
        .filter(|name| !name.is_empty())
}

/// A product's stored master data: the EPCClass element(s) of one GTIN.
#[derive(Clone, Debug, Default)]
pub(crate) struct Product {
    /// The id of the stored element.
    pub(crate) id: String,
    /// Its attributes, as stored.
    pub(crate) attributes: Vec<VocabularyAttribute>,
}

impl Product {
    /// The text of the CBV attribute `name`, when present and not blank.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find_map(|a| match &a.value {
            Content::Text(text) if mda_name(&a.id) == Some(name) && !text.trim().is_empty() => {
                Some(text.trim())
            }
            _ => None,
        })
    }

    /// The NDC and its type code: an `additionalTradeItemIdentification` whose type code
    /// (`additionalTradeItemIdentificationTypeCode`, paired by position when the element
    /// repeats them, or inside the attribute) is one of `NDC_TYPE_CODES`.
    pub(crate) fn ndc(&self) -> Option<(String, String)> {
        let named = |name: &str| -> Vec<&Content> {
            self.attributes
                .iter()
                .filter(|a| mda_name(&a.id) == Some(name))
                .map(|a| &a.value)
                .collect()
        };
        let values = named("additionalTradeItemIdentification");
        let types = named("additionalTradeItemIdentificationTypeCode");
        let text = |c: &Content| c.text().map(|t| t.trim().to_owned());
        if values.len() == types.len() {
            for (value, type_code) in values.iter().zip(&types) {
                if let (Some(value), Some(type_code)) = (text(value), text(type_code))
                    && NDC_TYPE_CODES.contains(&type_code.as_str())
                    && !value.is_empty()
                {
                    return Some((value, type_code));
                }
            }
        }
        // The structured form: the value and its type code as children of one attribute.
        for value in values {
            let Content::Children(children) = value else { continue };
            let child = |suffix: &str| {
                children
                    .iter()
                    .find(|c| c.name.local.ends_with(suffix))
                    .and_then(|c| text(&c.content))
            };
            if let (Some(value), Some(type_code)) = (child("Value"), child("TypeCode"))
                && NDC_TYPE_CODES.contains(&type_code.as_str())
                && !value.is_empty()
            {
                return Some((value, type_code));
            }
        }
        None
    }
}

/// The stored products by GTIN: EPCClass elements whose id names a GTIN (a GTIN pattern
/// `urn:epc:idpat:sgtin:...*`, a GTIN Digital Link, or an LGTIN class). A product-level
/// element is preferred; a lot-level one (any lot: they describe the same product) is taken
/// when there is none.
pub(crate) fn products(master_data: &[Vocabulary]) -> HashMap<String, Product> {
    let mut products: HashMap<String, (bool, Product)> = HashMap::new();
    let classes = master_data.iter().filter(|v| v.type_.ends_with("EPCClass"));
    for element in classes.flat_map(|v| &v.elements) {
        let canonical = serialhub_epcis::canonical_id(&element.id);
        let Some(gtin) = gtin_of_canonical(&canonical) else { continue };
        let product_level = canonical.len() == DL_GTIN.len() + 14;
        let product = Product { id: element.id.clone(), attributes: element.attributes.clone() };
        match products.get(gtin) {
            Some((true, _)) => {}
            Some((false, _)) if !product_level => {}
            _ => {
                products.insert(gtin.to_owned(), (product_level, product));
            }
        }
    }
    products.into_iter().map(|(gtin, (_, product))| (gtin, product)).collect()
}

/// The stored location elements (vocabulary types `...Location`, `...ReadPoint`) by
/// canonical identifier.
pub(crate) fn locations(master_data: &[Vocabulary]) -> HashMap<String, &VocabularyElement> {
    master_data
        .iter()
        .filter(|v| v.type_.ends_with("Location") || v.type_.ends_with("ReadPoint"))
        .flat_map(|v| &v.elements)
        .map(|e| (serialhub_epcis::canonical_id(&e.id).into_owned(), e))
        .collect()
}

/// `attributes` with text values, CBV ones renamed to the EPCIS 1.2 spelling
/// (`urn:epcglobal:cbv:mda#name`), others kept as they are.
pub(crate) fn attributes_12<'a>(
    attributes: impl IntoIterator<Item = &'a VocabularyAttribute>,
) -> Vec<VocabularyAttribute> {
    attributes
        .into_iter()
        .filter(|a| matches!(a.value, Content::Text(_) | Content::Number(_) | Content::Bool(_)))
        .map(|a| VocabularyAttribute {
            id: match mda_name(&a.id) {
                Some(name) => format!("{MDA}{name}"),
                None => a.id.clone(),
            },
            value: Content::Text(a.value.text().unwrap_or_default().into_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_name_their_gtin_and_serial() {
        let gtin = |id: &str| gtin_of(id);
        assert_eq!(gtin("urn:epc:id:sgtin:0312345.012345.S1").as_deref(), Some("00312345123451"));
        assert_eq!(gtin("urn:epc:idpat:sgtin:0312345.012345.*").as_deref(), Some("00312345123451"));
        assert_eq!(
            gtin("urn:epc:class:lgtin:0312345.012345.L1").as_deref(),
            Some("00312345123451")
        );
        assert_eq!(
            gtin("https://example.com/01/00312345123451/21/x").as_deref(),
            Some("00312345123451")
        );
        assert_eq!(gtin("urn:epc:id:sscc:0312345.1000000001"), None);
        assert_eq!(
            sgtin_of("urn:epc:id:sgtin:0312345.012345.A%2FB"),
            Some(("00312345123451".to_owned(), "A/B".to_owned()))
        );
        assert_eq!(sgtin_of("urn:epc:idpat:sgtin:0312345.012345.*"), None);
        assert_eq!(
            mda_name("urn:epcglobal:cbv:mda#regulatedProductName"),
            Some("regulatedProductName")
        );
        assert_eq!(mda_name("cbvmda:name"), Some("name"));
        assert_eq!(mda_name("https://example.com/x#name"), None);
    }
}
