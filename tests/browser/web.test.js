// Browser tests of curator's pages in real headless Chromium, driven by playwright-core.
// Run by tests/test_browser.cpp against a live daemon; every scenario must pass for exit code 0.
//   CURATOR_URL       base URL of the daemon (http://127.0.0.1:PORT)
//   CURATOR_CLIP      a real video with a face
//   CURATOR_USER / CURATOR_PASSWORD   a reviewer account
//   CHROMIUM          the browser executable (default /usr/bin/chromium)
'use strict';
const { chromium } = require('playwright-core');
const assert = require('assert');

const base = process.env.CURATOR_URL;
const clip = process.env.CURATOR_CLIP;
const user = process.env.CURATOR_USER;
const password = process.env.CURATOR_PASSWORD;

// Polls a condition in the page (waitForFunction evaluates strings, which the pages' CSP forbids).
async function until(page, condition, timeout) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await page.evaluate(condition)) return;
    await page.waitForTimeout(100);
  }
  throw new Error('timed out waiting for ' + condition);
}

async function contributorUploads(browser) {
  const page = await browser.newPage();
  await page.goto(base + '/');
  await page.setInputFiles('#file', clip);
  await page.selectOption('#label', 'real');
  await page.fill('#source', 'browser-test');
  await page.fill('#name', 'Browser <Tester>');
  await page.check('#consent');
  // The page's address carries the submission's access key: only its holder (and staff) may open it.
  await Promise.all([page.waitForURL(/\/submissions\/\d+\?key=[0-9a-f]{32}$/, { timeout: 60000 }), page.click('#send')]);
  const id = Number(page.url().match(/\/submissions\/(\d+)\?/)[1]);
  // Ingest runs in the daemon; the page polls and shows the faces as they are found.
  await page.waitForSelector('#faces img.face', { timeout: 180000 });
  await until(page, () => document.getElementById('state').textContent.startsWith('done'), 60000);
  const faces = await page.locator('#faces img.face').count();
  assert(faces >= 1, 'expected at least one face track');
  const loaded = await page.locator('#faces img.face').first().evaluate((img) => img.complete && img.naturalWidth > 0);
  assert(loaded, 'the face thumbnail did not load');
  const keyless = await page.request.get(base + '/submissions/' + id);
  assert.strictEqual(keyless.status(), 404, 'without its key the page must not open');
  console.log(`ok contributor: submission ${id} shows ${faces} face track(s); without its key it answers 404`);
  await page.close();
  return id;
}

async function anonymousIsRefused(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + '/review');
  assert(new URL(page.url()).pathname === '/login', 'an anonymous visit to /review must end at the sign-in page');
  const api = await page.request.get(base + '/api/v1/review/next');
  assert.strictEqual(api.status(), 401);
  const media = await page.request.get(base + '/media/submissions/1/video');
  assert.strictEqual(media.status(), 401);
  // A sign-in form posted without its CSRF token.
  const login = await page.request.post(base + '/login', { form: { username: user, password } });
  assert.strictEqual(login.status(), 403);
  console.log('ok anonymous: review pages redirect to sign-in, API and media answer 401, token-less sign-in 403');
  await context.close();
}

async function reviewerConfirms(browser, id) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + '/review');
  assert(new URL(page.url()).pathname === '/login');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(new RegExp('/review/' + id + '$')), page.click('#sign-in')]);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'curator_session');
  assert(session && session.httpOnly && session.sameSite === 'Strict', 'session cookie must be HttpOnly, SameSite=Strict');
  assert.strictEqual(await page.textContent('#claimed'), 'real');
  assert(await page.locator('#faces img.face, .faces img.face').count() >= 1, 'the reviewer sees the face tracks');
  // The player fetches the video through range requests.
  await until(page, () => document.querySelector('video').readyState >= 1, 30000);

  // A state-changing post without the CSRF token is refused, even with the session cookie.
  const forged = await page.evaluate(async (sid) => {
    const res = await fetch('/review/' + sid + '/decide', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'decision=fake' });
    return res.status;
  }, id);
  assert.strictEqual(forged, 403);

  await Promise.all([page.waitForURL(/\/review$/), page.click('#confirm-real')]);
  assert(await page.locator('#empty').count() === 1, 'the queue is empty after the only item');
  const item = await (await page.request.get(base + '/api/v1/review/' + id)).json();
  assert.strictEqual(item.state, 'confirmed');
  assert.strictEqual(item.label, 'real');
  console.log(`ok reviewer: signed in, saw the video and faces, confirmed submission ${id} as real; forged post 403`);
  await context.close();
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const id = await contributorUploads(browser);
    await anonymousIsRefused(browser);
    await reviewerConfirms(browser, id);
    console.log('SUBMISSION ' + id);
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error('FAILED: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
