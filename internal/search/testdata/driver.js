// driver.js runs templates/assets/search.js in Node for the Go tests in
// internal/search: it reads one JSON request on stdin and writes the answer
// as JSON on stdout.
//
//   node driver.js SEARCH_JS < request.json
//
// Requests:
//   {"op": "analyze", "texts": [...]}   → the terms of each text, as indexed
//   {"op": "plan", "queries": [...]}    → each query's codes, text groups and needles
//   {"op": "shard", "terms": [...], "split": [...], "n": 64}
//                                       → each term's shard key and shard
//   {"op": "search", "dir": EXPORT_DIR, "limit": 10,
//    "queries": [{"text": ..., "lang": ..., "tags": [...]}]}
//                                       → for each query, on a cold cache: the ranked
//                                         results (doc numbers), their snippets, the
//                                         total, and every file fetched with its size
"use strict";
const fs = require("fs"), path = require("path"), vm = require("vm");

vm.runInThisContext(fs.readFileSync(process.argv[2], "utf8"), { filename: process.argv[2] });
const S = globalThis.kbgenSearch;

async function main() {
  const req = JSON.parse(fs.readFileSync(0, "utf8"));
  switch (req.op) {
    case "analyze":
      return req.texts.map((t) => S.analyze(t));
    case "plan":
      return req.queries.map((q) => {
        const p = S.parseQuery(q), [groups, needles] = S.textGroups(p, p.codes.map(() => false), new Set(req.split || []));
        return { codes: p.codes, groups, needles };
      });
    case "shard": {
      const split = new Set(req.split);
      return req.terms.map((t) => [S.shardKey(t, split), S.shardOf(t, req.n, split)]);
    }
    case "search": {
      const out = [];
      for (const q of req.queries) {
        const fetched = [];
        const eng = new S.Engine(async (p) => {
          const b = fs.readFileSync(path.join(req.dir, p));
          fetched.push({ path: p, bytes: b.length });
          return S.parseFile(b);
        });
        const start = process.hrtime.bigint();
        const r = await eng.search(q.text, q.lang || (q.tags && q.tags.length) ? { lang: q.lang || "", tags: q.tags || [] } : null, q.prefer);
        const top = r.results.slice(0, req.limit || 10);
        const docs = await Promise.all(top.map((x) => eng.doc(x.doc)));
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        // A second, warm run times the work per keystroke without I/O.
        const w0 = process.hrtime.bigint();
        await eng.search(q.text, null);
        const warm = Number(process.hrtime.bigint() - w0) / 1e6;
        out.push({
          results: top.map((x) => [x.doc, x.code, x.matched, x.text]),
          ids: docs.map((d) => d.id),
          snippets: docs.map((d) => S.snippet(r, [d.s, d.x])),
          total: r.results.length,
          fetched, ms, warm,
        });
      }
      return out;
    }
  }
  throw new Error("unknown op " + req.op);
}

main().then((v) => process.stdout.write(JSON.stringify(v)), (e) => { console.error(e && e.stack || e); process.exit(1); });
