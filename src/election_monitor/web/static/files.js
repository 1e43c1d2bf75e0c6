// Uploads: several files, chosen or dropped, each sent to the upload API with the session's
// CSRF token and its own progress line; the jobs table follows job.* events (see live.js).
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  function say(list, text) {
    var item = document.createElement("li");
    item.textContent = text;  // file names are text, never markup
    list.appendChild(item);
    return item;
  }
  function send(file, election, list) {
    var line = say(list, file.name + ": 0 %");
    var request = new XMLHttpRequest();
    var url = form.getAttribute("data-upload") + "?election_id=" + encodeURIComponent(election);
    request.open("POST", url);
    request.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { line.textContent = file.name + ": " + Math.round(100 * e.loaded / e.total) + " %"; }
    });
    request.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(request.responseText); } catch (ignored) { body = {}; }
      if (request.status === 202) {
        line.textContent = file.name + ": " + (body.action === "duplicate" ? "already loaded" : "queued");
      } else {
        line.textContent = file.name + ": refused (" + request.status + ") " + (body.detail || body.error || "");
        line.className = "error";
      }
    });
    var data = new FormData();
    data.append("file", file, file.name);
    request.send(data);
  }
  if (form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-dropzone]");
    var list = form.querySelector("[data-upload-status]");
    var election = form.querySelector("select[name=election_id]");
    function upload(files) { Array.prototype.forEach.call(files, function (f) { send(f, election.value, list); }); }
    form.addEventListener("submit", function (e) { e.preventDefault(); upload(input.files); input.value = ""; });
    ["dragenter", "dragover"].forEach(function (k) {
      zone.addEventListener(k, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (k) {
      zone.addEventListener(k, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) { upload(e.dataTransfer.files); });
  }
  // Live counters of a job already in the table, straight from the event's data.
  document.addEventListener("elmon:event", function (e) {
    var detail = e.detail || {};
    if (detail.kind !== "job.progress" || !detail.data) { return; }
    var row = document.querySelector('tr[data-job="' + detail.data.job_id + '"]');
    if (!row) { return; }
    ["transactions_processed", "rows_inserted", "rows_duplicate", "rows_rejected", "status"].forEach(function (name) {
      var cell = row.querySelector('[data-field="' + name + '"]');
      if (cell && detail.data[name] !== undefined && detail.data[name] !== null) {
        cell.textContent = typeof detail.data[name] === "number" ? detail.data[name].toLocaleString() : detail.data[name];
      }
    });
  });
})();
