//! Per-partner visibility, which EPCIS leaves to implementations: a caller acting for a
//! trading partner sees the events its party captured or is named in (as source, destination,
//! readPoint or bizLocation); an admin, or a key acting for no partner, sees everything. Every
//! route and every subscription filters through this one type.

use serialhub_epcis::query::EventQuery;
use serialhub_store::StoredEvent;

use crate::auth::Caller;

/// What one caller (or subscription) may see.
#[derive(Clone, Debug)]
pub struct Visibility {
    /// The party and the matcher of events naming it; `None`: everything.
    party: Option<(String, EventQuery)>,
}

impl Visibility {
    /// What `caller` may see.
    pub fn of(caller: &Caller) -> Visibility {
        if caller.sees_everything() {
            return Visibility { party: None };
        }
        Visibility::for_party(caller.party.clone())
    }

    /// What a caller acting for `party` may see (`None`: everything).
    pub fn for_party(party: Option<String>) -> Visibility {
        let party = party.map(|gln| {
            let mut names = EventQuery::default();
            names.restrict_to_parties(vec![gln.clone()]);
            (gln, names)
        });
        Visibility { party }
    }

    /// The party it is restricted to, if any.
    pub fn party(&self) -> Option<&str> {
        self.party.as_ref().map(|(gln, _)| gln.as_str())
    }

    /// Whether `event` is visible.
    pub fn sees(&self, event: &StoredEvent) -> bool {
        match &self.party {
            None => true,
            Some((gln, names)) => {
                event.record.captured_by.as_deref() == Some(gln.as_str())
                    || names.matches(&event.record.event)
            }
        }
    }
}
