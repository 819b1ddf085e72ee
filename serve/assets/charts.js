// Shared by the dashboard's pages: JSON fetching, chart set-up, number formatting and ROC series.
// Exposes window.curatorCharts; every chart is an ECharts instance reachable with echarts.getInstanceByDom.
'use strict';
performance.mark('scripts-start');
window.curatorCharts = (() => {
  const note = (text) => {
    const el = document.getElementById('chart-note');
    if (el) el.textContent = text;
  };
  const ready = () => {
    if (window.echarts) return true;
    note('The charts are missing: the charting library is not installed on this server (run ops/setup.sh).');
    return false;
  };
  const init = (id) => {
    const el = document.getElementById(id);
    if (!el) return null;
    const chart = echarts.init(el, null, { renderer: 'canvas' });
    window.addEventListener('resize', () => chart.resize());
    return chart;
  };
  const fetchJson = async (url) => {
    // No extra headers: the request must match a page's <link rel=preload as=fetch crossorigin=anonymous>.
    const res = await fetch(url, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(url + ' answered ' + res.status);
    return res.json();
  };
  const fmt = (v, digits = 3) => (typeof v === 'number' && isFinite(v) ? v.toFixed(digits) : '-');
  const interval = (m) => (m && typeof m.value === 'number' ? fmt(m.value) + ' [' + fmt(m.low) + ', ' + fmt(m.high) + ']' : '-');
  // The split units an interval was resampled over: "(units: 4 with reals, 6 with fakes)".
  const unitsText = (m) => (m && m.units ? ' (units: ' + m.units.with_reals + ' with reals, ' + m.units.with_fakes + ' with fakes)' : '');
  // One line per test source: the name carries the AUC, its interval and its units (the legend shows it).
  const rocSeries = (test, level) => Object.keys(test || {}).filter((s) => s !== 'all' && test[s][level] && test[s][level].roc)
    .map((s) => ({ name: s + ' AUC ' + interval(test[s][level].auc) + unitsText(test[s][level]), type: 'line',
                   showSymbol: false, step: false, data: test[s][level].roc, source: s }));
  const rocChart = (id, test, level, title) => {
    const series = rocSeries(test, level);
    const chart = init(id);
    if (!chart) return null;
    series.push({ name: 'chance', type: 'line', data: [[0, 0], [1, 1]], showSymbol: false,
                  lineStyle: { type: 'dashed', color: '#999' } });
    chart.setOption({
      title: { text: title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: 'axis' },
      legend: { top: 24, type: 'scroll' },
      grid: { top: 70, left: 50, right: 20, bottom: 40 },
      xAxis: { type: 'value', min: 0, max: 1, name: 'false positive rate', nameLocation: 'middle', nameGap: 25 },
      yAxis: { type: 'value', min: 0, max: 1, name: 'true positive rate' },
      series,
    });
    return chart;
  };
  return { note, ready, init, fetchJson, fmt, interval, unitsText, rocChart };
})();
