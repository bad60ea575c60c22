#!/usr/bin/env python3
"""Generates a large EPCIS 2.0 document for the benchmarks: N ObjectEvents of K SGTINs each,
as JSON-LD or as its XML twin (same events). Deterministic (seeded), streaming (constant memory).

usage: gen_epcis.py --events 100000 --epcs 10 --format jsonld|xml > doc
"""
import argparse
import random
import sys


def events(n, k, rng):
    for i in range(n):
        gcp = "4012345"
        item = f"{rng.randrange(100000, 999999):06d}"
        epcs = [f"urn:epc:id:sgtin:{gcp}.{item}.{rng.randrange(10**11, 10**12)}" for _ in range(k)]
        minute = i % 60
        hour = (i // 60) % 24
        yield {
            "time": f"2024-03-{1 + i % 28:02d}T{hour:02d}:{minute:02d}:{i % 60:02d}.{i % 1000:03d}+01:00",
            "epcs": epcs,
            "step": ["commissioning", "packing", "shipping", "receiving"][i % 4],
            "disp": ["active", "in_progress", "in_transit", "in_progress"][i % 4],
            "rp": f"urn:epc:id:sgln:{gcp}.00001.{i % 7}",
            "bl": f"urn:epc:id:sgln:{gcp}.00001.0",
            "po": f"urn:epcglobal:cbv:bt:4012345000009:PO{i:08d}",
            "lot": f"LOT{i % 1000:04d}",
        }


def write_jsonld(out, n, k, rng):
    out.write('{\n  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",'
              ' {"ex": "https://ns.example.com/epcis/"}],\n'
              '  "type": "EPCISDocument",\n  "schemaVersion": "2.0",\n'
              '  "creationDate": "2024-03-01T00:00:00.000Z",\n'
              '  "epcisBody": {\n    "eventList": [\n')
    for i, e in enumerate(events(n, k, rng)):
        epcs = ",\n          ".join(f'"{x}"' for x in e["epcs"])
        out.write(
            ("" if i == 0 else ",\n") +
            '      {\n'
            '        "type": "ObjectEvent",\n'
            f'        "eventTime": "{e["time"]}",\n'
            '        "eventTimeZoneOffset": "+01:00",\n'
            f'        "epcList": [\n          {epcs}\n        ],\n'
            '        "action": "OBSERVE",\n'
            f'        "bizStep": "{e["step"]}",\n'
            f'        "disposition": "{e["disp"]}",\n'
            f'        "readPoint": {{"id": "{e["rp"]}"}},\n'
            f'        "bizLocation": {{"id": "{e["bl"]}"}},\n'
            f'        "bizTransactionList": [{{"type": "po", "bizTransaction": "{e["po"]}"}}],\n'
            f'        "ex:lot": "{e["lot"]}"\n'
            '      }')
    out.write("\n    ]\n  }\n}\n")


def write_xml(out, n, k, rng):
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" '
              'xmlns:ex="https://ns.example.com/epcis/" schemaVersion="2.0" '
              'creationDate="2024-03-01T00:00:00.000Z">\n  <EPCISBody>\n    <EventList>\n')
    for e in events(n, k, rng):
        epcs = "\n".join(f"          <epc>{x}</epc>" for x in e["epcs"])
        out.write(
            "      <ObjectEvent>\n"
            f"        <eventTime>{e['time']}</eventTime>\n"
            "        <eventTimeZoneOffset>+01:00</eventTimeZoneOffset>\n"
            f"        <epcList>\n{epcs}\n        </epcList>\n"
            "        <action>OBSERVE</action>\n"
            f"        <bizStep>urn:epcglobal:cbv:bizstep:{e['step']}</bizStep>\n"
            f"        <disposition>urn:epcglobal:cbv:disp:{e['disp']}</disposition>\n"
            f"        <readPoint><id>{e['rp']}</id></readPoint>\n"
            f"        <bizLocation><id>{e['bl']}</id></bizLocation>\n"
            "        <bizTransactionList>\n"
            f"          <bizTransaction type=\"urn:epcglobal:cbv:btt:po\">{e['po']}</bizTransaction>\n"
            "        </bizTransactionList>\n"
            f"        <ex:lot>{e['lot']}</ex:lot>\n"
            "      </ObjectEvent>\n")
    out.write("    </EventList>\n  </EPCISBody>\n</epcis:EPCISDocument>\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=100000)
    p.add_argument("--epcs", type=int, default=10)
    p.add_argument("--format", choices=["jsonld", "xml"], default="jsonld")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    out = open(sys.stdout.fileno(), "w", buffering=1 << 20, closefd=False)
    (write_jsonld if a.format == "jsonld" else write_xml)(out, a.events, a.epcs, random.Random(a.seed))
    out.flush()


if __name__ == "__main__":
    main()
