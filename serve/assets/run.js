// GET /runs/{id}: learning curves (losses, validation AUC per source, learning rate) and ROC per test
// source, from GET /api/v1/runs/{id}.
'use strict';
(async () => {
  const c = window.curatorCharts;
  if (!c.ready()) return;
  const id = document.body.dataset.run;
  let run;
  try {
    run = await c.fetchJson('/api/v1/runs/' + encodeURIComponent(id));
  } catch (e) {
    return c.note('Could not load the run: ' + e.message);
  }
  const curves = run.curves || [];
  const epochs = curves.map((e) => e.epoch);
  const line = (name, key) => ({ name, type: 'line', data: curves.map((e) => [e.epoch, e[key] ?? null]), connectNulls: true });
  const base = (title, series, yName) => ({
    title: { text: title, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { top: 24, type: 'scroll' },
    grid: { top: 70, left: 55, right: 20, bottom: 40 },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 25, minInterval: 1,
             min: epochs.length ? Math.min(...epochs) : 0, max: epochs.length ? Math.max(...epochs) : 1 },
    yAxis: { type: 'value', name: yName, scale: true },
    series,
  });
  c.init('loss').setOption(base('Loss', [line('train loss', 'train_loss'), line('validation loss', 'val_loss'),
                                         line('train loss (eval mode)', 'train_eval_loss')], 'BCE'));
  const sources = [...new Set(curves.flatMap((e) => Object.keys(e.val_auc_by_source || {})))].sort();
  const auc = [line('validation AUC (all)', 'val_auc')].concat(sources.map((s) => ({
    name: 'validation AUC ' + s, type: 'line', connectNulls: true,
    data: curves.map((e) => [e.epoch, (e.val_auc_by_source || {})[s] ?? null]) })));
  c.init('val-auc').setOption(base('Validation AUC (frames)', auc, 'AUC'));
  c.init('lr').setOption(base('Learning rate', [line('learning rate', 'lr')], 'lr'));
  const test = (run.metrics || {}).test || {};
  c.rocChart('roc', test, 'videos_confident', 'Test ROC per source (videos, confident strategy)');
  if (!curves.length) c.note('This run has no finished epoch yet.');
  document.body.dataset.chartsReady = '1';
})();
