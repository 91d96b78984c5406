/* Live progress of a factsheet compile, without a reload.
 *
 * Every element with `data-progress-url` is a compile being watched: its JSON (status, progress,
 * text, done) is fetched every second; the element's <progress> and `[data-progress-text]` follow
 * it. When the compile is over (compiled or failed) polling stops, the final status is shown and,
 * with `data-progress-reload`, the page is loaded again once to show the result (figures, links).
 * A 4xx answer stops the watch; other failures are retried more slowly.
 * A static file: the Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 1000;
  var RETRY_MS = 5000; // after a failed request (network, 5xx): keep trying, more slowly

  function watch(element) {
    var url = element.getAttribute("data-progress-url");
    var text = element.querySelector("[data-progress-text]");
    var bar = element.querySelector("progress");

    function show(data) {
      if (text) {
        text.textContent = data.text;
      }
      if (bar) {
        bar.value = data.progress;
        bar.textContent = data.progress + " %";
      }
      element.setAttribute("data-status", data.status);
      element.setAttribute("data-progress", String(data.progress));
    }

    function poll() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status >= 400 && response.status < 500) {
            return null; // gone, or no longer ours to read: stop watching
          }
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          if (data === null) {
            return;
          }
          show(data);
          if (!data.done) {
            window.setTimeout(poll, INTERVAL_MS);
            return;
          }
          element.removeAttribute("data-progress-url");
          element.dispatchEvent(new CustomEvent("progress:done", { bubbles: true, detail: data }));
          if (element.hasAttribute("data-progress-reload")) {
            window.location.reload();
          }
        })
        .catch(function () {
          window.setTimeout(poll, RETRY_MS);
        });
    }

    window.setTimeout(poll, INTERVAL_MS);
  }

  function start() {
    var elements = document.querySelectorAll("[data-progress-url]");
    for (var i = 0; i < elements.length; i += 1) {
      watch(elements[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
