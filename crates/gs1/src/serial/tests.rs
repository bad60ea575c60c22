//! Tests of `serial`.
use super::*;

/// xorshift, for tests only: deterministic, and good enough to exercise the sampling.
struct TestRandom(u64);

impl RandomSource for TestRandom {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = self.0 as u8;
        }
    }
}

#[test]
fn serials_are_unique_valid_and_of_the_alphabet() {
    let mut random = TestRandom(0x9e37_79b9_7f4a_7c15);
    for alphabet in [SerialAlphabet::Numeric, SerialAlphabet::Alphanumeric, SerialAlphabet::Cset82]
    {
        let mut pool = SerialPool::new(alphabet, 12).expect("valid length");
        let serials = pool.generate(&mut random, 10_000).expect("within the bound");
        let distinct: HashSet<&String> = serials.iter().collect();
        assert_eq!(distinct.len(), 10_000);
        for serial in &serials {
            assert_eq!(serial.len(), 12);
            assert!(crate::lint::lint(crate::lint::Linter::Cset82, serial.as_bytes()).is_ok());
            assert!(serial.bytes().all(|b| alphabet.chars().contains(&b)));
        }
        assert!(pool.guess_probability() < EU_GUESS_PROBABILITY_MAX);
    }
}

#[test]
fn refuses_pools_that_make_guessing_too_easy() {
    let mut random = TestRandom(1);
    let mut pool = SerialPool::new(SerialAlphabet::Numeric, 6).expect("valid length");
    // 10^6 serials of 6 digits allow fewer than 100 issued.
    assert!(pool.generate(&mut random, 99).is_ok());
    let err = pool.generate(&mut random, 1).expect_err("bound reached");
    assert!(err.to_string().contains("above the allowed 1e-4"), "{err}");
    assert_eq!(
        SerialPool::new(SerialAlphabet::Numeric, 21).expect_err("too long"),
        SerialError::Length(21)
    );
    assert_eq!(
        SerialPool::new(SerialAlphabet::Numeric, 0).expect_err("empty"),
        SerialError::Length(0)
    );
}

#[test]
fn broken_sources_and_huge_counts_are_errors_not_hangs() {
    struct Constant;
    impl RandomSource for Constant {
        fn fill_bytes(&mut self, buf: &mut [u8]) {
            buf.fill(7);
        }
    }
    let mut pool = SerialPool::new(SerialAlphabet::Alphanumeric, 20).expect("valid length");
    assert_eq!(pool.generate(&mut Constant, 2), Err(SerialError::RandomSourceStuck));
    assert_eq!(pool.issued(), 0);
    struct Rejected;
    impl RandomSource for Rejected {
        fn fill_bytes(&mut self, buf: &mut [u8]) {
            buf.fill(255);
        }
    }
    assert_eq!(pool.generate(&mut Rejected, 1), Err(SerialError::RandomSourceStuck));
    assert_eq!(pool.generate(&mut Constant, usize::MAX), Err(SerialError::Count(usize::MAX)));
}

#[test]
fn never_reissues_known_serials() {
    let mut random = TestRandom(7);
    let mut pool = SerialPool::new(SerialAlphabet::Numeric, 8).expect("valid length");
    let first = pool.generate(&mut random, 1000).expect("within bound");
    let mut again = SerialPool::new(SerialAlphabet::Numeric, 8).expect("valid length");
    again.extend_issued(first.iter().map(String::as_str));
    let second = again.generate(&mut random, 1000).expect("within bound");
    assert!(second.iter().all(|s| !first.contains(s)));
    assert_eq!(again.issued(), 2000);
}

#[test]
fn characters_are_uniform() {
    let mut random = TestRandom(42);
    let mut pool = SerialPool::new(SerialAlphabet::Alphanumeric, 20).expect("valid length");
    let serials = pool.generate(&mut random, 5000).expect("within bound");
    let mut counts = [0u32; 62];
    for s in &serials {
        for b in s.bytes() {
            counts[ALNUM.iter().position(|&c| c == b).expect("alphabet")] += 1;
        }
    }
    // 100,000 draws over 62 characters: about 1,613 each; a 25% band catches gross bias.
    assert!(counts.iter().all(|&c| (1210..2016).contains(&c)), "{counts:?}");
}
