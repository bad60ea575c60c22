"""Writes N generated GS1 DataMatrix scan strings (one per line) for the side-by-side benchmark.

Each line is scan data as a reader sends it: `]d2`, GTIN-14 (valid check digit), expiry (17),
lot (10), GS, serial (21). Deterministic for a given seed.
"""
import random
import sys


def check_digit(body: str) -> str:
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def main() -> None:
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz"
    gtins = []
    for _ in range(200):
        body = "0" + "".join(rng.choice("0123456789") for _ in range(12))
        gtins.append(body + check_digit(body))
    out = sys.stdout
    for _ in range(n):
        gtin = rng.choice(gtins)
        expiry = f"{rng.randint(26, 30):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        lot = "L" + "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 10)))
        serial = "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 20)))
        out.write(f"]d201{gtin}17{expiry}10{lot}\x1d21{serial}\n")


if __name__ == "__main__":
    main()
