#!/usr/bin/python3
"""Markdown tables from bench/scale.sh's results.jsonl (one JSON object a line)."""
import json, statistics, sys

rows = []
for l in open(sys.argv[1]):
    try:
        rows.append(json.loads(l))
    except ValueError:
        if l.strip():
            print(f"scale_report: skipped a bad line: {l[:80]!r}", file=sys.stderr)
by = {}
for r in rows:
    by.setdefault(r["step"], []).append(r)
one = lambda s: by.get(s, [{}])[0]
cfg = one("config")
N = cfg.get("n", 0)


def fmt(x, unit="", nd=1):
    if x is None:
        return "—"
    return f"{x:.{nd}f}{unit}"


def gib(mib):
    return None if mib is None else mib / 1024


cold = [r for s, rs in by.items() if s.startswith("cold-") for r in rs if r.get("rc") == 0]
warm = [r for r in by.get("warm", []) if "ef" in r]
wdef = next((r for r in warm if r["ef"] == 0), {})
files = one("files")
kib = files.get("index_bytes", 0) / N / 1024 if files and N else None
build, add_imp, add_idx = one("build"), one("add-import"), one("add-index")
cl, ex, imp = one("cluster"), one("export"), one("import")

print(f"### vecimg scale benchmark, N = {N:,} × 4096 (fitted fc6-like vectors, seed {cfg.get('seed')})")
print()
print(f"{cfg.get('date')}, commit {cfg.get('commit')}, {cfg.get('cpu')}; "
      f"{cfg.get('queries')} held-out queries (not in the store); recall vs exact float32 cosine.")
print()
print("| measure | bar (must) | goal | measured | |")
print("|---|---|---|---|---|")


def row(name, bar, goal, val, ok_bar=None, ok_goal=None):
    mark = "" if ok_bar is None else ("goal met" if ok_goal else ("bar met" if ok_bar else "**misses the bar**"))
    print(f"| {name} | {bar} | {goal} | {val} | {mark} |")


if cold:
    med = statistics.median(r["wall_s"] for r in cold) * 1000
    rss = max(r["rss_mib"] for r in cold)
    row(f"cold CLI `similar <id>`, median of {len(cold)} processes", "≤ 150 ms", "≤ 50 ms", f"{med:.0f} ms", med <= 150, med <= 50)
    row("peak RSS of that process (max of the runs)", "≤ 1.5 GiB", "≤ 600 MiB", f"{rss:.0f} MiB", rss <= 1536, rss <= 600)
else:
    row("cold CLI `similar <id>`", "≤ 150 ms", "≤ 50 ms", "not measured")
if wdef:
    row("recall@10, held-out queries, default settings", "≥ 0.95", "≥ 0.99", f"{wdef['recall_at_10']:.4f}", wdef['recall_at_10'] >= .95, wdef['recall_at_10'] >= .99)
    cpu = f" (CPU {wdef['cpu_ms_per_query']:.2f} ms/query)" if "cpu_ms_per_query" in wdef else ""
    row("warm query latency, one thread (in-process, app.Similar)", "≤ 10 ms", "≤ 3 ms", f"{wdef['ms_per_query']:.2f} ms{cpu}", wdef['ms_per_query'] <= 10, wdef['ms_per_query'] <= 3)
else:
    row("recall@10 / warm latency", "", "", "not measured")
if build:
    b = build["wall_s"]
    row("full index build, 2 cores" + (" (first `similar`, incl. one query)" if "index" not in str(build) else ""), "≤ 30 min", "≤ 10 min", f"{b/60:.1f} min ({b:.0f} s)", b <= 1800, b <= 600)
    row("peak RSS while building", "≤ 8 GiB", "≤ 4 GiB", f"{gib(build['rss_mib']):.2f} GiB", build['rss_mib'] <= 8192, build['rss_mib'] <= 4096)
if kib is not None:
    row("index file size", "≤ 4.5 KiB/vector", "≤ 0.6 KiB/vector", f"{kib:.3f} KiB/vector ({files['index_bytes']/2**20:.0f} MiB)", kib <= 4.5, kib <= 0.6)
if add_idx:
    a = add_idx["wall_s"]
    row(f"add {cfg.get('add_n'):,} vectors to the built index (index update; import itself {fmt(add_imp.get('wall_s'), ' s')})", "≤ 60 s", "≤ 15 s", f"{a:.1f} s", a <= 60, a <= 15)
if cl:
    row("`cluster --k 100`, peak RSS", "≤ 6 GiB", "≤ 3 GiB", f"{gib(cl['rss_mib']):.2f} GiB (time {cl['wall_s']/60:.1f} min)", cl['rss_mib'] <= 6144, cl['rss_mib'] <= 3072)
print()
print("All timed steps (wall time, peak RSS, user+system CPU seconds, 1-minute load average at the end: "
      "the machine has 2 cores and may be shared with other work):")
print()
print("| step | time | peak RSS | CPU s | load |")
print("|---|---|---|---|---|")
for s, label in [("synth", "generate the npz files (bench/synth)"), ("import", f"`vecimg import --no-index` ({N:,} vectors)"),
                 ("build", "index build (first `vecimg similar`)"), ("exact", "`vecimg similar --exact <id>` (cold process)"),
                 ("add-import", "`vecimg import` of the added vectors"), ("add-index", "index update after it (next `similar`)"),
                 ("cluster", "`vecimg cluster --k 100`"), ("export", "`vecimg export`"), ("warm", "bench/synth/query (all its queries)")]:
    r = one(s)
    if r and "wall_s" in r:
        print(f"| {label} | {r['wall_s']:.1f} s | {r['rss_mib']:.0f} MiB | {r.get('cpu_s', float('nan')):.1f} | {r.get('load', '?')} |")
