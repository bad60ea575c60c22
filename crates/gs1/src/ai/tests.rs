//! Tests of `ai`.
use super::*;

#[test]
fn every_ai_round_trips_through_text() {
    for len in 2..=4usize {
        for value in 0..pow10(len) {
            let text = format!("{value:0len$}");
            let ai = Ai::new(&text).expect("digits");
            assert_eq!(ai.as_str(), text);
        }
    }
    assert!(Ai::new("1").is_none());
    assert!(Ai::new("12345").is_none());
    assert!(Ai::new("1a").is_none());
    assert_ne!(Ai::new("01"), Ai::new("001"));
}

#[test]
fn patterns() {
    let ai = |s| Ai::new(s).expect("AI");
    assert!(pattern("31nn").matches(ai("3103")));
    assert!(!pattern("31nn").matches(ai("310")));
    assert!(!pattern("394n").matches(ai("3950")));
    assert!(pattern("01").matches(ai("01")));
    assert!(!pattern("01").matches(ai("010")));
    assert_eq!(pattern("0n").to_string(), "0n");
    assert_eq!(pattern("8006").to_string(), "8006");
    assert!(AiPattern::parse("n0").is_none());
    assert!(AiPattern::parse("nn").is_none());
    assert!(AiPattern::parse("0").is_none());
}
