//! What verification reads from master data: each product's plain-language description (what
//! a person compares with the printed pack) and target markets, and each site's country.
//!
//! Products are EPCClass elements keyed by GTIN (an LGTIN or GTIN class id in any form);
//! the CBV attributes `regulatedProductName` (else `tradeItemDescription`), `dosageFormType`,
//! `strengthDescription` describe it. Its target markets come from a `targetMarket` attribute
//! in any namespace (GS1 GDSN's target market country code: an ISO 3166 alpha-2 code, or several
//! separated by commas or spaces). A site's country is the CBV `countryCode` of its location
//! element. Nothing here names a supply-chain party: the consumer page may show all of it.

use std::collections::HashMap;

use serialhub_epcis::{Content, Vocabulary};

/// A product as the public may see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Product {
    /// Its name.
    pub name: Option<String>,
    /// Its dosage form.
    pub form: Option<String>,
    /// Its strength.
    pub strength: Option<String>,
    /// The markets it is made for (upper-case ISO 3166 alpha-2 codes).
    pub target_markets: Vec<String>,
}

/// Products by GTIN-14, countries by location id (canonical).
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    products: HashMap<String, Product>,
    countries: HashMap<String, String>,
}

/// The last segment of an attribute id (after `#`, `:` or `/`).
fn attribute_name(id: &str) -> &str {
    id.rsplit(['#', ':', '/']).next().unwrap_or(id)
}

fn text(content: &Content) -> Option<String> {
    content.text().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The GTIN-14 of a canonical class or item id (`https://id.gs1.org/01/{gtin}...`).
fn gtin_of(id: &str) -> Option<String> {
    let canonical = serialhub_epcis::canonical_id(id);
    let rest = canonical.strip_prefix("https://id.gs1.org/01/")?;
    let gtin = rest.get(..14)?;
    gtin.bytes().all(|b| b.is_ascii_digit()).then(|| gtin.to_owned())
}

impl Catalog {
    /// Builds the catalog from stored master data.
    pub fn from_master_data(vocabularies: &[Vocabulary]) -> Catalog {
        let mut catalog = Catalog::default();
        for vocabulary in vocabularies {
            let kind = attribute_name(&vocabulary.type_);
            for element in &vocabulary.elements {
                if kind == "EPCClass" {
                    let Some(gtin) = gtin_of(&element.id) else { continue };
                    let product = catalog.products.entry(gtin).or_default();
                    for attribute in &element.attributes {
                        let Some(value) = text(&attribute.value) else { continue };
                        match attribute_name(&attribute.id) {
                            "regulatedProductName" => product.name = Some(value),
                            "tradeItemDescription" if product.name.is_none() => {
                                product.name = Some(value)
                            }
                            "dosageFormType" => product.form = Some(value),
                            "strengthDescription" => product.strength = Some(value),
                            "targetMarket" | "targetMarketCountryCode" => {
                                for code in value.split([',', ' ', ';']).filter(|c| c.len() == 2) {
                                    let code = code.to_ascii_uppercase();
                                    if !product.target_markets.contains(&code) {
                                        product.target_markets.push(code);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                } else if kind == "BusinessLocation" || kind == "ReadPoint" || kind == "Location" {
                    let country = element
                        .attributes
                        .iter()
                        .find(|a| attribute_name(&a.id) == "countryCode")
                        .and_then(|a| text(&a.value))
                        .filter(|c| c.len() == 2);
                    if let Some(country) = country {
                        let id = serialhub_epcis::canonical_id(&element.id).into_owned();
                        let country = country.to_ascii_uppercase();
                        // A party's GLN names its main site: when only its sites (`/254/...`)
                        // are described, the first one described answers for the GLN too.
                        if let Some((base, _)) = id.split_once("/254/") {
                            catalog
                                .countries
                                .entry(base.to_owned())
                                .or_insert_with(|| country.clone());
                        }
                        catalog.countries.insert(id, country);
                    }
                }
            }
        }
        catalog
    }

    /// The product of `gtin`, if master data describes it.
    pub fn product(&self, gtin: &str) -> Option<&Product> {
        self.products.get(gtin)
    }

    /// The country of a site (a location id in any form: SGLN, Digital Link, or a bare GLN
    /// matched against its `414` Digital Link).
    pub fn country(&self, location: &str) -> Option<&str> {
        let canonical = if location.len() == 13 && location.bytes().all(|b| b.is_ascii_digit()) {
            format!("https://id.gs1.org/414/{location}")
        } else {
            serialhub_epcis::canonical_id(location).into_owned()
        };
        self.countries.get(&canonical).map(String::as_str)
    }

    /// Products and sites described.
    pub fn sizes(&self) -> (usize, usize) {
        (self.products.len(), self.countries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serialhub_epcis::{VocabularyAttribute, VocabularyElement};

    fn attr(id: &str, value: &str) -> VocabularyAttribute {
        VocabularyAttribute { id: id.to_owned(), value: Content::Text(value.to_owned()) }
    }

    #[test]
    fn products_and_countries_from_any_spelling() {
        let vocabularies = vec![
            Vocabulary {
                type_: "urn:epcglobal:epcis:vtype:EPCClass".to_owned(),
                elements: vec![VocabularyElement {
                    id: "urn:epc:idpat:sgtin:4012345.011111.*".to_owned(),
                    attributes: vec![
                        attr("urn:epcglobal:cbv:mda#regulatedProductName", "Examplomab 10 mg"),
                        attr("cbvmda:dosageFormType", "tablet"),
                        attr("urn:epcglobal:cbv:mda:strengthDescription", "10 mg"),
                        attr("https://example.org/md#targetMarket", "de, AT"),
                    ],
                    children: Vec::new(),
                }],
            },
            Vocabulary {
                type_: "urn:epcglobal:epcis:vtype:BusinessLocation".to_owned(),
                elements: vec![VocabularyElement {
                    id: "urn:epc:id:sgln:4012345.00001.0".to_owned(),
                    attributes: vec![attr("urn:epcglobal:cbv:mda#countryCode", "de")],
                    children: Vec::new(),
                }],
            },
        ];
        let catalog = Catalog::from_master_data(&vocabularies);
        let product = catalog.product("04012345111118").expect("described");
        assert_eq!(product.name.as_deref(), Some("Examplomab 10 mg"));
        assert_eq!(product.form.as_deref(), Some("tablet"));
        assert_eq!(product.strength.as_deref(), Some("10 mg"));
        assert_eq!(product.target_markets, ["DE", "AT"]);
        assert_eq!(catalog.country("urn:epc:id:sgln:4012345.00001.0"), Some("DE"));
        assert_eq!(catalog.country("https://id.gs1.org/414/4012345000016"), Some("DE"));
        assert_eq!(catalog.country("4012345000016"), Some("DE"), "a bare GLN");
        assert_eq!(catalog.country("4012345000023"), None);
    }
}
