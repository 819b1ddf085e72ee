// Browser tests of the experiment dashboard in headless Chromium (playwright-core), run by
// tests/test_dashboard.cpp against `curator serve` on a fixture: experiment x1 (60 runs on sources lab and
// wild) and 940 more runs (1,000 in all). Every scenario must pass for exit code 0.
//   CURATOR_URL, CURATOR_USER, CURATOR_PASSWORD   the daemon and a reviewer account
//   CURATOR_SCREENSHOTS                           folder for the pages' screenshots
//   CHROMIUM                                      the browser executable (default /usr/bin/chromium)
'use strict';
const { chromium } = require('playwright-core');
const assert = require('assert');
const path = require('path');

const base = process.env.CURATOR_URL;
const shots = process.env.CURATOR_SCREENSHOTS;

// Every page must run without a CSP violation or a script error.
function watchErrors(page, errors) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
}

async function anonymousIsRefused(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  for (const p of ['/runs', '/runs/x1-0', '/experiments/x1', '/dataset']) {
    await page.goto(base + p);
    assert.strictEqual(new URL(page.url()).pathname, '/login', p + ' must send an anonymous visitor to sign in');
  }
  for (const p of ['/api/v1/runs', '/api/v1/runs/x1-0', '/api/v1/experiments/x1']) {
    assert.strictEqual((await page.request.get(base + p)).status(), 401, p);
  }
  console.log('ok anonymous: pages redirect to sign-in, the API answers 401');
  await context.close();
}

async function signIn(browser) {
  const context = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
  const page = await context.newPage();
  await page.goto(base + '/login?next=/runs');
  await page.fill('#username', process.env.CURATOR_USER);
  await page.fill('#password', process.env.CURATOR_PASSWORD);
  await Promise.all([page.waitForURL(/\/runs$/), page.click('#sign-in')]);
  return { context, page };
}

const visibleRows = (page) => page.$$eval('#runs tbody tr', (rows) => rows.filter((r) => !r.hidden).length);

async function parallelCoordinates(page) {
  await page.goto(base + '/runs?experiment=x1');
  await page.waitForSelector('body[data-charts-ready="1"]', { timeout: 30000 });
  const lines = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('parallel'))
    .getOption().series.reduce((n, s) => n + s.data.length, 0));
  const rows = await visibleRows(page);
  assert.strictEqual(rows, 60, 'the table lists the experiment\'s 60 runs');
  assert.strictEqual(lines, 60, 'one line per run');
  await page.screenshot({ path: path.join(shots, 'runs.png'), fullPage: false });
  // Brush the first validation video-AUC axis to its upper range, as a drag along the axis does (test AUC
  // is no axis: runs are chosen on validation).
  const kept = await page.evaluate(() => {
    const chart = echarts.getInstanceByDom(document.getElementById('parallel'));
    const axes = chart.getOption().parallelAxis;
    if (axes.some((a) => a.name.startsWith('test'))) return -1;
    const auc = axes.findIndex((a) => a.name.startsWith('val video AUC'));
    chart.dispatchAction({ type: 'axisAreaSelect', parallelAxisIndex: auc, intervals: [[0.75, 1]] });
    return Number(document.getElementById('shown').textContent);
  });
  const after = await visibleRows(page);
  assert(kept !== -1, 'no test-AUC axis to brush on');
  assert(after > 0 && after < 60, 'brushing keeps some runs, not all: ' + after);
  assert.strictEqual(after, kept, 'the count says how many rows are shown');
  await page.screenshot({ path: path.join(shots, 'runs-brushed.png'), fullPage: false });
  console.log(`ok parallel coordinates: ${lines} lines for 60 runs; brushing a video-AUC axis leaves ${after} rows`);
}

async function runPage(page) {
  const api = await (await page.request.get(base + '/api/v1/runs/x1-4')).json();
  await page.goto(base + '/runs/x1-4');
  await page.waitForSelector('body[data-charts-ready="1"]', { timeout: 30000 });
  const points = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('loss')).getOption()
    .series.map((s) => s.data.length));
  assert(points.every((n) => n === api.params.epochs), `curves have ${points} points, the run ${api.params.epochs} epochs`);
  const legend = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('roc')).getOption()
    .series.map((s) => s.name));
  for (const source of ['lab', 'wild']) {
    const m = api.metrics.test[source].videos_confident;
    const auc = m.auc.value.toFixed(3);
    assert(legend.some((name) => name.startsWith(source + ' AUC ' + auc)), `ROC legend ${legend} lacks ${source} AUC ${auc}`);
    const units = `(units: ${m.units.with_reals} with reals, ${m.units.with_fakes} with fakes)`;
    assert(legend.some((name) => name.startsWith(source + ' AUC ') && name.endsWith(units)), `ROC legend ${legend} lacks ${source}'s ${units}`);
  }
  const confusion = await page.textContent('#confusion');
  assert(confusion.includes('Split units'), 'the confusion table has no units column');
  await page.screenshot({ path: path.join(shots, 'run.png'), fullPage: true });
  console.log(`ok run page: curves with ${api.params.epochs} points; ROC legend ${legend.slice(0, 2).join('; ')}`);
}

