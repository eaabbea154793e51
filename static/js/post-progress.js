// A sent post's page: ask for the delivery figures every 2 seconds until delivery is done,
// and write them into the page's aria-live region. Without JavaScript the page has a
// "Refresh" link instead.
(function () {
  "use strict";
  var region = document.getElementById("delivery-progress");
  if (!region || !window.fetch) { return; }
  var url = region.getAttribute("data-progress-url");
  var names = ["queued", "sent", "retry", "failed", "total"];
  var failures = 0;

  function part(name) {
    return document.querySelector('[data-progress="' + name + '"]');
  }

  function show(figures) {
    names.forEach(function (name) {
      var cell = part(name);
      var text = String(figures[name]);
      if (cell && cell.textContent !== text) { cell.textContent = text; }
    });
    if (!figures.done) { return; }
    var state = part("state");
    var failed = figures.failed;
    var text = "Delivery is finished" + (failed ? ": " + failed + (failed === 1 ? " copy" : " copies") +
      " could not be delivered. Reload the page to see which." : ".");
    if (state && state.textContent !== text) { state.textContent = text; }
    var refresh = part("refresh");
    if (refresh && !failed) { refresh.hidden = true; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (figures) {
        failures = 0;
        show(figures);
        if (!figures.done) { window.setTimeout(poll, 2000); }
      })
      .catch(function () {
        failures += 1; // a network blip: try a few more times, then leave the Refresh link
        if (failures < 5) { window.setTimeout(poll, 2000 * failures); }
      });
  }

  window.setTimeout(poll, 2000);
}());
