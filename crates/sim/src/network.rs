//! The simulated supply network: manufacturers with their sites, packaging lines and products,
//! wholesalers, and pharmacy chains with their branches, in two markets (EU FMD and US DSCSA).
//!
//! The companies are fixed (their prefixes are fictitious but well formed: GS1 Germany and
//! Italy ranges, and NDC-based US prefixes `03` + labeler code); only the serial keys come from
//! the seed. Parties are PGLNs, places SGLNs, as EPCIS source and destination lists want them.

use serialhub_gs1::ndc::Ndc;

use crate::identifiers::{Company, SerialStyle, TradeItem, with_check_digit};
use crate::rng::Rng;

/// A market: products of a market's manufacturers go to its wholesalers and pharmacies only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Market {
    Eu,
    Us,
}

/// What a manufacturer labels cases with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CaseLabel {
    /// An SSCC: a logistic unit, never commissioned, first seen when packed.
    Sscc,
    /// An SGTIN of the case GTIN, commissioned with the packs (a homogeneous case).
    Sgtin,
}

#[derive(Clone, Debug)]
pub(crate) struct Manufacturer {
    pub(crate) company: Company,
    pub(crate) party: String,
    pub(crate) gln: String,
    pub(crate) site: String,
    pub(crate) lines: Vec<String>,
    pub(crate) offset: &'static str,
    pub(crate) market: Market,
    pub(crate) case_label: CaseLabel,
    pub(crate) products: Vec<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct Product {
    pub(crate) manufacturer: usize,
    pub(crate) pack: TradeItem,
    /// The case GTIN, when the manufacturer labels cases with SGTINs.
    pub(crate) case: TradeItem,
    pub(crate) case_size: u32,
    pub(crate) cases_per_pallet: u32,
    pub(crate) shelf_life_months: u32,
    pub(crate) lot_prefix: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct Wholesaler {
    pub(crate) company: Company,
    pub(crate) party: String,
    pub(crate) gln: String,
    pub(crate) site: String,
    pub(crate) offset: &'static str,
    pub(crate) market: Market,
}

/// A pharmacy chain: one owning party, one or more branches (locations).
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    pub(crate) party: String,
    pub(crate) gln: String,
    pub(crate) branches: Vec<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct Pharmacy {
    pub(crate) chain: usize,
    pub(crate) site: String,
    pub(crate) offset: &'static str,
    pub(crate) market: Market,
}

#[derive(Clone, Debug)]
pub(crate) struct Network {
    pub(crate) manufacturers: Vec<Manufacturer>,
    pub(crate) products: Vec<Product>,
    pub(crate) wholesalers: Vec<Wholesaler>,
    pub(crate) chains: Vec<Chain>,
    pub(crate) pharmacies: Vec<Pharmacy>,
}

/// A manufacturer's row: prefix, packaging lines, zone offset, market, case label, products.
struct ManufacturerRow {
    prefix: &'static str,
    lines: u64,
    offset: &'static str,
    market: Market,
    case_label: CaseLabel,
    products: &'static [ProductRow],
}

/// A product's row: the item reference (EU) or NDC (US), case and pallet sizes, shelf life,
/// lot prefix.
struct ProductRow {
    item: &'static str,
    case_size: u32,
    cases_per_pallet: u32,
    shelf_life_months: u32,
    lot_prefix: &'static str,
}

const MANUFACTURERS: [ManufacturerRow; 4] = [
    ManufacturerRow {
        prefix: "4012345",
        lines: 2,
        offset: "+01:00",
        market: Market::Eu,
        case_label: CaseLabel::Sscc,
        products: &[
            ProductRow {
                item: "11111",
                case_size: 20,
                cases_per_pallet: 48,
                shelf_life_months: 36,
                lot_prefix: "RP",
            },
            ProductRow {
                item: "22225",
                case_size: 40,
                cases_per_pallet: 30,
                shelf_life_months: 24,
                lot_prefix: "RQ",
            },
        ],
    },
    ManufacturerRow {
        prefix: "80012345",
        lines: 1,
        offset: "+01:00",
        market: Market::Eu,
        case_label: CaseLabel::Sgtin,
        products: &[
            ProductRow {
                item: "0101",
                case_size: 12,
                cases_per_pallet: 60,
                shelf_life_months: 36,
                lot_prefix: "FL",
            },
            ProductRow {
                item: "0202",
                case_size: 30,
                cases_per_pallet: 24,
                shelf_life_months: 24,
                lot_prefix: "FM",
            },
        ],
    },
    ManufacturerRow {
        prefix: "0377333",
        lines: 2,
        offset: "-05:00",
        market: Market::Us,
        case_label: CaseLabel::Sgtin,
        products: &[
            ProductRow {
                item: "77333-101-30",
                case_size: 24,
                cases_per_pallet: 40,
                shelf_life_months: 36,
                lot_prefix: "H",
            },
            ProductRow {
                item: "77333-245-90",
                case_size: 10,
                cases_per_pallet: 56,
                shelf_life_months: 24,
                lot_prefix: "HX",
            },
        ],
    },
    ManufacturerRow {
        prefix: "030999",
        lines: 1,
        offset: "-06:00",
        market: Market::Us,
        case_label: CaseLabel::Sscc,
        products: &[ProductRow {
            item: "0999-3105-02",
            case_size: 36,
            cases_per_pallet: 20,
            shelf_life_months: 24,
            lot_prefix: "PG",
        }],
    },
];

const WHOLESALERS: [(&str, &str, Market); 4] = [
    ("4098765", "+01:00", Market::Eu),
    ("8034567", "+01:00", Market::Eu),
    ("0614141", "-05:00", Market::Us),
    ("0860012", "-06:00", Market::Us),
];

/// Pharmacy chains: prefix, number of branches, zone offset, market. The one-branch chains are
/// independent pharmacies.
const CHAINS: [(&str, u64, &str, Market); 10] = [
    ("4300011", 6, "+01:00", Market::Eu),
    ("4300022", 4, "+01:00", Market::Eu),
    ("8051133", 3, "+01:00", Market::Eu),
    ("4300044", 1, "+01:00", Market::Eu),
    ("8051155", 1, "+01:00", Market::Eu),
    ("0812345", 6, "-05:00", Market::Us),
    ("0823456", 4, "-06:00", Market::Us),
    ("0834567", 3, "-08:00", Market::Us),
    ("0845678", 1, "-05:00", Market::Us),
    ("0856789", 1, "-07:00", Market::Us),
];

impl Network {
    /// The network, with serial keys drawn from `rng`.
    pub(crate) fn new(rng: &mut Rng) -> Network {
        let mut manufacturers = Vec::new();
        let mut products = Vec::new();
        for (idx, row) in MANUFACTURERS.iter().enumerate() {
            let company = Company { prefix: row.prefix };
            let mut own = Vec::new();
            for product in row.products {
                own.push(products.len());
                let (pack_gtin, case_gtin) = gtins(row, product);
                let prefix_len = row.prefix.len();
                let style = match row.market {
                    Market::Eu => SerialStyle::Alphanumeric,
                    Market::Us => SerialStyle::Numeric,
                };
                products.push(Product {
                    manufacturer: idx,
                    pack: TradeItem::new(pack_gtin, prefix_len, rng.next_u64(), style),
                    case: TradeItem::new(case_gtin, prefix_len, rng.next_u64(), style),
                    case_size: product.case_size,
                    cases_per_pallet: product.cases_per_pallet,
                    shelf_life_months: product.shelf_life_months,
                    lot_prefix: product.lot_prefix,
                });
            }
            manufacturers.push(Manufacturer {
                party: company.pgln(0),
                gln: company.gln(0),
                site: company.sgln(1, "0"),
                lines: (1..=row.lines).map(|line| company.sgln(1, &line.to_string())).collect(),
                company,
                offset: row.offset,
                market: row.market,
                case_label: row.case_label,
                products: own,
            });
        }
        let wholesalers = WHOLESALERS
            .iter()
            .map(|&(prefix, offset, market)| {
                let company = Company { prefix };
                Wholesaler {
                    party: company.pgln(0),
                    gln: company.gln(0),
                    site: company.sgln(1, "0"),
                    company,
                    offset,
                    market,
                }
            })
            .collect();
        let mut chains = Vec::new();
        let mut pharmacies = Vec::new();
        for &(prefix, branches, offset, market) in &CHAINS {
            let company = Company { prefix };
            let chain = chains.len();
            let mut own = Vec::new();
            for branch in 1..=branches {
                own.push(pharmacies.len());
                pharmacies.push(Pharmacy {
                    chain,
                    site: company.sgln(branch, "0"),
                    offset,
                    market,
                });
            }
            chains.push(Chain { party: company.pgln(0), gln: company.gln(0), branches: own });
        }
        Network { manufacturers, products, wholesalers, chains, pharmacies }
    }

    /// The wholesalers of `market`.
    pub(crate) fn wholesalers_in(&self, market: Market) -> Vec<usize> {
        (0..self.wholesalers.len()).filter(|&w| self.wholesalers[w].market == market).collect()
    }

    /// The pharmacies of `market`.
    pub(crate) fn pharmacies_in(&self, market: Market) -> Vec<usize> {
        (0..self.pharmacies.len()).filter(|&p| self.pharmacies[p].market == market).collect()
    }
}

/// The pack and case GTIN-14 of a product: for the EU, the company prefix and item reference
/// with indicator 0 (pack) and 1 (case); for the US, indicator + `03` + NDC-10 + check digit,
/// with indicator 0 for the pack and 5 for the case.
fn gtins(manufacturer: &ManufacturerRow, product: &ProductRow) -> (String, String) {
    match manufacturer.market {
        Market::Eu => {
            let body = format!("{}{}", manufacturer.prefix, product.item);
            assert_eq!(body.len(), 12, "prefix and item reference make 12 digits");
            (with_check_digit(&format!("0{body}")), with_check_digit(&format!("1{body}")))
        }
        Market::Us => {
            let ndc = Ndc::parse(product.item).expect("the product table holds valid NDCs");
            let pack = ndc.to_gtin(0).expect("indicator 0 is one digit");
            let case = ndc.to_gtin(5).expect("indicator 5 is one digit");
            assert_eq!(&pack[1..=manufacturer.prefix.len()], manufacturer.prefix);
            (pack, case)
        }
    }
}

#[cfg(test)]
mod tests;
