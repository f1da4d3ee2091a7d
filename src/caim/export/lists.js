// The static export's list filters (caim export-site). A folder of files cannot answer every combination of
// filters, so the export holds each list's pages, and the first page of each value of each filter:
// /incidents/severity/severe/. This script sends the filter form to a page that exists: no filter, the list;
// one filter, its page (an entity or an AI system: its own page); words, the search page; several filters,
// the page of the one chosen last. Filter values are checkboxes; the sort is a select.
(function () {
  "use strict";
  var form = document.querySelector("form.filters[data-static-list]");
  if (!form) {
    return;
  }
  var root = form.dataset.staticList;
  var exported = new Set((form.dataset.staticFilters || "").split(" ").filter(Boolean));

  // An entity or an AI system: its own page lists every record naming it.
  var directories = { entity: form.dataset.staticEntities, system: form.dataset.staticSystems };

  function target(changed) {
    // A value ticked: its page. A value unticked: the page of another ticked value, or the whole list.
    if (changed && changed.value && exported.has(changed.name)) {
      return root + changed.name + "/" + encodeURIComponent(changed.value) + "/";
    }
    if (changed && changed.value && directories[changed.name]) {
      return directories[changed.name] + encodeURIComponent(changed.value) + "/";
    }
    var words = form.querySelector('input[name="q"]');
    if (words && words.value.trim()) {
      return form.dataset.staticSearch + "?q=" + encodeURIComponent(words.value.trim());
    }
    var chosen = Array.prototype.filter.call(form.querySelectorAll("input[type=checkbox]:checked"), function (box) {
      return exported.has(box.name) && box !== changed;
    });
    if (!chosen.length) {
      return root;
    }
    return root + chosen[0].name + "/" + encodeURIComponent(chosen[0].value) + "/";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.location.assign(target(null));
  });
  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type === "checkbox") {
      event.preventDefault();
      window.location.assign(target(box.checked ? box : null));
    }
  });
})();
