//! Serial number generation for a GTIN: random, unpredictable, unique within a pool, and sized
//! so that guessing a valid serial stays below the EU FMD bound (Delegated Regulation 2016/161
//! Art. 4: probability below 1 in 10,000).
//!
//! The crate has no randomness of its own (it does no IO): callers pass a [`RandomSource`],
//! which in production is the operating system's CSPRNG.

use std::collections::HashSet;
use std::fmt;

/// A source of cryptographically secure random bytes.
pub trait RandomSource {
    /// Fills `buf` with random bytes.
    fn fill_bytes(&mut self, buf: &mut [u8]);
}

/// The characters serials are drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerialAlphabet {
    /// `0-9`: for markets and lines that want numeric serials.
    Numeric,
    /// `0-9A-Za-z`: the usual EU choice; every character is safe in URIs and EPCs.
    Alphanumeric,
    /// All 82 characters of GS1 CSET 82.
    Cset82,
}

const CSET82: &[u8] =
    b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl SerialAlphabet {
    fn chars(self) -> &'static [u8] {
        match self {
            SerialAlphabet::Numeric => &ALNUM[..10],
            SerialAlphabet::Alphanumeric => ALNUM,
            SerialAlphabet::Cset82 => CSET82,
        }
    }
}

/// The largest probability of guessing a valid serial that the EU FMD allows.
pub const EU_GUESS_PROBABILITY_MAX: f64 = 1e-4;

/// The longest serial AI (21) allows.
pub const SERIAL_LEN_MAX: usize = 20;

/// The most serials one call may draw: a large batch order, well within memory.
pub const GENERATE_COUNT_MAX: usize = 10_000_000;

/// Why a serial pool cannot be made or cannot issue more.
#[derive(Debug, Clone, PartialEq)]
pub enum SerialError {
    /// The length is not 1 to 20.
    Length(usize),
    /// More serials than [`GENERATE_COUNT_MAX`] in one call.
    Count(usize),
    /// The random source keeps giving bytes that make no new serial: it is broken.
    RandomSourceStuck,
    /// Issuing that many serials would make a guess likelier than allowed.
    GuessProbability {
        /// The probability the request would reach.
        probability: f64,
        /// The bound.
        max: f64,
    },
}

impl fmt::Display for SerialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SerialError::Length(len) => {
                write!(f, "serial length {len} is not between 1 and {SERIAL_LEN_MAX}")
            }
            SerialError::Count(count) => {
                write!(
                    f,
                    "{count} serials in one call is more than the {GENERATE_COUNT_MAX} allowed"
                )
            }
            SerialError::RandomSourceStuck => {
                f.write_str("the random source gives no new serials: it is not random")
            }
            SerialError::GuessProbability { probability, max } => write!(
                f,
                "issuing that many serials makes a guess succeed with probability {probability:.2e}, above the allowed {max:.0e}: use a longer serial or a larger alphabet"
            ),
        }
    }
}

impl std::error::Error for SerialError {}

/// The serials issued for one GTIN: draws new ones at random and never repeats one.
#[derive(Debug)]
pub struct SerialPool {
    alphabet: SerialAlphabet,
    len: usize,
    issued: HashSet<Box<str>>,
    guess_probability_max: f64,
}

impl SerialPool {
    /// A pool of serials of `len` characters from `alphabet`, with the EU guessing bound.
    pub fn new(alphabet: SerialAlphabet, len: usize) -> Result<SerialPool, SerialError> {
        if !(1..=SERIAL_LEN_MAX).contains(&len) {
            return Err(SerialError::Length(len));
        }
        Ok(SerialPool {
            alphabet,
            len,
            issued: HashSet::new(),
            guess_probability_max: EU_GUESS_PROBABILITY_MAX,
        })
    }

    /// Remembers serials issued before (from storage), so they are never issued again.
    pub fn extend_issued<'a>(&mut self, serials: impl IntoIterator<Item = &'a str>) {
        self.issued.extend(serials.into_iter().map(Box::from));
    }

    /// How many distinct serials the pool's format allows.
    pub fn space(&self) -> f64 {
        (self.alphabet.chars().len() as f64).powi(self.len as i32)
    }

    /// How many serials the pool has issued or knows of.
    pub fn issued(&self) -> usize {
        self.issued.len()
    }

    /// The probability that a guessed serial of this format is one that was issued.
    pub fn guess_probability(&self) -> f64 {
        self.issued.len() as f64 / self.space()
    }

    /// Draws `count` new serials, unique in the pool, uniformly at random; refuses when the
    /// guessing probability would pass the bound afterwards.
    pub fn generate(
        &mut self,
        random: &mut dyn RandomSource,
        count: usize,
    ) -> Result<Vec<String>, SerialError> {
        if count > GENERATE_COUNT_MAX {
            return Err(SerialError::Count(count));
        }
        let probability = (self.issued.len() + count) as f64 / self.space();
        if probability >= self.guess_probability_max {
            return Err(SerialError::GuessProbability {
                probability,
                max: self.guess_probability_max,
            });
        }
        let chars = self.alphabet.chars();
        // Rejection sampling keeps every character equally likely: bytes at or above the largest
        // multiple of the alphabet size are thrown away.
        let limit = 256 - 256 % chars.len();
        let mut out: Vec<String> = Vec::with_capacity(count);
        let mut bytes = [0u8; 64];
        let mut serial = String::with_capacity(self.len);
        // With the probability bound above, a healthy source almost never collides; this many
        // draws without progress means the source is broken, not unlucky.
        let mut draws_left = count.saturating_mul(4).saturating_add(1_000);
        while out.len() < count {
            serial.clear();
            while serial.len() < self.len {
                if draws_left == 0 {
                    // Nothing of a failed call counts as issued.
                    for serial in &out {
                        self.issued.remove(serial.as_str());
                    }
                    return Err(SerialError::RandomSourceStuck);
                }
                draws_left -= 1;
                random.fill_bytes(&mut bytes);
                for &b in &bytes {
                    if usize::from(b) < limit && serial.len() < self.len {
                        serial.push(char::from(chars[usize::from(b) % chars.len()]));
                    }
                }
            }
            // The bound above keeps collisions rare, so this loop ends quickly.
            if self.issued.insert(Box::from(serial.as_str())) {
                out.push(serial.clone());
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
