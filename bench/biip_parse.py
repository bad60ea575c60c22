"""The peer for `serialhub gs1 parse`: biip (the best-known Python GS1 parser) parsing every line
of a file in one process, producing the same facts (AIs and values). Prints codes per second."""
import sys
import time

import biip


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else len(lines)
    lines = lines[:limit]
    ok = 0
    start = time.perf_counter()
    for line in lines:
        try:
            result = biip.parse(line)
            if result.gs1_message is not None:
                ok += 1
        except biip.ParseError:
            pass
    elapsed = time.perf_counter() - start
    print(f"biip: {len(lines)} codes, {ok} parsed, {elapsed:.2f} s, {len(lines) / elapsed:,.0f} codes/s")


if __name__ == "__main__":
    main()
