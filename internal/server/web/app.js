// vecimg serve: the library page. Plain JavaScript, no build step; it talks
// only to the JSON API under /api/v1/ of the server that served it.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const view = $("#view");
const enc = encodeURIComponent;

// The list the current image was opened from, for ← and →.
let context = { ids: [], from: "#/" };
let lastSearch = null; // {name, url, results}
let renderSeq = 0;     // drops answers of views the user already left

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of kids) if (c != null) e.append(c);
  return e;
}

function showError(msg) {
  const b = $("#error");
  if (!msg) { b.hidden = true; return; }
  b.textContent = msg;
  b.hidden = false;
}

// api calls the server; a 401 asks for the token once and keeps it in a
// same-site cookie so that image requests carry it as well.
async function api(path, opts = {}, retried = false) {
  const res = await fetch("/api/v1/" + path, { credentials: "same-origin", ...opts });
  if (res.status === 401 && !retried) {
    const t = prompt("This vecimg server needs its token (--token / VECIMG_TOKEN):");
    if (t) {
      document.cookie = "vecimg_token=" + enc(t) + "; path=/; SameSite=Strict";
      return api(path, opts, true);
    }
  }
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) throw new Error((body && body.error) || res.status + " " + res.statusText);
  return body;
}

// ?v=<sha prefix> lets the browser keep a thumbnail for good; without a
// hash (duplicate groups) it revalidates with the ETag.
const thumbURL = img => "/api/v1/images/" + enc(img.id) + "/thumb" + (img.sha256 ? "?v=" + img.sha256.slice(0, 16) : "");
const fileURL = img => "/api/v1/images/" + enc(img.id) + "/file?v=" + (img.sha256 || "").slice(0, 16);

function colour(label) {
  if (label == null || label < 0) return "#8a8f96";
  return "hsl(" + ((label * 137.508) % 360).toFixed(1) + ", 70%, 60%)";
}

function dot(label) {
  const d = el("span", { class: "dot" });
  d.style.background = colour(label); // CSSOM, allowed by the page's CSP
  return d;
}

function thumb(img, caption) {
  const a = el("a", { class: "thumb", href: "#/image/" + enc(img.id), "data-id": img.id, title: img.id },
    el("img", { src: thumbURL(img), alt: img.id, loading: "lazy", width: 132, height: 132 }),
    el("span", { class: "cap", text: caption != null ? caption : img.id }));
  return a;
}

// Remember the ids of the thumbnails in a container as the ← → context.
function trackContext(container, from) {
  container.addEventListener("click", ev => {
    const a = ev.target.closest(".thumb");
    if (!a) return;
    const ids = [...container.querySelectorAll(".thumb")].map(t => t.dataset.id);
    context = { ids, from };
  });
}

// ---- views ----

