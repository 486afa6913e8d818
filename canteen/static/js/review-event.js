// One camera event (review/event.html): diner search while typing, and the reviewer's keys
// (c confirm, d dismiss, u unidentified, n note, j/k older/newer). The search URL and the words shown
// come from the datalist's data-* attributes, so this file holds no text of its own.
(function () {
  "use strict";
  var options = document.getElementById("diner-options");
  var hit = document.getElementById("diner-hit");
  var timer = null;
  function search(input) {
    var q = input.value.trim();
    if (!q || !options) { return; }
    fetch(options.dataset.searchUrl + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {diners: []}; })
      .then(function (data) {
        options.innerHTML = "";
        data.diners.forEach(function (d) {
          var o = document.createElement("option");
          o.value = d.card_no;
          o.label = d.name + " · " + d.department + (d.active ? "" : " (" + options.dataset.inactive + ")");
          options.appendChild(o);
        });
        if (hit) {
          var exact = data.diners.filter(function (d) { return d.card_no === q; })[0];
          hit.textContent = exact ? exact.name + " · " + exact.department
                                  : (data.diners.length ? "" : options.dataset.noneFound);
        }
      });
  }
  ["card_no", "c-card_no"].forEach(function (id) {
    var input = document.getElementById(id);
    if (!input) { return; }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { search(input); }, 150);
    });
  });
  function go(id) { var link = document.getElementById(id); if (link) { window.location = link.href; } }
  function focus(id) { var el = document.getElementById(id); if (el) { el.focus(); return true; } return false; }
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || e.ctrlKey || e.metaKey || e.altKey) {
      if (e.key === "Escape") { e.target.blur(); }
      return;
    }
    var handled = true;
    if (e.key === "c") { handled = focus("card_no"); }
    else if (e.key === "d") { handled = focus("btn-dismissed"); }
    else if (e.key === "u") { handled = focus("btn-unidentified"); }
    else if (e.key === "n") { handled = focus("note"); }
    else if (e.key === "j") { go("older-event"); }
    else if (e.key === "k") { go("newer-event"); }
    else { handled = false; }
    if (handled) { e.preventDefault(); }
  });
  if (document.querySelector(".err")) { focus("card_no") || focus("c-reason"); }
})();
