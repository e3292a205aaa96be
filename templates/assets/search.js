// kbgen search: instant search over the static files that
// internal/search exports (see its package documentation for the format).
//
// The query is analysed exactly as the index was at build time (NFKC, lower
// case, letter/digit runs and CJK bigrams, a light English stem) and error
// codes are recognised in every form errcode.Parse accepts; tests in
// internal/search run this file in Node and compare its tokens and its top
// results with the Go side's. Only the files a query needs are fetched:
// index.json, one code bucket per code, one shard per term, and d/<n>.json
// for the results shown.
//
// Page contract (templates/base.html, search.html): input#search-input in
// form.search, div#search-results (role listbox) after it, body
// data-index (URL of the search directory, whose index.json names the
// export directory of the current version), data-base (site base path),
// data-lang; div#search-page on the search page. ?q= on any page opens with
// results. Events on document: "kbgen:search" {query, count} after each
// search, "kbgen:select" {query, id, rank} when a result is opened, for
// sites that want to count them.
(function (G) {
  "use strict";
  const FORMAT = 4, MAX_WORD = 64, MAX_GROUPS = 24, MIN_PREFIX = 3, SNIP = 120, BEFORE = 30;
  const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}ー]/u,
    WORD = /[\p{L}\p{N}\p{M}]/u,
    D64 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_",
    V64 = {};
  for (let i = 0; i < 64; i++) V64[D64[i]] = i;

  // ---- analysis (internal/search/analysis.go) ----

  // lower maps one code point as Go's unicode.ToLower does: toLowerCase
  // of a lone character, whose only multi-character case (İ → i̇) Go maps
  // to its first character.
  const lower = (ch) => String.fromCodePoint(ch.toLowerCase().codePointAt(0));
  function fold(s) {
    let o = "";
    for (const ch of s.normalize("NFKC")) o += lower(ch);
    return o;
  }

  // runs splits folded text into letter/digit runs and CJK runs.
  function runs(s) {
    const out = [];
    let cls = 0, buf = [];
    const flush = () => {
      if (cls && (cls === 2 || buf.length <= MAX_WORD)) out.push({ text: buf.join(""), cjk: cls === 2 });
      buf = [];
    };
    for (const ch of s) {
      const c = CJK.test(ch) ? 2 : WORD.test(ch) ? 1 : 0;
      if (c !== cls) { flush(); cls = c; }
      if (c) buf.push(ch);
    }
    flush();
    return out;
  }

  function stem(w) {
    if (w.length < 4 || !/^[a-z]+$/.test(w)) return w;
    const ends = (s) => w.endsWith(s);
    if (w.length > 4 && (ends("ies") || ends("ied"))) w = w.slice(0, -3) + "y";
    else if (ends("s") && !ends("ss") && !ends("us") && !ends("is")) w = w.slice(0, -1);
    for (const suf of ["ation", "ating", "ated", "ate", "ing", "ed"]) {
      if (!ends(suf) || w.length - suf.length < 3) continue;
      if (suf === "ed" && w[w.length - 3] === "e") break;
      w = w.slice(0, -suf.length);
      const n = w.length;
      if ((suf === "ing" || suf === "ed") && n > 3 && w[n - 1] === w[n - 2] && !"aeioulsz".includes(w[n - 1])) w = w.slice(0, -1);
      break;
    }
    if (w.length > 5 && w.endsWith("e")) w = w.slice(0, -1);
    return w;
  }

  // analyze returns the terms the index holds for text, in order.
  function analyze(text) {
    const out = [];
    for (const r of runs(fold(text))) {
      if (r.cjk) {
        const cs = Array.from(r.text);
        for (let i = 0; i < cs.length; i++) {
          out.push(cs[i]);
          if (i + 1 < cs.length) out.push(cs[i] + cs[i + 1]);
        }
      } else {
        out.push(r.text);
        const s = stem(r.text), m = /^[a-z]+([0-9]{4,})$/.exec(r.text);
        if (s !== r.text) out.push(s);
        if (m) out.push(m[1]);
      }
    }
    return out;
  }

  // ---- error codes (internal/errcode) ----

  const foldWidth = (s) => s.replace(/[\uFF01-\uFF5E\u3000]/g, (c) => c === "\u3000" ? " " : String.fromCharCode(c.charCodeAt(0) - 0xFEE0));
  const goTrim = (s) => s.replace(/^[\t\n\v\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+|[\t\n\v\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+$/g, "");
  const isHex = (s) => /^[0-9A-Fa-f]+$/.test(s), isDigits = (s) => /^[0-9]+$/.test(s);
  const hex8 = (v) => "0x" + (v >>> 0).toString(16).toUpperCase().padStart(8, "0");

  function parseCode(s) {
    let t = goTrim(foldWidth(s));
    if (t.length === 10 && t[0] === "0" && (t[1] === "x" || t[1] === "X")) t = t.slice(2);
    if (t.length === 8 && isHex(t)) return hex8(parseInt(t, 16));
    if (t.length >= 8 && t.length <= 11 && t[0] === "-" && isDigits(t.slice(1))) {
      const v = -Number(t.slice(1));
      if (v < 0 && v >= -2147483648) return hex8(v);
    }
    if (t.length === 10 && isDigits(t)) {
      const v = Number(t);
      if (v >= 2147483648 && v <= 4294967295) return hex8(v);
    }
    return "";
  }

  function parsePrefix(s) {
    const t = goTrim(foldWidth(s));
    if (t.length < 5 || t.length > 9 || t[0] !== "0" || (t[1] !== "x" && t[1] !== "X") || !isHex(t.slice(2))) return "";
    return "0x" + t.slice(2).toUpperCase();
  }

  // findCodes returns [code, start, end] for each code written in the code
  // points cps, as errcode.Find, with code point offsets.
  function findCodes(cps) {
    const out = [], f = (i) => i >= 0 && i < cps.length ? foldWidth(cps[i]) : "",
      wordy = (c) => /^[0-9A-Za-z_]$/.test(c);
    for (let i = 0; i < cps.length; i++) {
      if (f(i) !== "0" || wordy(f(i - 1)) || !/^[xX]$/.test(f(i + 1))) continue;
      let j = i + 2, h = "";
      while (h.length < 8 && j < cps.length && /^[0-9A-Fa-f]$/.test(f(j))) h += f(j++);
      if (h.length === 8 && !wordy(f(j))) {
        out.push([hex8(parseInt(h, 16)), i, j]);
        i = j - 1;
      }
    }
    return out;
  }

  // ---- queries (internal/search/query.go) ----

  function parseQuery(q) {
    q = q.normalize("NFKC");
    const p = { codes: [], pieces: [], open: q !== "" && !/[ \t\n\r\f\v]$/.test(q) };
    const add = (code, prefix, raw) => {
      p.pieces.push({ code: p.codes.length });
      p.codes.push({ code, prefix, raw });
    };
    for (const chunk of q.split(/[ \t\n\r\f\v]+/)) {
      if (!chunk) continue;
      let c = parseCode(chunk);
      if (c) { add(c, false, chunk); continue; }
      if ((c = parsePrefix(chunk))) { add(c, true, chunk); continue; }
      const cps = Array.from(chunk);
      let at = 0;
      for (const [code, s, e] of findCodes(cps)) {
        if (s > at) p.pieces.push({ text: cps.slice(at, s).join(""), code: -1 });
        add(code, false, cps.slice(s, e).join(""));
        at = e;
      }
      if (at < cps.length) p.pieces.push({ text: cps.slice(at).join(""), code: -1 });
    }
    return p;
  }

  // textGroups returns the query's text terms as groups (any term of a
  // group, or the prefix, matches) and the strings snippets mark.
  function textGroups(p, unmatched, split) {
    const texts = [], gs = [], needles = [], seen = new Set();
    let lastIsText = false;
    for (const pc of p.pieces) {
      if (pc.code >= 0 && !unmatched[pc.code]) { lastIsText = false; continue; }
      texts.push(pc.code >= 0 ? p.codes[pc.code].raw : pc.text);
      lastIsText = true;
    }
    const rs = runs(fold(texts.join(" ")));
    const add = (g) => {
      const k = g.terms.join("\0") + "\x01" + g.prefix;
      if (!seen.has(k) && gs.length < MAX_GROUPS) { seen.add(k); gs.push(g); }
    };
    rs.forEach((r, i) => {
      needles.push(r.text);
      if (r.cjk) {
        const cs = Array.from(r.text);
        if (cs.length === 1) return add({ terms: [r.text], prefix: "" });
        for (let j = 0; j + 1 < cs.length; j++) add({ terms: [cs[j] + cs[j + 1]], prefix: "" });
        return;
      }
      const g = { terms: [r.text], prefix: "" }, s = stem(r.text);
      if (s !== r.text) { g.terms.push(s); needles.push(s); }
      if (i === rs.length - 1 && p.open && lastIsText && expandable(r.text, split)) g.prefix = r.text;
      add(g);
    });
    return [gs, needles];
  }

  // ---- the exported files (internal/search/export.go) ----

  // parseFile parses an exported file's bytes: JSON, or gzip-compressed
  // JSON (magic bytes 1f 8b) as the term shards are exported, unless the
  // host sent them with Content-Encoding: gzip and the browser has decoded
  // them already.
  function parseFile(buf) {
    const b = new Uint8Array(buf);
    if (b[0] !== 0x1f || b[1] !== 0x8b) return Promise.resolve(JSON.parse(new TextDecoder().decode(b)));
    return new Response(new Blob([b]).stream().pipeThrough(new DecompressionStream("gzip"))).json();
  }

  // shardKey: the first three runes, longer while in the split set
  // (internal/search/shard.go).
  function shardKey(term, split) {
    const cs = Array.from(term);
    let k = MIN_PREFIX;
    while (k < cs.length && split.has(cs.slice(0, k).join(""))) k++;
    return cs.slice(0, k).join("");
  }
  const expandable = (prefix, split) => Array.from(prefix).length >= MIN_PREFIX && !split.has(prefix);

  const utf8 = new TextEncoder();
  function shardOf(term, n, split) {
    let h = 0x811c9dc5;
    for (const b of utf8.encode(shardKey(term, split))) h = Math.imul(h ^ b, 0x01000193);
    return (h >>> 0) & (n - 1);
  }

  function varints(s, from) {
    const out = [];
    let v = 0, sh = 0;
    for (let i = from; i < s.length; i++) {
      const x = V64[s[i]];
      if (x >= 32) { v += (x & 31) * 2 ** sh; sh += 5; } else { out.push(v + x * 2 ** sh); v = sh = 0; }
    }
    return out;
  }

  // decodeTerm returns a term's postings as [docs, impacts].
  function decodeTerm(s) {
    let docs = [], imps;
    if (s[0] === "~") {
      const dot = s.indexOf(".");
      for (let i = 1; i < dot; i++) {
        const v = V64[s[i]];
        for (let b = 0; b < 6; b++) if (v & (1 << b)) docs.push((i - 1) * 6 + b);
      }
      const vs = varints(s, dot + 1);
      imps = new Int32Array(vs.length - 1);
      for (let i = 1; i < vs.length; i++) imps[i - 1] = vs[i] + vs[0];
    } else {
      const vs = varints(s, 0), k = (vs.length - 1) / 2;
      imps = new Int32Array(k);
      for (let i = 0, d = -1; i < k; i++) { d += vs[1 + 2 * i]; docs.push(d); imps[i] = vs[2 + 2 * i] + vs[0]; }
    }
    return [Int32Array.from(docs), imps];
  }

  class Engine {
    // fetchJSON(path) resolves to the parsed file at path, relative to the
    // export directory (see parseFile).
    constructor(fetchJSON) {
      const cache = new Map();
      this.get = (path) => {
        if (!cache.has(path)) {
          const p = fetchJSON(path);
          p.catch(() => cache.delete(path));
          cache.set(path, p);
        }
        return cache.get(path);
      };
      this.terms = new Map();
      this.bits = new Map();
      // cards holds doc → card ({id, t, l, c}) of every document in the
      // code buckets fetched: enough to show a result before its d/ file.
      this.cards = new Map();
    }

    async manifest() {
      const m = await this.get("index.json");
      if (m.format !== FORMAT) throw new Error("search index format " + m.format + ", want " + FORMAT);
      if (!m.splitSet) m.splitSet = new Set(m.split);
      return m;
    }

    async shard(path) {
      const arr = await this.get(path);
      if (!arr.index) arr.index = new Map(arr);
      return arr;
    }

    // postings returns term's [docs, impacts], or null.
    async postings(m, term) {
      const one = Array.from(term).length === 1,
        sh = await this.shard((one ? "u/" : "t/") + shardOf(term, one ? m.chars : m.terms, m.splitSet) + ".json.gz");
      const s = sh.index.get(term);
      if (s === undefined) return null;
      if (!this.terms.has(term)) this.terms.set(term, decodeTerm(s));
      return this.terms.get(term);
    }

    async expand(m, prefix) {
      const sh = await this.shard("t/" + shardOf(prefix, m.terms, m.splitSet) + ".json.gz");
      return sh.filter((e) => e[0].startsWith(prefix)).map((e) => e[0]);
    }

    // carriers returns doc → code score for a code or code prefix. The
    // bucket of its first three hex digits exists if the manifest's bitmap
    // says so; a split bucket names its sub-buckets (writeCodeBuckets).
    async carriers(m, c) {
      const hex = c.code.slice(2), out = new Map(), top = hex.slice(0, 3), n = parseInt(top, 16);
      if (!m.codeBits) m.codeBits = Uint8Array.from(atob(m.codes), (ch) => ch.charCodeAt(0));
      const visit = async (k) => {
        const b = await this.get("c/" + k + ".json");
        if (b.split) {
          await Promise.all(b.split.filter((s) => hex.startsWith(s) || (c.prefix && s.startsWith(hex))).map(visit));
          return;
        }
        for (const d in b.docs) this.cards.set(+d, b.docs[d]);
        for (const [code, s] of b.codes) {
          if (c.prefix ? !code.startsWith(c.code) : code !== c.code) continue;
          let d = -1;
          for (const v of varints(s, 0)) {
            d += Math.floor(v / 2);
            out.set(d, Math.max(out.get(d) || 0, v % 2 ? 2 : 1));
          }
        }
      };
      if (top.length === 3 && (m.codeBits[n >> 3] >> (n & 7)) & 1) await visit(top);
      return out;
    }

    bitmap(path) {
      if (!this.bits.has(path)) this.bits.set(path, this.get(path).then((b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0))));
      return this.bits.get(path);
    }

    // search returns every result in rank order ({doc, code, matched,
    // text}), with what snippets should mark.
    // prefer ranks that language first among equally good matches.
    async search(text, filter, prefer) {
      const m = await this.manifest(), n = m.docs, p = parseQuery(text);
      const code = new Int32Array(n), matched = new Int32Array(n), score = new Int32Array(n), touched = [];
      const touch = (d) => { if (!code[d] && !matched[d]) touched.push(d); };
      // Fetch the plain text's shards, and the bitmap of the preferred
      // language, while the code buckets load. A query of codes alone
      // ranks by the languages on its carriers' cards instead, and
      // fetches the bitmap only if some code has no carrier.
      const plain = textGroups(p, p.codes.map(() => false), m.splitSet)[0];
      plain.forEach((g) => g.terms.forEach((t) => this.postings(m, t).catch(() => {})));
      const li = prefer ? m.langs.findIndex((x) => x.name === prefer) : -1;
      let pbits = null;
      const wantBits = () => {
        if (!pbits && li >= 0) (pbits = this.bitmap("f/l" + li + ".json")).catch(() => {});
      };
      if (plain.length || !p.codes.length) wantBits();
      const cs = await Promise.all(p.codes.map((c) => this.carriers(m, c)));
      if (cs.some((b) => b.size === 0)) wantBits();
      cs.forEach((b) => b.forEach((w, d) => { touch(d); code[d] += w; }));
      const [groups, needles] = textGroups(p, cs.map((b) => b.size === 0), m.splitSet);
      // Each group's best impact per document; impacts are at least 1,
      // so 0 means "not in this group".
      const lists = await Promise.all(groups.map(async (g) => {
        const terms = g.prefix ? g.terms.concat(await this.expand(m, g.prefix)) : g.terms;
        return Promise.all(terms.map((t) => this.postings(m, t)));
      }));
      const best = new Int32Array(n);
      for (const list of lists) {
        const hit = [];
        for (const ps of list) {
          if (!ps) continue;
          const [docs, imps] = ps;
          for (let i = 0; i < docs.length; i++) {
            const d = docs[i];
            if (!best[d]) hit.push(d);
            if (imps[i] > best[d]) best[d] = imps[i];
          }
        }
        for (const d of hit) { touch(d); matched[d]++; score[d] += best[d]; best[d] = 0; }
      }
      let keep = null;
      if (filter) {
        const want = [];
        if (filter.lang) want.push(["l", m.langs, filter.lang]);
        for (const t of filter.tags || []) want.push(["t", m.tags, t]);
        for (const [f, list, v] of want) {
          const i = list.findIndex((x) => x.name === v), bits = i < 0 ? new Uint8Array(0) : await this.bitmap("f/" + f + i + ".json");
          const ok = (d) => (bits[d >> 3] >> (d & 7)) & 1;
          keep = keep ? keep.filter(ok) : touched.filter(ok);
        }
      }
      const cand = keep || touched, g = groups.length;
      let res = [];
      for (let pass = 0; pass < 2 && !res.length; pass++) {
        res = cand.filter((d) => code[d] > 0 || (g > 0 && matched[d] === g) || (pass === 1 && matched[d] > 0));
      }
      const pb = pbits && (await pbits), cards = this.cards;
      const pref = (d) => (pb ? (pb[d >> 3] >> (d & 7)) & 1 : li >= 0 && cards.has(d) && cards.get(d).l === prefer ? 1 : 0);
      res.sort((a, b) => code[b] - code[a] || matched[b] - matched[a] || pref(b) - pref(a) || score[b] - score[a] || a - b);
      return { results: res.map((d) => ({ doc: d, code: code[d], matched: matched[d], text: score[d] })), plan: p, needles };
    }

    doc(n) { return this.get("d/" + n + ".json"); }
  }

  // ---- snippets (internal/search/snippet.go) ----

  const esc = (s) => s.replace(/[&'<>"]/g, (c) => ({ "&": "&amp;", "'": "&#39;", "<": "&lt;", ">": "&gt;", '"': "&#34;" })[c]);

  function marks(s, plan, needles) {
    const cps = Array.from(s), folded = cps.map(fold), ms = [];
    for (const nd of needles) {
      const nr = Array.from(nd);
      for (let i = 0; i < cps.length; i++) {
        let k = 0, j = i, ok = false;
        outer: for (; j < cps.length; j++) {
          for (const r of folded[j]) { if (k === nr.length || nr[k] !== r) break outer; k++; }
          if (k === nr.length) { ok = true; break; }
        }
        if (ok) ms.push([i, j + 1]);
      }
    }
    for (const [code, a, z] of findCodes(cps)) {
      if (plan.codes.some((c) => (c.prefix ? code.startsWith(c.code) : code === c.code))) ms.push([a, z]);
    }
    ms.sort((x, y) => x[0] - y[0] || y[1] - x[1]);
    const out = [];
    for (const m of ms) {
      const last = out[out.length - 1];
      if (last && m[0] <= last[1]) last[1] = Math.max(last[1], m[1]);
      else out.push(m.slice());
    }
    return out;
  }

  function render(cps, ms, start, end) {
    let o = "", at = start;
    for (const [a0, z0] of ms) {
      const a = Math.max(a0, start), z = Math.min(z0, end);
      if (a >= z) continue;
      o += esc(cps.slice(at, a).join("")) + "<mark>" + esc(cps.slice(a, z).join("")) + "</mark>";
      at = z;
    }
    return o + esc(cps.slice(at, end).join(""));
  }

  function window_(s, ms) {
    const cps = Array.from(s);
    let start = ms.length && ms[0][0] > BEFORE ? ms[0][0] - BEFORE : 0, end = start + SNIP;
    if (end > cps.length) { end = cps.length; start = Math.max(0, end - SNIP); }
    return (start > 0 ? "…" : "") + render(cps, ms, start, end) + (end < cps.length ? "…" : "");
  }

  // snippet returns escaped HTML from the first source with a match.
  function snippet(r, sources) {
    for (const s of sources) {
      if (!s) continue;
      const ms = marks(s, r.plan, r.needles);
      if (ms.length) return window_(s, ms);
    }
    const s = sources.find(Boolean);
    return s ? window_(s, []) : "";
  }

  // highlight returns all of s, escaped, with the matches marked.
  const highlight = (s, r) => { const cps = Array.from(s || ""); return render(cps, marks(s || "", r.plan, r.needles), 0, cps.length); };

  const api = { fold, runs, stem, analyze, parseCode, parsePrefix, findCodes, parseQuery, textGroups, shardKey, shardOf, parseFile, decodeTerm, Engine, snippet, highlight };
  G.kbgenSearch = api;
  if (typeof document === "undefined") return;

  // ---- the page ----

  const d = document, body = d.body, input = d.getElementById("search-input"), box = d.getElementById("search-results"),
    page = d.getElementById("search-page");
  if (!input || !body || !body.dataset.index || !input.form || (!box && !page)) return;
  const indexURL = new URL(body.dataset.index.replace(/\/?$/, "/"), location.href),
    base = (body.dataset.base || "/").replace(/\/?$/, "/"),
    ja = /^ja\b/.test(d.documentElement.lang || body.dataset.lang || ""),
    L = ja
      ? { none: "見つかりませんでした", all: "すべての結果", count: (n) => n + " 件", more: "さらに表示", lang: "言語", tag: "タグ", any: "すべて", error: "検索を読み込めませんでした" }
      : { none: "No results", all: "All results", count: (n) => n + (n === 1 ? " result" : " results"), more: "Show more", lang: "Language", tag: "Tag", any: "All", error: "Search could not be loaded" };
  // The entry, index.json, is fetched afresh (a deploy replaces it); the
  // files under the version it names never change. If a deploy removed
  // that version while the page was open, a file is missing: the next
  // search starts over from a new entry.
  // A 503 with Retry-After is kbgen serve still making its first export:
  // the search waits for it rather than failing.
  const load = (u, opts, tries = 0) =>
    fetch(u, opts).then((r) => {
      if (r.ok) return r.arrayBuffer().then(parseFile);
      const wait = r.status === 503 && tries < 300 && Number(r.headers.get("Retry-After"));
      if (wait > 0) return new Promise((ok) => setTimeout(ok, Math.min(wait, 5) * 1000)).then(() => load(u, opts, tries + 1));
      return Promise.reject(new Error(r.status + " " + u));
    });
  const engine = () => {
    let dir = null;
    const e = new Engine(async (p) => {
      if (p === "index.json") {
        const m = await load(new URL("index.json", indexURL), { cache: "no-cache" });
        dir = new URL(m.v + "/", indexURL);
        return m;
      }
      if (!dir) await e.manifest();
      return load(new URL(p, dir)).catch((err) => {
        if (eng === e) eng = engine();
        throw err;
      });
    });
    return e;
  };
  let eng = engine();
  const href = (id) => base + id.replace(/^[\/\\]+/, "");
  const chips = (doc) => (doc.c || []).map((c) => '<span class="sr-code">' + esc(c) + "</span>").join("") + (doc.l ? '<span class="sr-lang">' + esc(doc.l) + "</span>" : "");
  const emit = (type, detail) => d.dispatchEvent(new CustomEvent(type, { detail }));
  const params = new URLSearchParams(location.search);
  let seq = 0, active = -1, shown = [], pending = Promise.resolve();

  // run searches for the input's value; only the latest keystroke renders.
  function run(limit) {
    return (pending = search(limit));
  }
  async function search(limit) {
    const q = input.value, my = ++seq;
    if (!q.trim()) return show(my, q, null);
    try {
      const e = eng, r = await e.search(q, page ? filter() : null, document.body.dataset.lang), top = r.results.slice(0, limit);
      const docs = Promise.all(top.map((x) => e.doc(x.doc)));
      // Results whose cards came with their code bucket are shown at
      // once; the snippets follow with the documents.
      const cards = top.map((x) => e.cards.get(x.doc));
      if (top.length && cards.every(Boolean)) show(my, q, r, cards, true);
      show(my, q, r, await docs);
    } catch (e) {
      if (my === seq) show(my, q, { error: e });
    }
  }

  // show renders the results r of query q, with docs the d/ files (or,
  // partial, the cards) of those shown. kbgen:search is dispatched once
  // they are complete.
  function show(my, q, r, docs, partial) {
    if (my !== seq) return;
    if (page) return showPage(q, r, docs, partial);
    shown = docs || [];
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (!r) { box.hidden = true; box.innerHTML = ""; input.setAttribute("aria-expanded", "false"); return; }
    let h = "";
    if (r.error) h = '<div class="sr-none" role="option" aria-disabled="true" aria-selected="false">' + esc(L.error) + "</div>";
    else if (!shown.length) h = '<div class="sr-none" role="option" aria-disabled="true" aria-selected="false">' + esc(L.none) + "</div>";
    shown.forEach((doc, i) => {
      h += '<a class="sr" role="option" id="sr-' + i + '" aria-selected="false" href="' + esc(href(doc.id)) + '"><span class="sr-title">' +
        highlight(doc.t, r) + '</span><span class="sr-meta">' + chips(doc) + '</span><span class="sr-snip">' + snippet(r, [doc.s, doc.x]) + "</span></a>";
    });
    if (shown.length) h += '<a class="sr-all" role="option" aria-selected="false" href="' + esc(input.form.action + "?q=" + encodeURIComponent(q)) + '">' + esc(L.all) + " (" + r.results.length + ")</a>";
    box.innerHTML = h;
    box.hidden = false;
    input.setAttribute("aria-expanded", "true");
    if (!r.error && !partial) emit("kbgen:search", { query: q, count: r.results.length });
  }

  function move(to) {
    const opts = box.querySelectorAll(".sr");
    if (!opts.length) return;
    active = (to + opts.length) % opts.length;
    opts.forEach((o, i) => o.setAttribute("aria-selected", String(i === active)));
    input.setAttribute("aria-activedescendant", opts[active].id);
    opts[active].scrollIntoView({ block: "nearest" });
  }

  function open(i) {
    const doc = shown[i];
    if (!doc) return false;
    emit("kbgen:select", { query: input.value, id: doc.id, rank: i + 1 });
    location.href = href(doc.id);
    return true;
  }

  // ---- the search page ----

  let pageLimit = 20, sel = null;
  function filter() {
    return sel ? { lang: sel.lang.value, tags: sel.tag.value ? [sel.tag.value] : [] } : { lang: params.get("lang") || "", tags: params.getAll("tag") };
  }

  async function setupPage() {
    const m = await eng.manifest();
    const opt = (v, label) => '<option value="' + esc(v) + '">' + esc(label) + "</option>";
    page.innerHTML = '<div class="sp-filters"><label>' + esc(L.lang) + ' <select name="lang">' + opt("", L.any) +
      m.langs.map((x) => opt(x.name, x.name + " (" + x.count + ")")).join("") + "</select></label> <label>" + esc(L.tag) +
      ' <select name="tag">' + opt("", L.any) + m.tags.map((x) => opt(x.name, x.name + " (" + x.count + ")")).join("") +
      '</select></label></div><p class="sp-count" role="status"></p><ol class="sp-results"></ol><button type="button" class="sp-more" hidden>' + esc(L.more) + "</button>";
    sel = { lang: page.querySelector("[name=lang]"), tag: page.querySelector("[name=tag]") };
    sel.lang.value = params.get("lang") || "";
    sel.tag.value = params.get("tag") || "";
    page.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => { pageLimit = 20; run(pageLimit); }));
    page.querySelector(".sp-more").addEventListener("click", () => { pageLimit += 20; run(pageLimit); });
  }

  function showPage(q, r, docs, partial) {
    if (!sel) return;
    const u = new URL(location.href);
    u.search = "";
    if (q) u.searchParams.set("q", q);
    if (sel.lang.value) u.searchParams.set("lang", sel.lang.value);
    if (sel.tag.value) u.searchParams.set("tag", sel.tag.value);
    history.replaceState(null, "", u);
    const count = page.querySelector(".sp-count"), list = page.querySelector(".sp-results"), more = page.querySelector(".sp-more");
    shown = docs || [];
    count.textContent = !r ? "" : r.error ? L.error : r.results.length ? L.count(r.results.length) : L.none;
    list.innerHTML = shown.map((doc) => '<li><a href="' + esc(href(doc.id)) + '">' + highlight(doc.t, r) + '</a><div class="sr-meta">' +
      chips(doc) + (doc.u ? '<span class="sr-date">' + esc(doc.u) + "</span>" : "") + "</div>" +
      (doc.e ? '<p class="sp-error">' + highlight(doc.e, r) + "</p>" : "") + "<p>" + snippet(r, [doc.s, doc.x]) + "</p></li>").join("");
    more.hidden = !r || !r.results || r.results.length <= shown.length;
    if (r && !r.error && !partial) emit("kbgen:search", { query: q, count: r.results.length });
  }

  // ---- wiring ----

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  // The entry is fetched once the page is idle, or as soon as the reader
  // heads for the box, so that a first query waits for its own files
  // only: a code query is then one round trip (its bucket, with the cards
  // of its results) and the snippets one more. The functions a query runs
  // are called once then too, on a made-up query: a function's first call
  // compiles it, a few milliseconds of a first query otherwise.
  let warmed = false;
  const warm = () => eng.manifest().then(() => {
    if (warmed) return;
    warmed = true;
    // A code query's own path (Engine.search, carriers) runs on a
    // made-up index of one code bucket held in memory: nothing is
    // fetched, and a first code query starts its fetch about 2 ms sooner.
    const bits = new Uint8Array(512);
    bits[0xc00 >> 3] = 1;
    const made = { "index.json": { format: FORMAT, docs: 1, split: [], codes: btoa(String.fromCharCode(...bits)), langs: [], tags: [] }, "c/C00.json": { codes: [["0xC004F074", "2"]], docs: { 0: { id: "", t: "", l: "", c: [] } } } };
    new Engine(async (path) => made[path]).search("0xC004F074", null, null).catch(() => {});
    const p = parseQuery("0xC004F074 ライセンス認証 activat"), r = { plan: p, needles: textGroups(p, [true], new Set())[1] };
    return chips({ c: ["0xC004F074"], l: "ja" }) + highlight("ライセンス認証 0xC004F074", r) + snippet(r, ["0xC004F074 のライセンス認証"]);
  }).catch(() => {});
  if (G.requestIdleCallback) G.requestIdleCallback(warm);
  else setTimeout(warm, 200);
  input.addEventListener("focus", warm, { once: true });
  input.addEventListener("pointerenter", warm, { once: true });
  input.addEventListener("input", () => run(page ? pageLimit : 8));
  input.addEventListener("keydown", (e) => {
    // Keys that confirm or move within an input method's candidates
    // (Japanese conversion) are not ours.
    if (e.isComposing || e.keyCode === 229) return;
    if (page) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (box.hidden) run(8);
      else move(active + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Escape" && !box.hidden) {
      e.preventDefault();
      show(++seq, "", null);
    }
  });
  // Enter submits the form. It opens the selected result, or the first;
  // pressed before the latest results arrived, it waits for them, so
  // typing a code and Enter lands on its article. With no results the
  // form goes on to the search page. This is done on submit rather than on
  // keydown so that an Enter that confirms an input method's conversion,
  // which does not submit, is left alone.
  input.form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (page) return run(pageLimit);
    const my = seq;
    pending.then(() => {
      if (my === seq && !(shown.length && open(Math.max(active, 0)))) input.form.submit();
    });
  });
  box && box.addEventListener("click", (e) => {
    const a = e.target.closest(".sr");
    if (a) emit("kbgen:select", { query: input.value, id: shown[+a.id.slice(3)].id, rank: +a.id.slice(3) + 1 });
  });
  d.addEventListener("click", (e) => { if (!page && !input.form.contains(e.target)) show(++seq, "", null); });

  const q0 = params.get("q");
  (page ? setupPage() : Promise.resolve()).then(() => {
    if (q0 !== null) input.value = q0;
    if (input.value.trim()) run(page ? pageLimit : 8);
  }, () => page && (page.textContent = L.error));
})(typeof window !== "undefined" ? window : globalThis);