async function overview(seq) {
  const [cl, info] = await Promise.all([api("clusters"), api("info")]);
  if (seq !== renderSeq) return;
  view.replaceChildren();
  const form = el("form", { class: "controls", id: "cluster-form" },
    el("span", { text: cl.run ? "Clustered with k=" + cl.run.k + ", seed " + cl.run.seed +
      (cl.run.stale ? " (images were added since: run again to label them)" : "") : "Not clustered yet." }),
    el("label", { text: "k " }, el("input", { type: "number", name: "k", min: 1, max: 1000, value: cl.run ? cl.run.k : 5 })),
    el("label", { text: "seed " }, el("input", { type: "number", name: "seed", min: 0, value: cl.run ? cl.run.seed : 42 })),
    el("button", { type: "submit", text: cl.run ? "Cluster again" : "Cluster" }));
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    const btn = form.querySelector("button");
    btn.disabled = true; btn.textContent = "Clustering…";
    try {
      await api("clusters", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ k: +form.k.value, seed: +form.seed.value }) });
      showError(null);
      render();
    } catch (e) { showError(e.message); btn.disabled = false; btn.textContent = "Cluster"; }
  });
  view.append(form);

  const strips = [];
  if (cl.run) {
    const sorted = [...cl.clusters].sort((a, b) => b.size - a.size || a.label - b.label);
    for (const c of sorted) if (c.size > 0) strips.push({ label: c.label, size: c.size, title: "Cluster " + c.label });
    if (cl.unlabelled > 0) strips.push({ label: -1, size: cl.unlabelled, title: "Not clustered" });
  } else {
    strips.push({ label: null, size: info.count, title: "All images" });
  }
  const rows = await Promise.all(strips.map(s =>
    api("images?limit=24" + (s.label != null ? "&cluster=" + s.label : ""))));
  if (seq !== renderSeq) return;
  strips.forEach((s, i) => {
    const href = "#/cluster/" + (s.label != null ? s.label : "all");
    const row = el("div", { class: "row" });
    rows[i].images.forEach(img => row.append(thumb(img)));
    trackContext(row, href);
    view.append(el("section", { class: "strip", "data-label": s.label != null ? s.label : "all" },
      el("h2", {}, dot(s.label),
        el("a", { href, text: s.title }), el("span", { class: "muted", text: s.size + " images" })),
      row));
  });
  if (info.count === 0) view.append(el("p", { class: "muted", text: "The store is empty. Start vecimg serve with --watch DIR, or run vecimg ingest DIR." }));
}

async function grid(seq, which) {
  const label = which === "all" ? null : parseInt(which, 10);
  const title = label == null ? "All images" : label < 0 ? "Not clustered" : "Cluster " + label;
  const g = el("div", { class: "grid", id: "grid" });
  const sentinel = el("div", { class: "sentinel" });
  const head = el("h2", {}, dot(label), title);
  const countEl = el("span", { class: "muted" });
  head.append(countEl);
  view.replaceChildren(head, g, sentinel);
  const from = "#/cluster/" + which;
  trackContext(g, from);
  let offset = 0, total = Infinity, loading = false;
  async function more() {
    if (loading || offset >= total || seq !== renderSeq) return;
    loading = true;
    try {
      const page = await api("images?limit=100&offset=" + offset + (label != null ? "&cluster=" + label : ""));
      if (seq !== renderSeq) return;
      total = page.total;
      countEl.textContent = total + " images";
      page.images.forEach(img => g.append(thumb(img)));
      offset += page.images.length;
      if (page.images.length === 0) total = offset;
    } finally { loading = false; }
    // Keep loading while the sentinel is still on screen.
    const r = sentinel.getBoundingClientRect();
    if (r.top < innerHeight + 200 && offset < total) more();
  }
  const io = new IntersectionObserver(es => { if (es.some(e => e.isIntersecting)) more(); }, { rootMargin: "400px" });
  io.observe(sentinel);
  await more();
}

