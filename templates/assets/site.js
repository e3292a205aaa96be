// kbgen: copy buttons, "/" to search, theme toggle, ⚠ notes, keyboard
// access to wide code and tables, the 404 search suggestion. Every part is
// optional: pages work without it.
(function () {
  "use strict";
  var d = document, root = d.documentElement, body = d.querySelector(".article-body"),
    input = d.getElementById("search-input"),
    L = /^ja\b/.test(root.lang)
      ? { copy: "コピー", copied: "コピーしました", failed: "コピーできませんでした", theme: "ライト／ダーク切り替え" }
      : { copy: "Copy", copied: "Copied", failed: "Copy failed", theme: "Toggle light/dark theme" };

  d.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || !input ||
      t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
    e.preventDefault();
    input.focus();
    input.select();
  });

  // Theme: CSS follows the system; an explicit choice is stored, and
  // choosing the system's own scheme again forgets it. The button goes in
  // the nav, so that on a phone it wraps with the links, not alone.
  var mq = matchMedia("(prefers-color-scheme: dark)"),
    bar = d.querySelector(".site-header .site-nav") || d.querySelector(".site-header .wrap");
  if (bar) {
    var tb = el("button", "theme");
    tb.type = "button";
    tb.title = L.theme;
    tb.setAttribute("aria-label", L.theme);
    tb.textContent = "◐";
    tb.onclick = function () {
      var sys = mq.matches ? "dark" : "light",
        next = (root.getAttribute("data-theme") || sys) === "dark" ? "light" : "dark";
      if (next === sys) root.removeAttribute("data-theme");
      else root.setAttribute("data-theme", next);
      try { next === sys ? localStorage.removeItem("kbgen-theme") : localStorage.setItem("kbgen-theme", next); } catch (e) {}
    };
    bar.appendChild(tb);
  }

  if (body) {
    var status = el("div", "vh");
    status.setAttribute("role", "status");
    d.body.appendChild(status);

    // Copy buttons copy the code as rendered, less the newline that ends
    // every fenced block (pasted into a terminal it would run the last line).
    body.querySelectorAll("pre").forEach(function (pre) {
      var wrap = el("div", "codeblock"), b = el("button", "copy"), timer;
      pre.parentNode.insertBefore(wrap, pre);
      wrap.append(pre, b);
      b.type = "button";
      b.textContent = L.copy;
      b.onclick = function () {
        copy((pre.querySelector("code") || pre).textContent.replace(/\r?\n$/, "")).then(
          function () { done(L.copied, true); }, function () { done(L.failed, false); });
      };
      function done(msg, ok) {
        b.textContent = status.textContent = msg;
        b.classList.toggle("done", ok);
        clearTimeout(timer);
        timer = setTimeout(function () { b.textContent = L.copy; b.classList.remove("done"); status.textContent = ""; }, 2000);
      }
    });

    // ⚠ notes: CSS cannot select by text, so a paragraph, or a line in a
    // list item, that starts with ⚠ gets class "warn".
    var blk = /^(P|PRE|UL|OL|DL|DIV|TABLE|BLOCKQUOTE|H[1-6]|HR|BR|LI|TD|TH)$/,
      isBlk = function (n) { return n && n.nodeType === 1 && blk.test(n.tagName); },
      w = d.createTreeWalker(body, NodeFilter.SHOW_TEXT), n, hits = [];
    while ((n = w.nextNode())) if (/^\s*⚠/.test(n.data)) hits.push(n);
    hits.forEach(function (n) {
      var b = n.parentNode, s = n, p;
      while (b !== body && !isBlk(b)) b = b.parentNode;
      if (b === body || b.closest(".warn")) return;
      if (b.tagName === "P") return /^\s*⚠/.test(b.textContent) && b.classList.add("warn");
      while (s.parentNode !== b) s = s.parentNode;
      for (p = s.previousSibling; p && p.nodeType === 3 && !p.data.trim(); ) p = p.previousSibling;
      if (p && !isBlk(p)) return; // ⚠ mid-line
      var span = el("span", "warn");
      b.insertBefore(span, s);
      while (span.nextSibling && !isBlk(span.nextSibling)) span.appendChild(span.nextSibling);
    });

    // Code and tables wider than the column scroll inside themselves:
    // make those focusable so the keyboard can scroll them.
    var rt, scrollers = function () {
      body.querySelectorAll("pre,table").forEach(function (e) {
        if (e.scrollWidth > e.clientWidth + 1) e.tabIndex = 0;
        else e.removeAttribute("tabindex");
      });
    };
    scrollers();
    addEventListener("resize", function () { clearTimeout(rt); rt = setTimeout(scrollers, 200); });
  }

  // 404: an error code in the missing address goes into the search box.
  var code = d.body.classList.contains("kind-404") && input && codeIn(location.pathname);
  if (code) {
    var nf = d.getElementById("nf-code"), a = d.getElementById("nf-link");
    input.value = code;
    if (nf && a) {
      a.href = input.form.action + "?q=" + encodeURIComponent(code);
      a.textContent = code;
      nf.hidden = false;
    }
    addEventListener("load", function () { input.dispatchEvent(new Event("input", { bubbles: true })); });
  }

  // codeIn finds 0xC004F074, C004F074 or a decimal HRESULT in a path.
  function codeIn(path) {
    try { path = decodeURIComponent(path); } catch (e) {}
    var m = /(?:^|[^0-9a-z])(?:0x)?([0-9a-f]{8})(?![0-9a-z])/i.exec(path), v;
    if (m && /\d/.test(m[1])) return "0x" + m[1].toUpperCase();
    m = /(?:^|\D)(-?\d{10})(?!\d)/.exec(path);
    v = m ? +m[1] + (m[1] < 0 ? 4294967296 : 0) : 0;
    return v >= 2147483648 && v < 4294967296 ? "0x" + v.toString(16).toUpperCase() : "";
  }

  function el(tag, cls) {
    var e = d.createElement(tag);
    e.className = cls;
    return e;
  }

  // The async clipboard needs a secure context (https, 127.0.0.1,
  // localhost); a plain-http intranet host gets the old selection copy.
  function copy(text) {
    return navigator.clipboard && window.isSecureContext
      ? navigator.clipboard.writeText(text).catch(function () { return legacy(text); })
      : legacy(text);
  }
  function legacy(text) {
    var ta = d.createElement("textarea"), active = d.activeElement, ok = false;
    ta.style.cssText = "position:fixed;top:0;left:0;opacity:0";
    ta.value = text;
    ta.setAttribute("readonly", "");
    d.body.appendChild(ta);
    ta.select();
    try { ok = d.execCommand("copy"); } catch (e) {}
    ta.remove();
    if (active) active.focus();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy"));
  }
})();
