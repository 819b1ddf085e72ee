// GET /experiments/{id}: the cross-source matrix as a heat map (cell: mean video-level AUC; the interval
// and run count in the cell and its tooltip), from GET /api/v1/experiments/{id}.
'use strict';
(async () => {
  const c = window.curatorCharts;
  if (!c.ready()) return;
  const id = document.body.dataset.experiment;
  let e;
  try {
    e = await c.fetchJson('/api/v1/experiments/' + encodeURIComponent(id));
  } catch (err) {
    return c.note('Could not load the experiment: ' + err.message);
  }
  const m = e.matrix;
  const data = [];
  m.rows.forEach((row, y) => m.columns.forEach((col, x) => {
    const cell = m.cells[row][col];
    const v = cell.video;
    data.push({ value: [x, y, v ? Number(v.auc.toFixed(3)) : null], low: v ? v.low : null, high: v ? v.high : null,
                runs: cell.runs });
  }));
  const chart = c.init('heatmap');
  chart.setOption({
    tooltip: { formatter: (p) => m.rows[p.value[1]] + ' \u2192 ' + m.columns[p.value[0]] + ': AUC ' + c.fmt(p.value[2]) +
      ' [' + c.fmt(p.data.low) + ', ' + c.fmt(p.data.high) + '], ' + p.data.runs + ' runs' },
    grid: { top: 30, left: 120, right: 30, bottom: 80 },
    xAxis: { type: 'category', data: m.columns, name: 'tested on', nameLocation: 'middle', nameGap: 30, splitArea: { show: true } },
    yAxis: { type: 'category', data: m.rows, name: 'trained on', inverse: true, splitArea: { show: true } },
    visualMap: { min: 0.5, max: 1, precision: 2, calculable: true, orient: 'horizontal', left: 'center', bottom: 0,
                 inRange: { color: ['#f7f7f7', '#fdae61', '#1a9641'] } },
    series: [{ type: 'heatmap', data,
               label: { show: true, lineHeight: 18, fontSize: 13, formatter: (p) => p.value[2] === null ? '-' :
                 c.fmt(p.value[2]) + '\n[' + c.fmt(p.data.low, 2) + ', ' + c.fmt(p.data.high, 2) + ']' } }],
  });
  document.body.dataset.chartsReady = '1';
})();
