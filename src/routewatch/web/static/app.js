/* routewatch dashboard: draws the charts and the map of a page from its embedded JSON
   (#page-data, the same dict the page's /api/v1 twin returns). Only local assets are used. */
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const BAND_COLOURS = { ready: "#2e7d32", aspiring: "#f9a825", lagging: "#c62828", "no-data": "#9e9e9e" };
  const charts = [];

  function chart(id, option) {
    const el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return null;
    const c = echarts.init(el, null, { renderer: "svg" });
    c.setOption(Object.assign({ animation: false, tooltip: { trigger: "axis" } }, option));
    charts.push(c);
    el.dataset.rendered = "true";
    return c;
  }
  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
  const actionKeys = () => Object.keys(data.actions || {});
  const actionLabel = (k) => (data.actions && data.actions[k]) || k;
  const SHORT = { filtering: "Filtering", "anti-spoofing": "Anti-spoofing", coordination: "Coordination",
                  "global-validation-irr": "IRR", "global-validation-rpki": "RPKI" };

  // Filters: any change reloads the page with the new query.
  document.querySelectorAll("form.filters select").forEach((sel) => {
    sel.addEventListener("change", () => sel.form.submit());
  });
  const netMonth = document.querySelector("body[data-page=network] #month-select");
  if (netMonth) netMonth.addEventListener("change", () => {
    window.location.search = "?month=" + encodeURIComponent(netMonth.value);
  });

  function readinessBands(rows) {
    const bands = ["ready", "aspiring", "lagging", "no_data"];
    return chart("readiness-chart", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 220, right: 20, top: 30, bottom: 20 },
      xAxis: { type: "value", name: "networks" },
      yAxis: { type: "category", data: rows.map((r) => r.label), inverse: true },
      series: bands.map((b) => ({
        name: b.replace("_", "-"), type: "bar", stack: "bands",
        itemStyle: { color: BAND_COLOURS[b.replace("_", "-")] },
        data: rows.map((r) => r[b]),
      })),
    });
  }

  function rovBars(s) {
    return chart("rov-chart", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 110, right: 30, top: 10, bottom: 30 },
      xAxis: { type: "value", max: 100, name: "%" },
      yAxis: { type: "category", inverse: true,
               data: ["RPKI valid", "RPKI invalid", "RPKI not found", "IRR registered"] },
      series: [{ type: "bar", data: [
        { value: pct(s.rpki_valid_share), itemStyle: { color: "#2e7d32" } },
        { value: pct(s.rpki_invalid_share), itemStyle: { color: "#c62828" } },
        { value: pct(s.rpki_not_found_share), itemStyle: { color: "#9e9e9e" } },
        { value: pct(s.irr_registered_share), itemStyle: { color: "#1565c0" } }] }],
    });
  }

  function centroid(geometry) {
    // Centre of the bounding box of the largest ring: good enough to place a bubble.
    let best = null, bestLen = -1;
    const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    polys.forEach((poly) => { if (poly[0].length > bestLen) { bestLen = poly[0].length; best = poly[0]; } });
    if (!best) return null;
    const xs = best.map((p) => p[0]), ys = best.map((p) => p[1]);
    return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
  }

  // Polygons that cross the antimeridian (Russia, Fiji) or go round a pole (Antarctica):
  // ECharts joins their points with straight lines in longitude and latitude, so a ring that
  // jumps from 180 to -180 is drawn as a band across the whole map. Each such ring is made
  // continuous (longitudes unwrapped), closed along the pole when it goes round one, and cut
  // at -180 and 180 into pieces that lie on the map.
  function unwrap(ring) {
    const out = [ring[0].slice()];
    for (let i = 1; i < ring.length; i++) {
      let lon = ring[i][0];
      const prev = out[i - 1][0];
      while (lon - prev > 180) lon -= 360;
      while (lon - prev < -180) lon += 360;
      out.push([lon, ring[i][1]]);
    }
    const drift = out[out.length - 1][0] - out[0][0];
    if (Math.abs(drift) > 180) {  // goes round a pole: close the ring along it
      const pole = out.reduce((a, p) => a + p[1], 0) < 0 ? -90 : 90;
      out.push([out[out.length - 1][0], pole], [out[0][0], pole], out[0].slice());
    }
    return out;
  }
  function clipSide(ring, edge, keep) {
    // Sutherland–Hodgman against the vertical line lon = edge (keep(lon) = the inside).
    const out = [];
    for (let i = 0; i < ring.length; i++) {
      const a = ring[i], b = ring[(i + 1) % ring.length];
      const ina = keep(a[0]), inb = keep(b[0]);
      if (ina) out.push(a);
      if (ina !== inb) {
        const t = (edge - a[0]) / (b[0] - a[0]);
        out.push([edge, a[1] + t * (b[1] - a[1])]);
      }
    }
    return out;
  }
  function onMap(ring, shift) {
    const moved = ring.map((p) => [p[0] + shift, p[1]]);
    const left = clipSide(moved, -180, (x) => x >= -180);
    return clipSide(left, 180, (x) => x <= 180);
  }
  function crosses(ring) {
    return ring.some((p, i) => i > 0 && Math.abs(p[0] - ring[i - 1][0]) > 180);
  }
  function splitAntimeridian(feature) {
    const g = feature.geometry;
    if (!g || (g.type !== "Polygon" && g.type !== "MultiPolygon")) return;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    if (!polygons.some((rings) => rings.some(crosses))) return;
    const pieces = [];
    polygons.forEach((rings) => {
      if (!rings.some(crosses)) { pieces.push(rings); return; }
      const unwrapped = rings.map(unwrap);
      [-360, 0, 360].forEach((shift) => {
        const outer = onMap(unwrapped[0], shift);
        const xs = outer.map((p) => p[0]);
        if (outer.length < 3 || Math.max(...xs) - Math.min(...xs) <= 0) return;
        const holes = unwrapped.slice(1).map((r) => onMap(r, shift)).filter((r) => r.length >= 3);
        pieces.push([outer, ...holes]);
      });
    });
    feature.geometry = { type: "MultiPolygon", coordinates: pieces };
  }

  function worldMap(rows) {
    const el = document.getElementById("map-chart");
    if (!el) return;
    fetch("/static/vendor/countries-110m.json").then((r) => r.json()).then((topo) => {
      const geo = topojson.feature(topo, topo.objects.countries);
      geo.features.forEach((f) => { f.properties.id = f.id || ""; splitAntimeridian(f); });
      echarts.registerMap("world", geo);
      const centres = {};
      geo.features.forEach((f) => { if (f.id && f.geometry) centres[f.id] = centroid(f.geometry); });
      const max = Math.max(1, ...rows.map((r) => r.networks));
      const shown = rows.filter((r) => r.in_area);
      const c = chart("map-chart", {
        tooltip: { trigger: "item", formatter: (p) => {
          const r = p.data && p.data.row;
          if (!r) return p.name;
          return `${r.name} (${r.economy})<br>${r.networks} networks measured<br>` +
                 `ready: ${r.ready_share === null ? "no data" : pct(r.ready_share) + " %"}`;
        } },
        visualMap: { type: "continuous", min: 0, max: 100, seriesIndex: 0, left: 10, bottom: 10,
                     text: ["100 % ready", "0 %"], calculable: false,
                     inRange: { color: ["#c62828", "#f9a825", "#2e7d32"] } },
        geo: { map: "world", nameProperty: "id", roam: true, silent: true,
               itemStyle: { areaColor: "#eceff1", borderColor: "#b0bec5" } },
        series: [
          { type: "map", map: "world", geoIndex: 0, nameProperty: "id",
            data: shown.map((r) => ({ name: r.numeric, value: pct(r.ready_share), row: r })) },
          { type: "scatter", coordinateSystem: "geo", z: 5,
            symbolSize: (v) => 6 + 30 * Math.sqrt(v[2] / max),
            itemStyle: { color: "rgba(21,101,192,0.55)", borderColor: "#0d47a1" },
            data: shown.filter((r) => centres[r.numeric])
              .map((r) => ({ name: r.economy, value: [...centres[r.numeric], r.networks], row: r })) },
        ],
      });
      if (c) c.on("click", (p) => {
        const r = p.data && p.data.row;
        if (r) window.location.search = `?month=${data.as_of}&area=economy:${r.economy}&action=${data.action}`;
      });
    });
  }

  const pages = {
    overview() {
      worldMap(data.map);
      chart("incidents-chart", {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        grid: { left: 50, right: 10, top: 10, bottom: 30 },
        xAxis: { type: "category", data: data.incidents_by_metric.map((x) => x.metric) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", itemStyle: { color: "#6a1b9a" },
                   data: data.incidents_by_metric.map((x) => x.incidents) }],
      });
      rovBars(data.summary);
      readinessBands(data.readiness);
    },
    history() {
      const months = data.series.map((x) => x.month);
      chart("ready-chart", {
        legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: months }, yAxis: { type: "value", max: 100, name: "% ready" },
        series: actionKeys().map((k) => ({ name: actionLabel(k), type: "line",
          data: data.series.map((x) => pct(x.ready_share[k])) })),
      });
      chart("incidents-chart", {
        legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: months }, yAxis: { type: "value", minInterval: 1 },
        series: Object.keys(data.metrics).map((m) => ({ name: m, type: "bar", stack: "m",
          data: data.series.map((x) => x["incidents_" + m.toLowerCase()]) })),
      });
      chart("rov-chart", {
        legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: months }, yAxis: { type: "value", max: 100, name: "%" },
        series: [["RPKI valid", "rpki_valid_share"], ["RPKI invalid", "rpki_invalid_share"],
                 ["RPKI not found", "rpki_not_found_share"], ["IRR registered", "irr_registered_share"]]
          .map(([name, key]) => ({ name, type: "line", data: data.series.map((x) => pct(x[key])) })),
      });
    },
    compare() {
      const names = data.areas.map((a) => a.label);
      chart("ready-chart", {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 60 },
        xAxis: { type: "category", data: actionKeys().map((k) => SHORT[k] || k), axisLabel: { interval: 0 } },
        yAxis: { type: "value", max: 100, name: "% ready" },
        series: data.areas.map((a) => ({ name: a.label, type: "bar", data: actionKeys().map((k) => {
          const r = a.readiness.find((x) => x.action === k); return r ? pct(r.ready_share) : null; }) })),
      });
      const val = (a, key) => (a.summary ? a.summary[key] : null);
      chart("incidents-chart", {
        grid: { left: 50, right: 10, top: 10, bottom: 40 },
        xAxis: { type: "category", data: names }, yAxis: { type: "value" },
        series: [{ type: "bar", itemStyle: { color: "#6a1b9a" },
                   data: data.areas.map((a) => val(a, "incidents_per_100_networks")) }],
      });
      chart("rov-chart", {
        grid: { left: 50, right: 10, top: 10, bottom: 40 },
        xAxis: { type: "category", data: names }, yAxis: { type: "value", max: 100, name: "%" },
        series: [{ type: "bar", itemStyle: { color: "#2e7d32" },
                   data: data.areas.map((a) => pct(val(a, "rpki_valid_share"))) }],
      });
    },
    network() {
      chart("scores-chart", {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        grid: { left: 220, right: 30, top: 10, bottom: 30 },
        xAxis: { type: "value", min: 0, max: 1 },
        yAxis: { type: "category", inverse: true, data: data.scores.map((x) => x.label) },
        series: [{ type: "bar", data: data.scores.map((x) => ({
          value: x.score, itemStyle: { color: BAND_COLOURS[x.band] || "#9e9e9e" } })) }],
      });
      chart("history-chart", {
        legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: data.history.map((x) => x.month) },
        yAxis: { type: "value", min: 0, max: 1 },
        series: actionKeys().map((k) => ({ name: actionLabel(k), type: "line",
          data: data.history.map((x) => (k in x.scores ? x.scores[k] : null)) })),
      });
    },
    impact() {
      const months = [...new Set(data.series.map((x) => x.month))];
      const COHORTS = { manrs: ["MANRS", "#1565c0"], "rpki-signer": ["RPKI signers", "#2e7d32"] };
      Object.keys(data.charts).forEach((measure, i) => {
        const share = measure.indexOf("share") >= 0;
        const scale = (v) => (v === null || v === undefined ? null : (share ? Math.round(v * 1000) / 10 : v));
        const series = [];
        Object.entries(COHORTS).forEach(([cohort, [name, colour]]) => {
          const at = (m, key) => {
            const r = data.series.find((x) => x.month === m && x.cohort === cohort && x.measure === measure);
            return r ? scale(r[key]) : null;
          };
          const low = months.map((m) => at(m, "difference_low"));
          const high = months.map((m) => at(m, "difference_high"));
          // the interval: an invisible line at the low end, the band stacked on it (both
          // signs stacked together, or a band that crosses zero would start from zero)
          series.push({ name: name + " low", type: "line", stack: cohort, stackStrategy: "all",
                        symbol: "none",
                        lineStyle: { opacity: 0 }, data: low, tooltip: { show: false } });
          series.push({ name: name + " interval", type: "line", stack: cohort,
                        stackStrategy: "all", symbol: "none",
                        lineStyle: { opacity: 0 }, areaStyle: { color: colour, opacity: 0.15 },
                        data: high.map((h, k) => (h === null || low[k] === null ? null : h - low[k])),
                        tooltip: { show: false } });
          series.push({ name: name, type: "line", itemStyle: { color: colour },
                        data: months.map((m) => at(m, "difference")) });
        });
        chart("impact-chart-" + (i + 1), {
          legend: { top: 0, data: Object.values(COHORTS).map((c) => c[0]) },
          grid: { left: 60, right: 20, top: 40, bottom: 30 },
          xAxis: { type: "category", data: months },
          yAxis: { type: "value", name: share ? "points" : "difference" },
          series,
        });
      });
    },
    incident() {
      chart("timeline-chart", {
        grid: { left: 50, right: 30, top: 20, bottom: 40 },
        xAxis: { type: "time" }, yAxis: { type: "value", minInterval: 1, name: "peer ASNs" },
        series: [{ type: "line", step: "end", areaStyle: { opacity: 0.2 }, itemStyle: { color: "#c62828" },
                   data: data.timeline.map((x) => [x.t, x.peers]) }],
      });
    },
  };
  if (pages[data.page]) pages[data.page]();
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
