#!/usr/bin/env python3
"""Prints criterion's results as the Markdown tables of benches/RESULTS.md.

Run after `cargo bench` (both benches, or one). Reads the median of every benchmark from
target/criterion/*/*/new/{benchmark,estimates}.json; prints nothing it did not find there.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
PEERS = ["rumqttc", "mqttbytes", "mqttrs", "mountain-mqtt (v5)"]


def load():
    results = {}
    for bench in ROOT.glob("**/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        group, function = meta["group_id"], meta["function_id"]
        results.setdefault(group, {})[function] = estimates["median"]["point_estimate"]
    return results


def ns(value):
    if value is None:
        return "n/a"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def table(title, header, rows):
    print(f"### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def fastest_peer(functions, peers):
    found = [(functions[p], p) for p in peers if p in functions]
    return min(found) if found else (None, None)


def codec_table(results, kind):
    groups = sorted(g for g in results if g.startswith(kind + "/"))
    if not groups:
        return
    peers = [p for p in PEERS if any(p in results[g] for g in groups)]
    # The limits: a memcpy of the payload for encoding, and for decoding the least a decoder
    # without `unsafe` that returns `&str` must do (find the strings, check their UTF-8).
    extra = ["memcpy payload"] if kind == "encode" else ["floor"]
    header = ["packet", "**picomqtt**"] + peers + extra + ["fastest peer ÷ picomqtt"]
    rows = []
    for group in groups:
        functions = results[group]
        ours = functions.get("picomqtt")
        best, _ = fastest_peer(functions, peers)
        row = [group.split("/", 1)[1], f"**{ns(ours)}**"]
        row += [ns(functions.get(p)) for p in peers]
        row += [ns(functions.get(e)) for e in extra]
        row.append(f"{best / ours:.1f}×" if ours and best else "n/a")
        rows.append(row)
    table(f"{kind} (median ns per packet)", header, rows)


def match_table(results):
    groups = sorted(g for g in results if g.startswith("match/"))
    if not groups:
        return
    header = ["filter", "**picomqtt**", "rumqttc", "mqttbytes", "fastest peer ÷ picomqtt",
              "picomqtt incl. validation"]
    rows = []
    for group in groups:
        functions = results[group]
        ours = functions.get("picomqtt")
        best, _ = fastest_peer(functions, ["rumqttc", "mqttbytes"])
        rows.append([
            group.split("/", 1)[1], f"**{ns(ours)}**", ns(functions.get("rumqttc")),
            ns(functions.get("mqttbytes")),
            f"{best / ours:.1f}×" if ours and best else "n/a",
            ns(functions.get("picomqtt incl. validation")),
        ])
    table("topic matching (median ns per match)", header, rows)


def other_tables(results):
    groups = sorted(g for g in results if g.split("/")[0] not in ("decode", "encode", "match"))
    if not groups:
        return
    rows = [[group, function, ns(median)]
            for group in groups for function, median in sorted(results[group].items())]
    table("client (median ns per message)", ["group", "benchmark", "median ns"], rows)


def main():
    if not ROOT.is_dir():
        sys.exit(f"no criterion results in {ROOT}: run `cargo bench` first")
    results = load()
    codec_table(results, "decode")
    codec_table(results, "encode")
    match_table(results)
    other_tables(results)


if __name__ == "__main__":
    main()
