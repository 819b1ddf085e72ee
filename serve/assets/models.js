// GET /models: the champion's ROC curves per source, from its model card (GET /api/v1/models/{champion}).
'use strict';
(async () => {
  const c = window.curatorCharts;
  if (!c.ready()) return;
  try {
    const models = await c.fetchJson('/api/v1/models');
    if (models.champion === null) { c.note('There is no champion yet.'); document.body.dataset.chartsReady = '1'; return; }
    const champion = await c.fetchJson('/api/v1/models/' + models.champion);
    const test = ((champion.card || {}).metrics || {}).test || {};
    c.rocChart('champion-roc', test, 'videos_confident', 'Champion v' + champion.version + ': video-level ROC');
  } catch (e) {
    c.note('Could not draw the chart: ' + e.message);
  }
  document.body.dataset.chartsReady = '1';
})();
