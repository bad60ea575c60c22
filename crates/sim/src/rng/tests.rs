//! Tests of `rng`: fixed outputs per seed (the generator must never change under a seed), and
//! the ranges of the derived draws.

use expect_test::{Expect, expect};

use super::Rng;

/// The first draws of each kind for `seed`.
#[track_caller]
fn check(seed: u64, expect: Expect) {
    let mut rng = Rng::new(seed);
    let words: Vec<String> = (0..2).map(|_| format!("{:016x}", rng.next_u64())).collect();
    let dice: Vec<String> = (0..12).map(|_| rng.range(1, 6).to_string()).collect();
    let coins: String = (0..16).map(|_| if rng.chance(0.25) { 'x' } else { '.' }).collect();
    let actual =
        format!("{} dice={} coins={coins} {}", words.join(" "), dice.join(""), rng.uuid_urn());
    expect.assert_eq(&actual);
}

#[test]
fn draws_are_fixed_per_seed() {
    check(
        0,
        expect![
            "99ec5f36cb75f2b4 bf6e1f784956452a dice=135634661114 coins=...x.x.......... urn:uuid:23f62e43-2b12-42df-8ac7-443a342c4913"
        ],
    );
    check(
        1,
        expect![
            "b3f2af6d0fc710c5 853b559647364cea dice=435113646665 coins=..x.xx.....x.... urn:uuid:02cfb683-9447-4959-a199-5e69b98a91ec"
        ],
    );
    check(
        u64::MAX,
        expect![
            "8f5520d52a7ead08 c476a018caa1802d dice=454535442133 coins=x.x...x.....x..x urn:uuid:78ac22d5-7ec4-49a1-a1f2-ded3f3a3779e"
        ],
    );
}

#[test]
fn draws_stay_in_range() {
    let mut rng = Rng::new(42);
    for n in [1, 2, 3, 7, 1000, u64::MAX] {
        for _ in 0..1000 {
            assert!(rng.below(n) < n);
        }
    }
    for _ in 0..1000 {
        let millis = rng.millis(5, 9);
        assert!((5..=9).contains(&millis));
        assert!(!rng.chance(0.0));
        assert!(rng.chance(1.0));
    }
    // Every value of a small range shows up.
    let mut seen = [false; 6];
    for _ in 0..200 {
        seen[rng.range(1, 6) as usize - 1] = true;
    }
    assert_eq!(seen, [true; 6]);
}

#[test]
fn uuids_are_version_4() {
    let mut rng = Rng::new(3);
    for _ in 0..100 {
        let urn = rng.uuid_urn();
        let uuid = urn.strip_prefix("urn:uuid:").expect("a UUID URN");
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{urn}");
        assert_eq!(&uuid[14..15], "4", "{urn}");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{urn}");
    }
}