async function imageView(seq, id) {
  const img = await api("images/" + enc(id));
  if (seq !== renderSeq) return;
  const kIn = el("input", { type: "number", id: "k", min: 1, max: 1000, value: localStorage.getItem("vecimg.k") || 12 });
  const exactIn = el("input", { type: "checkbox", id: "exact" });
  const nb = el("div", { class: "grid", id: "neighbours" });
  const pos = context.ids.indexOf(id);
  const nav = el("div", { class: "controls" },
    el("a", { href: context.from, text: "← back" }),
    pos >= 0 ? el("span", { class: "muted", text: (pos + 1) + " of " + context.ids.length }) : null);
  view.replaceChildren(nav, el("div", { class: "detail", id: "detail", "data-id": img.id },
    el("div", { class: "main" },
      el("a", { href: fileURL(img), target: "_blank", rel: "noopener" }, el("img", { src: fileURL(img), alt: img.id })),
      el("dl", {},
        el("dt", { text: "id" }), el("dd", { text: img.id }),
        el("dt", { text: "size" }), el("dd", { text: img.width + " × " + img.height }),
        el("dt", { text: "cluster" }), el("dd", {},
          img.label >= 0 ? el("a", { href: "#/cluster/" + img.label, text: String(img.label) }) : "none"),
        el("dt", { text: "file" }), el("dd", { text: img.path }),
        el("dt", { text: "added" }), el("dd", { text: new Date(img.added).toLocaleString() }))),
    el("div", {},
      el("h2", { text: "Nearest images" }),
      el("div", { class: "controls" }, el("label", { text: "k " }, kIn),
        el("label", {}, exactIn, " exact search"),
        el("span", { class: "muted", text: "distance = 1 − cosine" })),
      nb)));
  trackContext(nb, "#/image/" + enc(id));
  async function load() {
    const k = Math.max(1, Math.min(1000, parseInt(kIn.value, 10) || 12));
    localStorage.setItem("vecimg.k", k);
    const res = await api("images/" + enc(id) + "/neighbours?k=" + k + (exactIn.checked ? "&exact=true" : ""));
    if (seq !== renderSeq) return;
    nb.replaceChildren(...res.results.map(r => thumb(r, r.distance.toFixed(4) + " · " + r.id)));
    nb.dataset.loaded = "true";
  }
  kIn.addEventListener("change", () => load().catch(e => showError(e.message)));
  exactIn.addEventListener("change", () => load().catch(e => showError(e.message)));
  await load();
}

async function mapView(seq) {
  const canvas = el("canvas", { id: "map" });
  const legend = el("div", { class: "legend" });
  const note = el("p", { class: "muted" });
  view.replaceChildren(el("h2", { text: "Map of the store" }), note, el("div", { id: "mapwrap" }, canvas), legend);
  const m = await api("map");
  if (seq !== renderSeq) return;
  note.textContent = m.points.length + " images, projected on the two main axes of their vectors (PCA: " +
    (100 * m.explained[0]).toFixed(1) + "% and " + (100 * m.explained[1]).toFixed(1) +
    "% of the variance). Colour = cluster. Hover for the image, click to open it.";
  const labels = [...new Set(m.points.map(p => p.label))].sort((a, b) => a - b);
  labels.forEach(l => legend.append(el("span", {}, dot(l),
    l < 0 ? "not clustered" : "cluster " + l)));
  let xy = [];
  function draw() {
    const dpr = devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    const c = canvas.getContext("2d");
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, w, h);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const p of m.points) { x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y); }
    const pad = 16, sx = (w - 2 * pad) / ((x1 - x0) || 1), sy = (h - 2 * pad) / ((y1 - y0) || 1);
    const s = Math.min(sx, sy);
    const ox = (w - s * (x1 - x0)) / 2, oy = (h - s * (y1 - y0)) / 2;
    const r = m.points.length > 5000 ? 2 : 4;
    xy = m.points.map(p => [ox + (p.x - x0) * s, h - (oy + (p.y - y0) * s), p]);
    window.vecimgMapPoints = xy; // canvas positions, for tests and the console
    let drawn = 0;
    for (const [x, y, p] of xy) {
      c.fillStyle = colour(p.label);
      c.beginPath(); c.arc(x, y, r, 0, 2 * Math.PI); c.fill();
      drawn++;
    }
    canvas.dataset.points = drawn;
  }
  function nearest(ev) {
    const b = canvas.getBoundingClientRect();
    const mx = ev.clientX - b.left, my = ev.clientY - b.top;
    let best = null, bd = 100; // within 10 px
    for (const q of xy) { const d = (q[0] - mx) ** 2 + (q[1] - my) ** 2; if (d < bd) { bd = d; best = q[2]; } }
    return best;
  }
  const tip = $("#tip");
  canvas.addEventListener("mousemove", ev => {
    const p = nearest(ev);
    if (!p) { tip.hidden = true; return; }
    tip.querySelector("img").src = thumbURL(p);
    tip.querySelector("span").textContent = p.id + (p.label >= 0 ? " · cluster " + p.label : "");
    tip.style.left = Math.min(ev.clientX + 14, innerWidth - 160) + "px";
    tip.style.top = Math.min(ev.clientY + 14, innerHeight - 180) + "px";
    tip.hidden = false;
  });
  canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
  canvas.addEventListener("click", ev => {
    const p = nearest(ev);
    if (p) { context = { ids: m.points.map(q => q.id), from: "#/map" }; location.hash = "#/image/" + enc(p.id); }
  });
  draw();
  window.addEventListener("resize", () => { if (seq === renderSeq) draw(); });
}