async function experimentPage(page) {
  const api = await (await page.request.get(base + '/api/v1/experiments/x1')).json();
  await page.goto(base + '/experiments/x1');
  await page.waitForSelector('body[data-charts-ready="1"]', { timeout: 30000 });
  const cells = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('heatmap')).getOption()
    .series[0].data.map((d) => d.value[2]));
  assert.strictEqual(cells.length, api.matrix.rows.length * api.matrix.columns.length);
  const first = api.matrix.cells[api.matrix.rows[0]][api.matrix.columns[0]].video.auc;
  assert.strictEqual(cells[0], Number(first.toFixed(3)), 'the heat map shows the API\'s cell');
  await page.screenshot({ path: path.join(shots, 'experiment.png'), fullPage: true });
  console.log(`ok experiment page: ${cells.length} cells, first ${cells[0]}`);
}

async function otherPages(page) {
  for (const [p, shot] of [['/models', 'models.png'], ['/dataset', 'dataset.png']]) {
    await page.goto(base + p);
    await page.waitForSelector('body[data-charts-ready="1"]', { timeout: 30000 });
    await page.screenshot({ path: path.join(shots, shot), fullPage: true });
  }
  console.log('ok models and dataset pages drawn');
}

// The whole /runs page with 1,000 runs, best of three loads: in the page, from navigation start to the
// chart drawn (the table is in the HTML, before); and as the test sees it (page.goto to the chart drawn,
// with the driver's round trips).
async function thousandRuns(page) {
  const drawn = [], wall = [], draw = [];
  for (let i = 0; i < 3; ++i) {
    const t0 = Date.now();
    await page.goto(base + '/runs');
    await page.waitForSelector('body[data-charts-ready="1"]', { timeout: 30000 });
    wall.push(Date.now() - t0);
    const [data, chart] = await page.evaluate(() => ['runs-data', 'runs-drawn'].map(
      (name) => Math.round(performance.getEntriesByName(name)[0].startTime)));
    drawn.push(chart);
    draw.push(chart - data); // the page's own work once its data is there
  }
  const rows = await visibleRows(page);
  assert.strictEqual(rows, 1000);
  const lines = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('parallel'))
    .getOption().series.reduce((n, s) => n + s.data.length, 0));
  assert.strictEqual(lines, 1000);
  const phases = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const mark = (name) => Math.round(performance.getEntriesByName(name)[0].startTime);
    return `HTML received ${Math.round(nav.responseEnd)} ms, DOM interactive ${Math.round(nav.domInteractive)} ms, ` +
           `scripts start ${mark('scripts-start')} ms, runs JSON ${mark('runs-data')} ms, chart drawn ${mark('runs-drawn')} ms`;
  });
  const timed = async (url) => { const t = Date.now(); await page.request.get(base + url); return Date.now() - t; };
  console.log(`ok 1000 runs: navigation to chart drawn ${drawn.join(', ')} ms (best ${Math.min(...drawn)} ms); ` +
              `as the driver sees it ${wall.join(', ')} ms`);
  console.log(`   last load: ${phases}`);
  console.log(`   server alone: /runs ${await timed('/runs')} ms, /api/v1/runs?detail=summary ${
    await timed('/api/v1/runs?detail=summary')} ms, /api/v1/runs (with curves) ${await timed('/api/v1/runs')} ms`);
  console.log(`   table and chart from the data: ${draw.join(', ')} ms`);
  // Navigation to chart: about 1.5 s alone, 2.0-2.8 s beside another group on 2 cores (server time
  // included, printed above). The page's own part, from its data to the chart, is what it controls:
  // about 150 ms either way; 1 s leaves room for a slow machine and still catches a quadratic draw.
  assert(Math.min(...draw) < 1000, 'the runs page must draw 1,000 runs within 1 s of their data');
  await page.screenshot({ path: path.join(shots, 'runs-1000.png'), fullPage: false });
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
                                          args: ['--no-sandbox'] });
  const errors = [];
  try {
    await anonymousIsRefused(browser);
    const { context, page } = await signIn(browser);
    watchErrors(page, errors);
    await parallelCoordinates(page);
    await runPage(page);
    await experimentPage(page);
    await otherPages(page);
    await thousandRuns(page);
    assert.deepStrictEqual(errors, [], 'no script error or CSP violation on any page');
    await context.close();
  } catch (e) {
    console.error(e);
    console.error('page errors:', errors);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
