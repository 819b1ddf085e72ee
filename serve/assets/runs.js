// GET /runs: parallel coordinates over the listed runs (one line per run, coloured by training source):
// the searched parameters, then validation AUC per source (video level). Test AUC is not an
// axis: runs are chosen on validation, test metrics stay the record. Brushing an axis keeps the
// runs inside the brushed ranges and hides the other rows of the table. Data: GET /api/v1/runs?detail=summary.
'use strict';
(async () => {
  const c = window.curatorCharts;
  if (!c.ready()) return;
  const query = document.body.dataset.query || '';
  let runs;
  try {
    runs = (await c.fetchJson('/api/v1/runs?detail=summary' + (query ? '&' + query : ''))).runs;
  } catch (e) {
    return c.note('Could not load the runs: ' + e.message);
  }
  performance.mark('runs-data');
  const sourceOf = (r) => r.params.train_source || 'all';
  const validated = [...new Set(runs.flatMap((r) => Object.keys((r.metrics || {}).val || {})))].filter((s) => s !== 'all').sort();
  const categories = (f) => [...new Set(runs.map(f))].sort();
  const auc = (r, s, level) => {
    const m = (((r.metrics || {}).val || {})[s] || {})[level];
    return m && m.auc && typeof m.auc.value === 'number' ? Number(m.auc.value.toFixed(4)) : null;
  };
  const axes = [
    { name: 'trained on', type: 'category', data: categories(sourceOf), get: sourceOf },
    { name: 'backbone', type: 'category', data: categories((r) => r.params.backbone), get: (r) => r.params.backbone },
    { name: 'init', type: 'category', data: categories((r) => (r.init || 'scratch').split(':')[0]),
      get: (r) => (r.init || 'scratch').split(':')[0] },
    { name: 'batch', type: 'value', get: (r) => r.params.batch },
    { name: 'epochs', type: 'value', get: (r) => r.params.epochs },
    { name: 'dropout', type: 'value', get: (r) => r.params.dropout },
    { name: 'weight decay', type: 'value', get: (r) => r.params.weight_decay },
    { name: 'learning rate', type: 'log', get: (r) => r.params.lr },
    { name: 'schedule', type: 'category', data: categories((r) => r.params.schedule), get: (r) => r.params.schedule },
    { name: 'hidden', type: 'value', get: (r) => r.params.hidden },
  ];
  validated.forEach((s) => {
    axes.push({ name: 'val video AUC\n' + s, type: 'value', min: 0, max: 1, get: (r) => auc(r, s, 'videos_mean') });
  });
  const groups = categories(sourceOf);
  const idsBySeries = groups.map((g) => runs.filter((r) => sourceOf(r) === g).map((r) => r.id));
  const chart = c.init('parallel');
  chart.setOption({
    animation: false, // 1,000 lines: draw them at once
    legend: { top: 0, data: groups },
    tooltip: { trigger: 'item', formatter: (p) => idsBySeries[p.seriesIndex][p.dataIndex] },
    parallel: { left: 60, right: 90, top: 60, bottom: 30, parallelAxisDefault: { nameGap: 12, nameTextStyle: { fontSize: 11 } } },
    parallelAxis: axes.map((a, dim) => ({ dim, name: a.name, type: a.type, data: a.data, min: a.min, max: a.max, scale: a.type === 'value' })),
    series: groups.map((g, i) => ({
      name: g, type: 'parallel', lineStyle: { width: 1.5, opacity: 0.6 }, inactiveOpacity: 0.05, activeOpacity: 0.9,
      data: runs.filter((r) => sourceOf(r) === g).map((r) => axes.map((a) => a.get(r))),
    })),
  });
  const rows = [...document.querySelectorAll('#runs tbody tr')];
  const show = (keep) => {
    let shown = 0;
    rows.forEach((tr) => { tr.hidden = keep !== null && !keep.has(tr.dataset.run); if (!tr.hidden) shown++; });
    document.getElementById('shown').textContent = String(shown);
  };
  chart.on('axisareaselected', () => {
    const model = chart.getModel();
    const keep = new Set();
    let brushed = false;
    model.getSeries().forEach((series, i) => {
      const active = series.getRawIndicesByActiveState('active');
      if (active.length !== series.getData().count()) brushed = true;
      active.forEach((k) => keep.add(idsBySeries[i][k]));
    });
    show(brushed ? keep : null);
  });
  if (!runs.length) c.note('No runs match.');
  performance.mark('runs-drawn');
  document.body.dataset.chartsReady = '1';
})();