// Duplicates: one row per group (kept image first), a page of groups at a
// time. The server keeps the answer per store generation and threshold,
// so only the first visit waits for the search over the whole store.
async function dupsView(seq, threshold) {
  const tIn = el("input", { type: "number", name: "threshold", id: "dups-threshold", min: 0, max: 2, step: "any",
    value: threshold || "", placeholder: "default" });
  const form = el("form", { class: "controls", id: "dups-form" },
    el("label", { text: "threshold " }, tIn),
    el("button", { type: "submit", text: "Find" }),
    el("span", { class: "muted", text: "cosine distance D (1 − cos); files with the same content always form a group" }));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const v = tIn.value.trim();
    const t = parseFloat(v);
    if (v !== "" && !(t > 0 && t <= 2)) { showError("The threshold is a cosine distance in (0, 2], e.g. 0.004."); return; }
    location.hash = v === "" ? "#/dups" : "#/dups/" + enc(v);
  });
  const summary = el("p", { class: "muted", id: "dups-summary", text:
    "Finding duplicates… This looks at every image once; the answer is kept until the store changes." });
  const list = el("div", { id: "dups", "data-loading": "true" });
  const sentinel = el("div", { class: "sentinel" });
  view.replaceChildren(el("h2", { text: "Duplicates" }), form, summary, list, sentinel);
  const from = location.hash;
  const q = threshold ? "&threshold=" + enc(threshold) : "";
  let offset = 0, total = Infinity, loading = false, gen = null;
  async function more() {
    if (loading || offset >= total || seq !== renderSeq) return;
    loading = true;
    try {
      const d = await api("dups?limit=50&offset=" + offset + q);
      if (seq !== renderSeq) return;
      if (gen !== null && d.generation !== gen) {
        // The store changed between two pages: the groups were found again.
        total = offset;
        list.append(el("p", { class: "muted", text: "The store changed since these groups were found: reload for the new ones." }));
        return;
      }
      gen = d.generation;
      if (offset === 0) {
        if (!threshold) tIn.value = d.threshold;
        const secs = "found in " + d.seconds.toFixed(1) + " s" + (d.cached ? ", kept since" : "");
        summary.textContent = d.total === 0
          ? "No duplicates at threshold " + d.threshold + " among " + d.images + " images."
          : d.total + " groups, " + d.in_groups + " of " + d.images + " images, at threshold " + d.threshold +
            " (" + secs + "). The kept image comes first: largest resolution, then the oldest. Nothing is deleted." +
            (d.matching ? " Images " + d.matching + "." : "");
      }
      total = d.total;
      d.groups.forEach(g => list.append(dupGroup(g, from)));
      offset += d.groups.length;
      if (d.groups.length === 0) total = offset;
    } catch (e) {
      if (offset === 0 && seq === renderSeq) summary.textContent = "Could not find the duplicates: " + e.message;
      throw e;
    } finally { loading = false; }
    list.dataset.loading = offset < total ? "more" : "false";
    const r = sentinel.getBoundingClientRect();
    if (r.top < innerHeight + 200 && offset < total) more().catch(e => showError(e.message));
  }
  const io = new IntersectionObserver(es => { if (es.some(e => e.isIntersecting)) more().catch(e => showError(e.message)); }, { rootMargin: "400px" });
  io.observe(sentinel);
  await more();
}

