// Live updates: on a stream event, fetch this page again and swap <main> (no reload, no
// inline script: works under a Content-Security-Policy without 'unsafe-inline').
(function () {
  "use strict";
  var main = document.querySelector("main[data-live]");
  if (!main || !window.EventSource) { return; }
  var pending = null;
  function refresh() {
    pending = null;
    if (main.contains(document.activeElement) && document.activeElement.matches("input, textarea, select")) { return; }
    fetch(window.location.href, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        if (!fresh) { return; }
        main.innerHTML = fresh.innerHTML;
        var note = main.querySelector("[data-live-note]");
        if (note) { note.hidden = false; }
        document.dispatchEvent(new CustomEvent("elmon:refreshed"));
      });
  }
  var source = new EventSource(main.getAttribute("data-live"));
  ["alert.created", "alert.updated", "job.created", "job.finished", "constituencies.refreshed"].forEach(function (kind) {
    source.addEventListener(kind, function () { if (!pending) { pending = setTimeout(refresh, 500); } });
  });
  // Page scripts may follow finer events (job.progress) without a refresh of <main>.
  source.addEventListener("job.progress", function (e) {
    var data = null;
    try { data = JSON.parse(e.data); } catch (ignored) { data = null; }
    document.dispatchEvent(new CustomEvent("elmon:event", { detail: { kind: "job.progress", data: data } }));
  });
})();
