#!/usr/bin/python3
"""Markdown table of a bench/scale_dense.sh run.

    /usr/bin/python3 bench/scale_dense_report.py RESULTS.jsonl
"""
import json, statistics, sys


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    by = {}
    for r in rows:
        by.setdefault(r["step"], []).append(r)
    one = lambda s: (by.get(s) or [{}])[-1]
    cfg = one("config")
    out = []
    add = lambda m, v, how: out.append(f"| {m} | {v} | {how} |")
    print(f"N = {cfg.get('n')} dense vectors, {cfg.get('queries')} held-out queries, commit {cfg.get('commit')} vs base {cfg.get('base')}; "
          f"{cfg.get('cpu')} ({cfg.get('flags', '').strip()}); {cfg.get('date')}. Machine shared with other jobs: "
          "absolute times are as measured under that load (the 1-minute load average is given), ratios compare runs of the same script.\n")
    print("| measure | result | how |")
    print("|---|---|---|")
    cb, cn = one("check-base"), one("check-new")
    if cn:
        add("recall@10, default settings, 200 stored images (new)", f"**{cn['recall']:.4f}** (ef {cn['ef']})", "`similar --check --queries 200`")
        add("vectors read per query (new)", f"mean {cn['vectors_read_mean']:.1f}, p99 {cn['vectors_read_p99']}; {cn['capped']} capped", "same")
        add("vectors read by exact search (from the codes)", f"mean {cn['exact_vectors_read_mean']:.1f}, p99 {cn['exact_vectors_read_p99']} of {cn['vectors']}", "same (the truth side)")
    if cb:
        add("recall@10, default settings, 200 stored images (base)", f"{cb['recall']:.4f} (ef {cb['ef']})", "base `similar --check --queries 200`")
    t = one("tuning")
    if t:
        add("build's last line", t.get("line", ""), "new build")
    for w in by.get("warm", []):
        if "ef" in w:
            name = "default (tuned)" if w["ef"] == 0 else f"ef {w['ef']}"
            add(f"held-out queries, recall@10 {name}", f"{w['recall_at_10']:.4f}; warm {w['ms_per_query']:.2f} ms/query (1 thread)", "bench/synth/query, truth numpy")
        if "exact_ms_per_query" in w:
            add("held-out queries, exact search (in-process)", f"recall {w['exact_recall_at_10']:.4f}, {w['exact_ms_per_query']:.1f} ms/query", f"{w['exact_queries']} queries, all cores")
    cold = [r for s, rs in by.items() if s.startswith("cold-") for r in rs]
    if cold:
        ws = sorted(r["wall_s"] * 1000 for r in cold)
        add(f"cold `similar ID`, {len(ws)} processes", f"median {statistics.median(ws):.0f} ms (min {ws[0]:.0f}, max {ws[-1]:.0f}); peak RSS {max(r['rss_mib'] for r in cold):.0f} MiB", "new")
    ex = [r for s, rs in by.items() if s.startswith("exact-") and s[6:].isdigit() for r in rs]
    if ex:
        ws = sorted(r["wall_s"] * 1000 for r in ex)
        add(f"cold `similar --exact ID`, {len(ws)} processes (from the codes)", f"median {statistics.median(ws):.0f} ms (max {ws[-1]:.0f}); peak RSS {max(r['rss_mib'] for r in ex):.0f} MiB", "new")
    for s, what in (("exact-base", "base (streams the store)"), ("exact-noindex", "new without an index file (streams)")):
        r = one(s)
        if r:
            add(f"cold `similar --exact ID`, {what}", f"{r['wall_s'] * 1000:.0f} ms, peak RSS {r['rss_mib']:.0f} MiB (load {r['load']})", s)
    bb, bn = one("build-base"), one("build-new-same") or one("build-new")
    if bb and bn:
        add("index build alone (first `similar`)", f"base {bb['wall_s']:.1f} s, new {bn['wall_s']:.1f} s (tuning included): **{bn['wall_s'] / bb['wall_s']:.2f}×**; "
            f"CPU {bb['cpu_s']:.0f} / {bn['cpu_s']:.0f} s (**{bn['cpu_s'] / bb['cpu_s']:.2f}×**); load {bb['load']} / {bn['load']}", "same store, run back to back")
    ib, inew = one("import-base"), one("import-new")
    if ib and inew:
        add("`import` (index included)", f"base {ib['wall_s']:.1f} s, peak RSS {ib['rss_mib']:.0f} MiB; new {inew['wall_s']:.1f} s, peak RSS **{inew['rss_mib']:.0f} MiB**", "/usr/bin/time -v")
    ic = one("iso-check")
    if ic:
        add(f"isotropic {ic['vectors']}: recall@10 default, 200 stored images", f"**{ic['recall']:.4f}** (ef {ic['ef']}); reads mean {ic['vectors_read_mean']:.1f}, p99 {ic['vectors_read_p99']}", "`similar --check`")
    it = one("iso-tuning")
    if it:
        add("isotropic build's last line", it.get("line", ""), "new import")
    for w in by.get("iso-warm", []):
        if "ef" in w:
            add("isotropic held-out recall@10 default", f"{w['recall_at_10']:.4f}; warm {w['ms_per_query']:.2f} ms/query", "bench/synth/query")
        if "exact_ms_per_query" in w:
            add("isotropic exact search (in-process)", f"recall {w['exact_recall_at_10']:.4f}, {w['exact_ms_per_query']:.1f} ms/query", "")
    ii = one("iso-import")
    if ii:
        add("isotropic `import` (index included)", f"{ii['wall_s']:.1f} s, peak RSS {ii['rss_mib']:.0f} MiB", "new")
    for r in by.get("note", []):
        add("note", r["text"], "")
    print("\n".join(out))


main()
