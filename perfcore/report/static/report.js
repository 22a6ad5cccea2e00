/* perfcore report: table sorting and filtering, and lazy Vega-Lite charts.
   Reads everything from the JSON blob in #report-data; needs no network. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var embedOptions = { actions: false, renderer: "svg", mode: "vega-lite", config: data.config };
  var VERDICT_ORDER = ["regressed", "missing", "disturbed", "noisy", "incomparable", "improved", "new", "unchanged"];

  function clone(obj) { return JSON.parse(JSON.stringify(obj)); }

  function embed(el, spec) {
    el.dataset.state = "drawing";
    return vegaEmbed(el, spec, embedOptions).then(function () {
      el.dataset.state = "rendered";
    }).catch(function (err) {
      el.dataset.state = "failed";
      el.classList.add("chart-error");
      el.textContent = "chart failed: " + err.message;
      console.error("perfcore chart failed", err);
    });
  }

  function distributionSpec(row) {
    var spec = clone(data.templates.distribution);
    var values = row.b.map(function (v) { return { run: "baseline", v: v }; })
      .concat(row.c.map(function (v) { return { run: "current", v: v }; }));
    spec.datasets = { s: values };
    spec.encoding.x.title = row.unit;
    return spec;
  }

  function historySpec(series) {
    var spec = clone(data.templates.history);
    var runs = data.history.runs;
    var points = series.p.map(function (p, i) {
      return { i: i, v: p[0], commit: runs[p[1]][0], created: runs[p[1]][1] };
    });
    spec.datasets = { p: points, c: series.c };
    spec.layer[0].encoding.y.title = series.unit;
    return spec;
  }

  function draw(el) {
    if (el.dataset.state) { return; }
    var i = Number(el.dataset.i);
    if (el.dataset.kind === "dist") { embed(el, distributionSpec(data.rows[i])); }
    else if (el.dataset.kind === "history") { embed(el, historySpec(data.history.series[i])); }
  }

  /* Charts below the fold are drawn when they scroll into view. */
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) { observer.unobserve(entry.target); draw(entry.target); }
    });
  }, { rootMargin: "300px" }) : null;

  document.querySelectorAll(".chart.lazy").forEach(function (el) {
    if (observer) { observer.observe(el); } else { draw(el); }
  });
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    embed(el, data.charts[el.dataset.chart]);
  });

  /* Table: sorting. */
  var table = document.getElementById("results-table");
  var tbody = table.tBodies[0];
  var mainRows = Array.prototype.slice.call(tbody.querySelectorAll("tr.result"));

  function sortKey(tr, col, type) {
    var raw = tr.cells[col].dataset.v;
    if (type === "num") { return raw === "" ? null : Number(raw); }
    if (type === "verdict") { return VERDICT_ORDER.indexOf(raw); }
    return raw.toLowerCase();
  }

  table.querySelectorAll("th[data-type]").forEach(function (th) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th[data-type]").forEach(function (other) {
        other.setAttribute("aria-sort", "none");
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var col = th.cellIndex, type = th.dataset.type;
      mainRows.sort(function (a, b) {
        var x = sortKey(a, col, type), y = sortKey(b, col, type);
        if (x === null || y === null) { return x === y ? 0 : (x === null ? 1 : -1); }
        var order = x < y ? -1 : (x > y ? 1 : 0);
        return ascending ? order : -order;
      });
      var fragment = document.createDocumentFragment();
      mainRows.forEach(function (tr) {
        fragment.appendChild(tr);
        if (tr.detailRow) { fragment.appendChild(tr.detailRow); }
      });
      tbody.appendChild(fragment);
    });
  });

  /* Table: filtering by name and verdict. */
  var filterInput = document.getElementById("filter");
  var verdictSelect = document.getElementById("verdict-filter");
  var shown = document.getElementById("shown");

  function applyFilter() {
    var text = filterInput.value.trim().toLowerCase();
    var verdict = verdictSelect.value;
    var count = 0;
    mainRows.forEach(function (tr) {
      var visible = (!verdict || tr.dataset.verdict === verdict) &&
        (!text || tr.cells[0].dataset.v.toLowerCase().indexOf(text) !== -1);
      tr.hidden = !visible;
      if (tr.detailRow) { tr.detailRow.hidden = !visible; }
      if (visible) { count += 1; }
    });
    shown.textContent = count + " of " + mainRows.length + " shown";
  }
  filterInput.addEventListener("input", applyFilter);
  verdictSelect.addEventListener("change", applyFilter);

  document.querySelectorAll(".chip[data-verdict]").forEach(function (chip) {
    chip.addEventListener("click", function () {
      verdictSelect.value = verdictSelect.value === chip.dataset.verdict ? "" : chip.dataset.verdict;
      applyFilter();
      document.getElementById("results").scrollIntoView({ behavior: "smooth" });
    });
  });

  /* Table: a row's distribution plot opens below it. */
  tbody.addEventListener("click", function (event) {
    var button = event.target.closest(".plot-toggle");
    if (!button) { return; }
    var tr = button.closest("tr.result");
    if (tr.detailRow) {
      tr.detailRow.remove();
      tr.detailRow = null;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    var detail = document.createElement("tr");
    detail.className = "detail";
    var cell = document.createElement("td");
    cell.colSpan = tr.cells.length;
    var chart = document.createElement("div");
    chart.className = "chart";
    chart.dataset.kind = "dist";
    chart.dataset.i = tr.dataset.i;
    cell.appendChild(chart);
    detail.appendChild(cell);
    tr.after(detail);
    tr.detailRow = detail;
    button.setAttribute("aria-expanded", "true");
    draw(chart);
  });

  /* History: any result's chart on demand. */
  var pick = document.getElementById("history-pick");
  if (pick) {
    pick.addEventListener("change", function () {
      var target = document.getElementById("history-picked");
      target.textContent = "";
      delete target.dataset.state;
      if (pick.value !== "") { embed(target, historySpec(data.history.series[Number(pick.value)])); }
    });
  }
}());
