// Draw every figure of the page from its JSON data block with the locally served plotly.js;
// again after live.js swaps <main>. Text and grid follow the light or dark colour scheme.
(function () {
  "use strict";
  function themed(layout) {
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    var fg = dark ? "#eeeeee" : "#1a1a1a", grid = dark ? "#444444" : "#dddddd";
    layout.font = Object.assign({}, layout.font, { color: fg });
    ["xaxis", "yaxis"].forEach(function (axis) {
      layout[axis] = Object.assign({ gridcolor: grid, zerolinecolor: grid }, layout[axis]);
    });
    return layout;
  }
  function draw(root) {
    if (!window.Plotly) { return; }
    root.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (block) {
      var target = document.querySelector('[data-chart-for="' + block.id + '"]');
      if (!target) { return; }
      var figure = JSON.parse(block.textContent);
      window.Plotly.newPlot(target, figure.data, themed(figure.layout || {}),
        { responsive: true, displaylogo: false, displayModeBar: false }).then(function () {
        target.setAttribute("data-drawn", "true");
      });
    });
  }
  draw(document);
  document.addEventListener("elmon:refreshed", function () { draw(document); });
})();
