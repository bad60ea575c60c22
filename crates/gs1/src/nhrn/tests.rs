//! Tests of `nhrn`.
use super::*;

#[test]
fn every_nhrn_ai_of_the_dictionary_has_a_scheme() {
    let dictionary = crate::dictionary::Dictionary::current();
    for spec in dictionary.entries().iter().filter(|s| s.title.starts_with("NHRN")) {
        let scheme = nhrn_scheme(Ai::new(spec.ai).expect("AI")).expect("known NHRN");
        assert_eq!(spec.title, format!("NHRN {}", scheme.name));
    }
    assert_eq!(nhrn_scheme(Ai::new("715").expect("AI")).and_then(|s| s.country), Some("US"));
    assert!(nhrn_scheme(Ai::new("01").expect("AI")).is_none());
}
