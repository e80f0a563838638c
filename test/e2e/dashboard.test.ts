import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as pollUntil } from '../support/until.js';

// The dashboard in a real browser (Debian's chromium, headless), fed by the real `netids demo`
// process: the bundled capture played at 15x, so the page sees the learning phase, then the
// attacks' anomalies arrive over server-sent events. Screenshots go to test-results/.
const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'bin', 'netids.js');
const chromiumPath = '/usr/bin/chromium';
const results = join(root, 'test-results');
const attacker = readFileSync(join(root, 'test', 'fixtures', 'demo', 'demo.labels.csv'), 'utf8').trim().split('\n')[1].split(',')[2];

/** Runs in the page: how much of the chart canvas is drawn on (null before the first drawing). */
const INKED_PIXELS = `(() => {
  const c = document.getElementById('chart');
  if (c.dataset.drawn !== '1') return null;
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let inked = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
  return { points: Number(c.dataset.points), inked, total: px.length / 4 };
})()`;

let child: ChildProcess;
let stderr = '';
let url = '';
let profile = '';
let context: BrowserContext;
let page: Page;

/** Polls as ../support/until does, with netids' output in the timeout's message. */
function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs: number): Promise<NonNullable<T>> {
  return pollUntil(what, probe, timeoutMs, { detail: () => `netids said:\n${stderr}` });
}

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the e2e tests');
  if (!existsSync(chromiumPath)) throw new Error('chromium is missing: apt-get install -y chromium');
  mkdirSync(results, { recursive: true });
  child = spawn(process.execPath, [cli, 'demo', '--port', '0', '--speed', '15'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', (d) => (stderr += d));
  child.stdout?.resume();
  url = await until('the dashboard URL', () => /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1], 30_000);
  profile = mkdtempSync(join(tmpdir(), 'netids-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 90_000);

afterAll(async () => {
  await context?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGINT');
    await until('netids to exit', () => child.exitCode !== null || child.signalCode !== null, 20_000).catch(() => child.kill('SIGKILL'));
  }
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('dashboard (browser, real demo run)', () => {
  const pageErrors: string[] = [];

  it('shows the learning phase, then anomalies popping in live, and a drawn chart', async () => {
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    const firstLabel = await until('the model state', async () => (await page.textContent('#model-label'))?.replace('Model', '') || null, 15_000);
    expect(['Learning baseline', 'Training model…', 'Detecting']).toContain(firstLabel);

    await until('an anomaly row for the attacker', () => page.locator(`#anomalies tbody tr:has-text("${attacker}")`).count(), 90_000);
    await until('the model to be detecting', async () => (await page.textContent('#model-label')) === 'Detecting', 30_000);
    const events = (await page.evaluate('window.netidsEvents')) as Record<string, number>;
    expect(events.snapshot).toBeGreaterThanOrEqual(1);
    // Anomalies arrived as live events after the page loaded, not only in the first snapshot.
    expect(events.anomaly).toBeGreaterThan(0);
    expect(events.stats).toBeGreaterThan(0);

    const chart = await until(
      'the chart to draw',
      () => page.evaluate(INKED_PIXELS) as Promise<{ points: number; inked: number; total: number } | null>,
      20_000,
    );
    expect(chart.points).toBeGreaterThan(30);
    expect(chart.inked / chart.total).toBeGreaterThan(0.01);

    const rows = await page.locator('#anomalies tbody tr').count();
    const api = (await (await fetch(new URL('/api/anomalies', url))).json()) as { total: number };
    expect(rows).toBe(Math.min(api.total, 500));
    expect(await page.textContent('#s-anomalies')).not.toBe('0');
    await page.screenshot({ path: join(results, 'dashboard-demo.png'), fullPage: true });
  }, 150_000);

  it('filters the table by kind', async () => {
    const kinds = await page.locator('#anomalies tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind')));
    const kind = kinds[0] as string;
    await page.selectOption('#f-kind', kind);
    await until('the filter to apply', async () => {
      const shown = await page.locator('#anomalies tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind')));
      return shown.length > 0 && shown.every((k) => k === kind) && shown.length === kinds.filter((k) => k === kind).length;
    }, 5_000);
    expect(await page.getAttribute('#csv', 'href')).toBe(`/api/anomalies.csv?kind=${kind}`);
    await page.selectOption('#f-kind', '');
  });

  it('reads well in dark mode too, without page errors', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await until('the chart to redraw', async () => (await page.evaluate(INKED_PIXELS)) !== null, 10_000);
    const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(bg).toBe('rgb(14, 17, 23)');
    await page.screenshot({ path: join(results, 'dashboard-demo-dark.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('stops cleanly on Ctrl-C', async () => {
    child.kill('SIGINT');
    await until('netids to exit', () => child.exitCode !== null, 30_000);
    expect(child.exitCode).toBe(0);
  }, 40_000);
});
