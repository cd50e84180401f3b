/* The dashboard's charts (Apache ECharts from the pinned npm package). The figures come
   from the page's json_script "dash-data"; a click on a bar, slice or point opens the
   complaint list behind it (each row carries its list address). No inline script: the
   Content-Security-Policy allows only the site's own files. */
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("dash-data");
    if (!source || typeof echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var charts = [];
    document.querySelectorAll(".dash-chart[data-chart]").forEach(function (box) {
      var rows = data[box.getAttribute("data-chart")] || [];
      if (!rows.length) {
        box.classList.add("d-none");
        return;
      }
      var kind = box.getAttribute("data-kind") || "bar";
      var chart = echarts.init(box, null, { renderer: "svg" });
      var labels = rows.map(function (r) { return r.label; });
      var values = rows.map(function (r) { return { value: r.count, url: r.url, name: r.label }; });
      var option;
      if (kind === "pie") {
        // The list under the chart names every slice with its count: no outside labels
        // to be cut off on a narrow card.
        option = {
          tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
          series: [{
            type: "pie", radius: ["38%", "70%"], data: values,
            label: { show: false }, labelLine: { show: false }
          }]
        };
      } else if (kind === "hbar") {
        // Long Chinese names (stages, departments, places) read along the bars.
        option = {
          tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
          grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
          xAxis: { type: "value", minInterval: 1 },
          yAxis: {
            type: "category", inverse: true, data: labels,
            axisLabel: { fontSize: 11, width: 110, overflow: "truncate" }
          },
          series: [{ type: "bar", data: values, barMaxWidth: 18 }]
        };
      } else {
        option = {
          tooltip: { trigger: "axis" },
          grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
          xAxis: { type: "category", data: labels, axisLabel: { rotate: labels.length > 6 ? 40 : 0, fontSize: 11 } },
          yAxis: { type: "value", minInterval: 1 },
          series: [{ type: kind === "line" ? "line" : "bar", data: values, smooth: kind === "line" }]
        };
      }
      chart.setOption(option);
      chart.on("click", function (params) {
        if (params.data && params.data.url) {
          window.location.href = params.data.url;
        }
      });
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