if cold:
    print(f"| cold `similar`, {len(cold)} runs: min / median / max | {min(r['wall_s'] for r in cold)*1000:.0f} / "
          f"{statistics.median(r['wall_s'] for r in cold)*1000:.0f} / {max(r['wall_s'] for r in cold)*1000:.0f} ms | "
          f"{max(r['rss_mib'] for r in cold):.0f} MiB | {statistics.median(r.get('cpu_s', 0) for r in cold):.2f} (median) | "
          f"{statistics.median(r.get('load', 0) for r in cold)} |")
if files:
    print(f"| store size on disk | {files['store_bytes']/2**30:.2f} GiB | | | |")
ex_w = next((r for r in by.get("warm", []) if "exact_ms_per_query" in r), None)
if ex_w:
    print(f"| exact search in-process (app.Similar Exact, {ex_w['threads']} threads) | {ex_w['exact_ms_per_query']:.0f} ms/query | | | |")
first = next((r for r in by.get("warm", []) if "open_ms" in r), None)
if first:
    print(f"| in-process open + first query | {first['open_ms']:.1f} + {first['first_query_ms']:.1f} ms | | | |")
print()
if warm:
    print(f"vecimg recall@10 / ms per query (one thread) by ef, N = {N:,}:")
    print()
    print("| ef | " + " | ".join("default" if r["ef"] == 0 else str(r["ef"]) for r in warm) + " |")
    print("|---|" + "---|" * len(warm))
    print("| recall@10 | " + " | ".join(f"{r['recall_at_10']:.4f}" for r in warm) + " |")
    print("| ms/query | " + " | ".join(f"{r['ms_per_query']:.2f}" for r in warm) + " |")
    if all("cpu_ms_per_query" in r for r in warm):
        print("| CPU ms/query | " + " | ".join(f"{r['cpu_ms_per_query']:.2f}" for r in warm) + " |")
    print()


def anchor(prefix, title):
    b = [r for r in by.get(prefix + "-build", []) if "build_s" in r]
    q = by.get(prefix + "-query", [])
    if not b:
        return
    b = b[0]
    load = next((r for r in q if "load_s" in r), {})
    qr = next((r for r in q if "query_peak_rss_mib" in r), {})
    efs = [r for r in q if "ef" in r]
    t = one(prefix + "-build")
    print(f"{title}, **N = {b['n']:,}** (first {b['n']:,} of the same vectors): build {b['build_s']:.1f} s "
          f"(peak RSS {b['peak_rss_mib']/1024:.2f} GiB), file {b['file_mib']:.0f} MiB, load {load.get('load_s', float('nan')):.2f} s, "
          f"query process peak RSS {qr.get('query_peak_rss_mib', float('nan')):.0f} MiB")
    print()
    if efs:
        print("| ef | " + " | ".join(str(r["ef"]) for r in efs) + " |")
        print("|---|" + "---|" * len(efs))
        print("| recall@10 | " + " | ".join(f"{r['recall_at_10']:.4f}" for r in efs) + " |")
        print("| ms/query | " + " | ".join(f"{r['ms_per_query']:.2f}" for r in efs) + " |")
        print()


anchor("hnswlib", "hnswlib (M=16, ef_construction=200, float32, 2 threads)")
anchor("faiss", "faiss IndexHNSWSQ 8-bit (M=16, efConstruction=200; Debian's generic build, **no AVX2**)")
iso = [r for r in by.get("iso-warm", []) if "ef" in r]
if iso:
    ib = one("iso-build")
    print(f"Isotropic Gaussian mixture (worst case), **N = {cfg.get('iso_n'):,}**: build {ib.get('wall_s', 0):.0f} s, peak RSS {ib.get('rss_mib', 0)/1024:.2f} GiB")
    print()
    print("| ef | " + " | ".join("default" if r["ef"] == 0 else str(r["ef"]) for r in iso) + " |")
    print("|---|" + "---|" * len(iso))
    print("| recall@10 | " + " | ".join(f"{r['recall_at_10']:.4f}" for r in iso) + " |")
    print("| ms/query | " + " | ".join(f"{r['ms_per_query']:.2f}" for r in iso) + " |")
    print()
    anchor("iso-hnswlib", "hnswlib on the isotropic set")
samples = [r for r in by.get("rss-sample", []) if r["max_rss_mib"] >= 200]
if samples:
    print("Memory of the longer-running processes, sampled every second (RssAnon = the process's own memory; "
          "RssFile = mapped file pages, e.g. the store's and the index's mmapped files, which /usr/bin/time's peak RSS includes):")
    print()
    print("| process | max RSS | max RssAnon | max RssFile |")
    print("|---|---|---|---|")
    for r in samples:
        c = r["cmd"].replace(cfg.get("dir", ".bench/scale") + "/", "")
        print(f"| `{c[:110]}` | {r['max_rss_mib']} MiB | {r['max_anon_mib']} MiB | {r['max_file_mib']} MiB |")
    print()
p = one("params")
if p:
    print(f"Generator fit (bench/fc6/fit.py, {p.get('n')} real fc6 vectors, {p.get('groups')} groups): real var in top 10 / 256 "
          f"directions {p['var_top10']:.3f} / {p['var_top256']:.3f}, mean-norm ratio {p['mean_norm_ratio']:.3f}, "
          f"median cosine to the 10th neighbour {p['nn10_cos_median']:.3f}; member scale {p['member_scale']:.3f}.")
for r in by.get("note", []):
    print()
    print("Note: " + r["text"])