function dupGroup(g, from) {
  const row = el("div", { class: "row" });
  for (const m of g.members) {
    const size = m.width + "×" + m.height;
    const how = m.keep ? "keep · " : m.distance.toFixed(4) + (m.phash_distance >= 0 ? " · pHash " + m.phash_distance + (m.mirrored ? " (mirrored)" : "") + (m.cropped ? " (cropped)" : "") : "") +
      (m.matched_by && m.matched_by.length ? " · " + m.matched_by.join("+") : "") + " · ";
    const a = thumb(m, how + size + "\n" + m.id);
    if (m.keep) { a.classList.add("keep"); a.prepend(el("span", { class: "badge", text: "keep" })); }
    a.title = m.id + " — " + m.path + (m.copies ? " (+" + m.copies + " identical)" : "");
    row.append(a);
  }
  trackContext(row, from);
  return el("section", { class: "strip dupgroup", "data-group": g.group, "data-kind": g.kind },
    el("h2", {}, el("span", { text: "Group " + g.group }),
      el("span", { class: "muted", text: g.members.length + (g.kind === "identical" ? " identical files" : " near-duplicates") +
        " · keep " + g.keep })),
    row);
}

async function searchFile(file) {
  if (!file) return;
  showError(null);
  if (lastSearch && lastSearch.url) URL.revokeObjectURL(lastSearch.url);
  lastSearch = { name: file.name, url: URL.createObjectURL(file), results: null, pending: true };
  if (location.hash !== "#/search") location.hash = "#/search"; else render();
  try {
    const k = localStorage.getItem("vecimg.k") || 12;
    const res = await api("search?k=" + k + "&name=" + enc(file.name), { method: "POST",
      headers: { "Content-Type": file.type || "application/octet-stream" }, body: file });
    lastSearch.results = res.results;
  } catch (e) {
    lastSearch.error = e.message;
  }
  lastSearch.pending = false;
  if (location.hash === "#/search") render();
}

function searchView() {
  if (!lastSearch) {
    view.replaceChildren(el("p", { class: "muted", text: "Drop an image on the page, or use “Search with an image…”." }));
    return;
  }
  const res = el("div", { class: "grid", id: "search-results" });
  view.replaceChildren(el("div", { class: "query" }, el("h2", { text: "Images like " + lastSearch.name }),
    el("img", { src: lastSearch.url, alt: lastSearch.name })), res);
  if (lastSearch.pending) res.append(el("p", { class: "muted", text: "Embedding and searching…" }));
  if (lastSearch.error) res.append(el("p", { class: "muted", text: "Search failed: " + lastSearch.error }));
  if (lastSearch.results) {
    lastSearch.results.forEach(r => res.append(thumb(r, r.distance.toFixed(4) + " · " + r.id)));
    res.dataset.loaded = "true";
  }
  trackContext(res, "#/search");
}

// ---- routing ----

async function render() {
  const seq = ++renderSeq;
  const h = location.hash || "#/";
  document.querySelectorAll("nav a").forEach(a => {
    const href = a.getAttribute("href");
    a.classList.toggle("active", href === h || (href !== "#/" && h.startsWith(href + "/")));
  });
  $("#tip").hidden = true;
  try {
    if (h.startsWith("#/image/")) await imageView(seq, decodeURIComponent(h.slice(8)));
    else if (h.startsWith("#/cluster/")) await grid(seq, decodeURIComponent(h.slice(10)));
    else if (h === "#/map") await mapView(seq);
    else if (h === "#/dups" || h.startsWith("#/dups/")) await dupsView(seq, h.length > 7 ? decodeURIComponent(h.slice(7)) : "");
    else if (h === "#/search") searchView();
    else await overview(seq);
    if (seq === renderSeq) { showError(null); view.dataset.ready = h; }
  } catch (e) {
    if (seq === renderSeq) showError(e.message);
  }
}

window.addEventListener("hashchange", () => { render(); scrollTo(0, 0); });

// ---- keyboard ----

