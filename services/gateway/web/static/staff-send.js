// The send page of the back office (/equipe/numeros/{id}/envoi): polls the JSON progress of
// the send every 1.5 s and updates the figures, the bar, the polite live region and which
// control buttons show, until the send ends. Without JavaScript the page's "Rafraîchir" link
// does the same by hand. Served from /static: the CSP allows no inline script.
(function () {
  "use strict";
  var root = document.querySelector("[data-progress-url]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-progress-url");
  var bar = document.getElementById("send-bar");
  var live = document.getElementById("send-status");
  var EVERY = 1500;

  function show(view) {
    Object.keys(view.fields).forEach(function (name) {
      root.querySelectorAll('[data-field="' + name + '"]').forEach(function (element) {
        if (element.textContent !== view.fields[name]) {
          element.textContent = view.fields[name];
        }
      });
    });
    bar.max = view.max;
    bar.value = view.value;
    bar.textContent = view.fields.done;
    if (live.textContent !== view.announce) {
      live.textContent = view.announce;
    }
    root.querySelectorAll("form[data-action]").forEach(function (form) {
      form.hidden = view.actions.indexOf(form.getAttribute("data-action")) < 0;
    });
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (view) {
        show(view);
        if (!view.final) {
          window.setTimeout(poll, EVERY);
        }
      })
      .catch(function () {
        window.setTimeout(poll, EVERY * 2);
      });
  }

  window.setTimeout(poll, EVERY);
})();
