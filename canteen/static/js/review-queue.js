// The review queue (review/queue.html): j/k move between events, Enter opens the focused one.
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
})();