function moveFocus(dx, dy) {
  const items = [...view.querySelectorAll(".thumb")];
  if (!items.length) return;
  let i = items.indexOf(document.activeElement);
  if (i < 0) { items[0].focus(); return; }
  if (dx) i = Math.max(0, Math.min(items.length - 1, i + dx));
  if (dy) {
    // The nearest thumbnail in the next row in that direction.
    const r = items[i].getBoundingClientRect();
    let best = -1, bd = Infinity;
    items.forEach((t, j) => {
      const q = t.getBoundingClientRect();
      if (dy > 0 ? q.top <= r.top + 4 : q.top >= r.top - 4) return;
      const d = Math.abs(q.top - r.top) * 4 + Math.abs(q.left - r.left);
      if (d < bd) { bd = d; best = j; }
    });
    if (best >= 0) i = best;
  }
  items[i].focus();
  items[i].scrollIntoView({ block: "nearest", inline: "nearest" });
}

document.addEventListener("keydown", ev => {
  if (ev.target.matches("input, textarea") || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const h = location.hash || "#/";
  if (ev.key === "Escape") {
    ev.preventDefault();
    if (h.startsWith("#/image/")) location.hash = context.from && context.from !== h ? context.from : "#/";
    else if (h !== "#/") location.hash = "#/";
    return;
  }
  const onThumb = document.activeElement && document.activeElement.closest && document.activeElement.closest(".thumb");
  if (h.startsWith("#/image/") && !onThumb && (ev.key === "ArrowLeft" || ev.key === "ArrowRight")) {
    const id = decodeURIComponent(h.slice(8));
    const i = context.ids.indexOf(id);
    if (i >= 0) {
      const j = i + (ev.key === "ArrowRight" ? 1 : -1);
      if (j >= 0 && j < context.ids.length) { ev.preventDefault(); location.hash = "#/image/" + enc(context.ids[j]); }
      return;
    }
  }
  const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
  if (d) { ev.preventDefault(); moveFocus(d[0], d[1]); }
});

// ---- upload: file picker and drag and drop ----

$("#file").addEventListener("change", ev => { searchFile(ev.target.files[0]); ev.target.value = ""; });
let dragDepth = 0;
document.addEventListener("dragenter", ev => { if ([...ev.dataTransfer.types].includes("Files")) { dragDepth++; $("#drop").hidden = false; } });
document.addEventListener("dragleave", () => { if (--dragDepth <= 0) { dragDepth = 0; $("#drop").hidden = true; } });
document.addEventListener("dragover", ev => ev.preventDefault());
document.addEventListener("drop", ev => {
  ev.preventDefault();
  dragDepth = 0; $("#drop").hidden = true;
  const f = ev.dataTransfer.files[0];
  if (f) searchFile(f);
});

// ---- store count and ingest progress ----

let lastStored = -1;
async function poll() {
  try {
    const info = await api("info");
    $("#count").textContent = info.count + " images · " + (info.model_desc || info.model || "") + (info.preset ? " · " + info.preset : "");
    const ing = info.ingest, bar = $("#ingest");
    if (ing.running && ing.progress) {
      const p = ing.progress;
      bar.hidden = false;
      $("#ingest-fill").style.width = (p.total ? 100 * p.done / p.total : 0).toFixed(1) + "%";
      $("#ingest-text").textContent = "Ingesting " + ing.dir + ": " + p.done + " of " + (p.total || "?") +
        " files" + (p.bad ? ", " + p.bad + " bad" : "") + " · " + info.count + " images stored";
    } else if (ing.last_error) {
      bar.hidden = false;
      $("#ingest-fill").style.width = "0";
      $("#ingest-text").textContent = "Last ingest of " + ing.dir + " failed: " + ing.last_error;
    } else {
      bar.hidden = true;
    }
    if (lastStored >= 0 && ing.stored !== lastStored && !ing.running && (location.hash || "#/") === "#/") render();
    lastStored = ing.stored;
    setTimeout(poll, ing.dir ? 1500 : 10000);
  } catch (e) {
    setTimeout(poll, 5000);
  }
}

render();
poll();
