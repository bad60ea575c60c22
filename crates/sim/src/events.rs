//! The EPCIS events of the simulated business steps, one constructor per step, with CBV 2.0
//! values in their bare JSON-LD spelling (`commissioning`, `in_transit`, `owning_party`), so that
//! a document written with `serialhub_epcis::json::write` reads back into the same model.

use serialhub_epcis::model::{
    Action, BizTransaction, Content, Element, Event, EventType, Location, Name,
    PersistentDisposition, QuantityElement, SourceDest,
};

use crate::calendar::timestamp;

/// The CBV master data namespace of `lotNumber` and `itemExpirationDate`, as the JSON-LD
/// context's `cbvmda` prefix expands it.
const CBV_MDA: &str = "urn:epcglobal:cbv:mda:";

/// When and where an event happens, and its `eventID`.
#[derive(Clone, Debug)]
pub(crate) struct Stamp {
    pub(crate) time: i64,
    pub(crate) offset: &'static str,
    pub(crate) id: String,
}

/// A party and a place: the owning party and location of a source or destination.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Site<'a> {
    pub(crate) party: &'a str,
    pub(crate) location: &'a str,
}

fn event(stamp: Stamp, event_type: EventType, action: Action, biz_step: &str) -> Event {
    Event {
        event_type: Some(event_type),
        event_time: timestamp(stamp.time),
        event_time_zone_offset: stamp.offset.to_owned(),
        event_id: Some(stamp.id),
        action: Some(action),
        biz_step: Some(biz_step.to_owned()),
        ..Event::default()
    }
}

fn location(id: &str) -> Option<Location> {
    Some(Location { id: id.to_owned(), extensions: Vec::new() })
}

fn cbv_mda(local: &str, value: &str) -> Element {
    Element {
        name: Name::new(CBV_MDA, local, "cbvmda"),
        attributes: Vec::new(),
        content: Content::Text(value.to_owned()),
    }
}

fn source_dest(site: Site<'_>) -> Vec<SourceDest> {
    vec![
        SourceDest { type_: "owning_party".to_owned(), value: site.party.to_owned() },
        SourceDest { type_: "location".to_owned(), value: site.location.to_owned() },
    ]
}

/// `(type, value)` business transactions.
fn transactions(list: &[(&str, String)]) -> Vec<BizTransaction> {
    list.iter()
        .map(|(type_, value)| BizTransaction {
            type_: Some((*type_).to_owned()),
            value: value.clone(),
        })
        .collect()
}

/// A CBV business transaction identifier: `urn:epcglobal:cbv:bt:<GLN of the issuer>:<number>`.
pub(crate) fn transaction_id(gln: &str, kind: &str, number: u64) -> String {
    format!("urn:epcglobal:cbv:bt:{gln}:{kind}{number:07}")
}

/// A packaging line commissions `epcs` with their lot and expiry.
pub(crate) fn commissioning(
    stamp: Stamp,
    epcs: Vec<String>,
    line: &str,
    site: &str,
    lot: &str,
    expiry: &str,
) -> Event {
    Event {
        epc_list: epcs,
        disposition: Some("active".to_owned()),
        read_point: location(line),
        biz_location: location(site),
        ilmd: Some(vec![cbv_mda("lotNumber", lot), cbv_mda("itemExpirationDate", expiry)]),
        ..event(stamp, EventType::ObjectEvent, Action::Add, "commissioning")
    }
}

/// A repackager turns `inputs` into `outputs` (new codes of the same lot and expiry): the
/// inputs end, the outputs are commissioned.
pub(crate) fn repackaging(
    stamp: Stamp,
    inputs: Vec<String>,
    outputs: Vec<String>,
    site: &str,
    lot: &str,
    expiry: &str,
) -> Event {
    Event {
        epc_list: inputs,
        output_epc_list: outputs,
        transformation_id: None,
        disposition: Some("active".to_owned()),
        read_point: location(site),
        biz_location: location(site),
        ilmd: Some(vec![cbv_mda("lotNumber", lot), cbv_mda("itemExpirationDate", expiry)]),
        action: None,
        ..event(stamp, EventType::TransformationEvent, Action::Observe, "repackaging")
    }
}

/// `children` are packed into `parent`.
pub(crate) fn packing(
    stamp: Stamp,
    parent: &str,
    children: Vec<String>,
    read_point: &str,
    site: &str,
) -> Event {
    Event {
        parent_id: Some(parent.to_owned()),
        epc_list: children,
        disposition: Some("in_progress".to_owned()),
        read_point: location(read_point),
        biz_location: location(site),
        ..event(stamp, EventType::AggregationEvent, Action::Add, "packing")
    }
}

/// `children` are taken out of `parent`.
pub(crate) fn unpacking(stamp: Stamp, parent: &str, children: Vec<String>, site: &str) -> Event {
    Event {
        parent_id: Some(parent.to_owned()),
        epc_list: children,
        disposition: Some("in_progress".to_owned()),
        read_point: location(site),
        biz_location: location(site),
        ..event(stamp, EventType::AggregationEvent, Action::Delete, "unpacking")
    }
}

