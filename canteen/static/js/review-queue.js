// The review queue (review/queue.html): j/k move between events, Enter opens the focused one; the bulk form
// counts the chosen visits and can choose every unchanged visit shown at once.
(function () {
  "use strict";
  var links = Array.prototype.slice.call(document.querySelectorAll("a.event-link"));
  if (links.length) { links[0].focus(); }
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var index = links.indexOf(document.activeElement);
    if (e.key === "j" && links.length) { links[Math.min(index + 1, links.length - 1)].focus(); e.preventDefault(); }
    if (e.key === "k" && links.length) { links[Math.max(index - 1, 0)].focus(); e.preventDefault(); }
  });

  var all = document.getElementById("bulk-all");
  var count = document.getElementById("bulk-count");
  var picks = Array.prototype.slice.call(document.querySelectorAll("input.bulk-pick"));
  if (!all || !count) { return; }
  function chosen() { return picks.filter(function (box) { return box.checked; }).length; }
  function refresh() {
    var n = chosen();
    count.textContent = String(n);
    all.checked = n > 0 && n === picks.length;
    all.indeterminate = n > 0 && n < picks.length;
  }
  // Disabled in the page so that, without this script, nobody ticks a box that does nothing.
  all.disabled = false;
  all.addEventListener("change", function () {
    picks.forEach(function (box) { box.checked = all.checked; });
    refresh();
  });
  picks.forEach(function (box) { box.addEventListener("change", refresh); });
  refresh();
})();
