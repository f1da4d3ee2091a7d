// The static export's search page (caim export-site): queries the Pagefind index in the browser.
// Loaded from a file (the site's Content-Security-Policy allows no inline script). Reads ?q= like the live
// search page, merges the delta index of an incremental export, and lists the matching records.
(function () {
  "use strict";
  var box = document.getElementById("static-search");
  if (!box) {
    return;
  }
  var input = document.querySelector('form.search-form input[name="q"]');
  var query = (new URLSearchParams(window.location.search).get("q") || "").trim();
  if (input) {
    input.value = query;
  }
  if (!query) {
    return;
  }

  function say(text) {
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "no-results";
    p.textContent = text;
    box.appendChild(p);
  }

  // An excerpt from Pagefind is text with <mark> around the words found: keep exactly that, nothing else.
  function excerpt(html) {
    var out = document.createElement("p");
    out.className = "snippet";
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    doc.body.firstChild.childNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.tagName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  async function deltaState() {
    try {
      var answer = await fetch(box.dataset.delta);
      return answer.ok ? await answer.json() : { bundle: null, superseded: [] };
    } catch (error) {
      return { bundle: null, superseded: [] };
    }
  }

  async function run() {
    say(box.dataset.searching);
    var pagefind = await import(box.dataset.bundle + "pagefind.js");
    await pagefind.options({ baseUrl: "/" });
    var delta = await deltaState();
    var superseded = new Set(delta.superseded || []);
    if (delta.bundle) {
      await pagefind.mergeIndex(delta.bundle);
    }
    var search = await pagefind.search(query);
    var found = await Promise.all(search.results.slice(0, 60).map(function (r) { return r.data(); }));
    // A record changed since the last full export is in both indexes: keep the delta's (current) page only.
    var rows = found.filter(function (data) {
      return (data.meta && data.meta.delta) || !superseded.has(data.url);
    }).slice(0, 30);
    box.textContent = "";
    if (!rows.length) {
      say(box.dataset.none);
      return;
    }
    var count = document.createElement("p");
    count.className = "result-count";
    count.textContent = box.dataset.count.replace("%(count)s", String(rows.length));
    box.appendChild(count);
    var list = document.createElement("ol");
    list.className = "record-list";
    rows.forEach(function (data) {
      var item = document.createElement("li");
      item.className = "record-item";
      var heading = document.createElement("h3");
      var link = document.createElement("a");
      link.href = data.url;
      link.textContent = (data.meta && data.meta.title) || data.url;
      heading.appendChild(link);
      item.appendChild(heading);
      item.appendChild(excerpt(data.excerpt || ""));
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  run().catch(function () {
    say(box.dataset.failed);
  });
})();
