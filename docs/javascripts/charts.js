/*
 * Render the Altair charts of the revcomp site, offline.
 *
 * revcomp/charts.py's "revcomp-site" renderer turns every chart into
 *   <div class="revcomp-chart" data-spec="{...Vega-Lite JSON...}"
 *        [data-embed-options="{...vega-embed options...}"]></div>
 * This script renders each such element with the vendored vega-embed
 * (loaded before it via extra_javascript), once: it marks the element with
 * data-state="rendering", then "rendered", or "error" plus a visible
 * <p class="revcomp-chart-error"> message. It runs on every page load,
 * including Material's instant navigation (document$).
 */
(function () {
  "use strict";

  var SELECTOR = "div.revcomp-chart:not([data-state])";
  var DEFAULTS = { actions: false, renderer: "svg" };

  function showError(el, message) {
    el.setAttribute("data-state", "error");
    var p = document.createElement("p");
    p.className = "revcomp-chart-error";
    p.style.color = "#b00020";
    p.style.fontWeight = "600";
    p.textContent = "Chart failed to render: " + message;
    el.appendChild(p);
    if (window.console) console.error("revcomp chart:", message);
  }

  function parse(el, name) {
    var raw = el.getAttribute(name);
    return raw ? JSON.parse(raw) : {};
  }

  function renderOne(el) {
    el.setAttribute("data-state", "rendering");
    // A chart wider than the text column scrolls instead of spilling over the page.
    el.style.maxWidth = "100%";
    el.style.overflowX = "auto";
    var spec, options;
    try {
      spec = parse(el, "data-spec");
      var fromSpec = (spec.usermeta && spec.usermeta.embedOptions) || {};
      options = Object.assign({}, DEFAULTS, fromSpec, parse(el, "data-embed-options"));
    } catch (err) {
      showError(el, "bad chart data (" + err.message + ")");
      return Promise.resolve();
    }
    if (typeof window.vegaEmbed !== "function") {
      showError(el, "vega-embed is not loaded");
      return Promise.resolve();
    }
    return window.vegaEmbed(el, spec, options).then(
      function (result) {
        el.setAttribute("data-state", "rendered");
        el.revcompView = result.view;
      },
      function (err) {
        showError(el, (err && err.message) || String(err));
      }
    );
  }

  function renderAll() {
    var nodes = document.querySelectorAll(SELECTOR);
    return Promise.all(Array.prototype.map.call(nodes, renderOne));
  }

  window.revcompRenderCharts = renderAll;

  if (window.document$ && typeof window.document$.subscribe === "function") {
    // Material: fires on first load and after every instant navigation.
    window.document$.subscribe(function () {
      renderAll();
    });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