/// `epcs` leave `from` for `to`; the shipping event names no `bizLocation`, since the goods
/// are on their way.
pub(crate) fn shipping(
    stamp: Stamp,
    epcs: Vec<String>,
    from: Site<'_>,
    to: Site<'_>,
    business: &[(&str, String)],
) -> Event {
    Event {
        epc_list: epcs,
        disposition: Some("in_transit".to_owned()),
        read_point: location(from.location),
        biz_transaction_list: transactions(business),
        source_list: source_dest(from),
        destination_list: source_dest(to),
        ..event(stamp, EventType::ObjectEvent, Action::Observe, "shipping")
    }
}

/// `epcs` arrive at `to` (whose location is also the `bizLocation`) from `from`.
pub(crate) fn receiving(
    stamp: Stamp,
    epcs: Vec<String>,
    from: Site<'_>,
    to: Site<'_>,
    business: &[(&str, String)],
) -> Event {
    Event {
        epc_list: epcs,
        disposition: Some("in_progress".to_owned()),
        read_point: location(to.location),
        biz_location: location(to.location),
        biz_transaction_list: transactions(business),
        source_list: source_dest(from),
        destination_list: source_dest(to),
        ..event(stamp, EventType::ObjectEvent, Action::Observe, "receiving")
    }
}

/// A pharmacy supplies `epcs` to patients.
pub(crate) fn dispensing(stamp: Stamp, epcs: Vec<String>, site: &str) -> Event {
    Event {
        epc_list: epcs,
        disposition: Some("dispensed".to_owned()),
        read_point: location(site),
        biz_location: location(site),
        ..event(stamp, EventType::ObjectEvent, Action::Observe, "dispensing")
    }
}

/// `epcs` are destroyed (damaged, expired, recalled or returned goods).
pub(crate) fn destroying(stamp: Stamp, epcs: Vec<String>, site: &str) -> Event {
    Event {
        epc_list: epcs,
        disposition: Some("destroyed".to_owned()),
        read_point: location(site),
        biz_location: location(site),
        ..event(stamp, EventType::ObjectEvent, Action::Observe, "destroying")
    }
}

/// `epcs` are reported stolen: decommissioned for good (EU FMD reason "stolen"). A theft in
/// transit has no `bizLocation`.
pub(crate) fn theft(stamp: Stamp, epcs: Vec<String>, site: Option<&str>) -> Event {
    Event {
        epc_list: epcs,
        disposition: Some("stolen".to_owned()),
        read_point: site.and_then(location),
        biz_location: site.and_then(location),
        ..event(stamp, EventType::ObjectEvent, Action::Delete, "decommissioning")
    }
}

/// `epcs` go back on the shelf as sellable: the EU FMD undo of a dispensing or a
/// decommissioning.
pub(crate) fn restocking(stamp: Stamp, epcs: Vec<String>, site: &str) -> Event {
    Event {
        epc_list: epcs,
        disposition: Some("sellable_accessible".to_owned()),
        read_point: location(site),
        biz_location: location(site),
        ..event(stamp, EventType::ObjectEvent, Action::Observe, "stocking")
    }
}

/// A verification scan of `epcs` at `site`; it sets no disposition, so it changes no status.
/// `expiry` puts an `itemExpirationDate` in the
/// event's ILMD, which EPCIS allows only on `ADD` events: only a fault writes it.
pub(crate) fn inspecting(
    stamp: Stamp,
    epcs: Vec<String>,
    site: &str,
    expiry: Option<&str>,
) -> Event {
    Event {
        epc_list: epcs,
        read_point: location(site),
        biz_location: location(site),
        ilmd: expiry.map(|expiry| vec![cbv_mda("itemExpirationDate", expiry)]),
        ..event(stamp, EventType::ObjectEvent, Action::Observe, "inspecting")
    }
}

/// The manufacturer recalls lot `lgtin` (`quantity` units): the lot gets the persistent
/// disposition `recalled`, which the ledger keeps on the lot's record.
pub(crate) fn recall(stamp: Stamp, lgtin: String, quantity: u64, site: &str) -> Event {
    hold_lot(stamp, lgtin, quantity, site, "recalled", "recalled")
}

/// The manufacturer withdraws lot `lgtin` (`quantity` units; EU FMD batch status
/// `withdrawn`, not a CBV 2.0 term, so an extension URI whose last segment the ledger reads):
/// the lot gets it as a persistent disposition.
pub(crate) fn withdrawal(stamp: Stamp, lgtin: String, quantity: u64, site: &str) -> Event {
    hold_lot(stamp, lgtin, quantity, site, "non_sellable_other", WITHDRAWN)
}

/// The persistent disposition of a withdrawn lot.
pub(crate) const WITHDRAWN: &str = "https://example.org/fmd/disp/withdrawn";

/// A `holding` event on lot `lgtin` that sets the persistent disposition `persistent`.
fn hold_lot(
    stamp: Stamp,
    lgtin: String,
    quantity: u64,
    site: &str,
    disposition: &str,
    persistent: &str,
) -> Event {
    Event {
        quantity_list: vec![QuantityElement {
            epc_class: lgtin,
            quantity: Some(quantity.to_string()),
            uom: None,
        }],
        disposition: Some(disposition.to_owned()),
        persistent_disposition: Some(PersistentDisposition {
            set: vec![persistent.to_owned()],
            unset: Vec::new(),
        }),
        read_point: location(site),
        biz_location: location(site),
        ..event(stamp, EventType::ObjectEvent, Action::Observe, "holding")
    }
}

#[cfg(test)]
mod tests;
