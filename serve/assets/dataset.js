// GET /dataset: growth of the dataset, videos per source and split in each snapshot over time, from
// GET /api/v1/dataset/snapshots.
'use strict';
(async () => {
  const c = window.curatorCharts;
  if (!c.ready()) return;
  let snaps;
  try {
    snaps = (await c.fetchJson('/api/v1/dataset/snapshots')).snapshots || [];
  } catch (e) {
    return c.note('Could not load the snapshots: ' + e.message);
  }
  snaps.sort((a, b) => a.created_ms - b.created_ms);
  const keys = new Set();
  snaps.forEach((s) => Object.entries((s.summary || {}).sources || {}).forEach(([source, splits]) =>
    Object.keys(splits).forEach((split) => keys.add(source + ' / ' + split))));
  const series = [...keys].sort().map((key) => {
    const [source, split] = key.split(' / ');
    return { name: key, type: 'line', data: snaps.map((s) => {
      const row = (((s.summary || {}).sources || {})[source] || {})[split];
      return [s.created_ms, row ? row.real_videos + row.fake_videos : 0];
    }) };
  });
  if (!snaps.length) c.note('No snapshot yet.');
  c.init('growth').setOption({
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    grid: { top: 40, left: 50, right: 20, bottom: 40 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', name: 'videos' },
    series,
  });
  document.body.dataset.chartsReady = '1';
})();
