// The SVG chart renders in a real browser: headless Chromium (Debian's package, driven by playwright-core) loads it
// from a localhost page and its screenshot contains the bar colours of the targets. CI installs chromium with
// scripts/install-system-deps.sh; without it this test fails and says how to install it.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { renderCharts, TARGET_COLORS } from '../src/report/charts.js';
import { countColor, decodePng } from './helpers/decode-png.js';
import { smallRun } from './helpers/small-run.js';

const CHROMIUM = '/usr/bin/chromium';
// The project's flags, plus --disable-gpu: an SVG screenshot needs no GPU process, and probing GPU drivers is slow.
const CHROMIUM_FLAGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'];
// No D-Bus here: without this Chromium can wait ~25 s for a bus connection before it starts.
const CHROMIUM_ENV = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'disabled:' };

describe('SVG charts in headless Chromium', () => {
  let server: Server;
  let browser: Browser | undefined;
  let base = '';
  const pages = new Map<string, string>();

  beforeAll(async () => {
    const charts = await renderCharts(await smallRun());
    for (const c of charts) pages.set(`/${c.name}`, c.svg);
    for (const c of charts) pages.set(`/${c.name}.html`, `<!doctype html><html><body style="margin:0;background:#fff"><img id="chart" src="/${c.name}"></body></html>`);
    server = createServer((req, res) => {
      const body = pages.get(req.url ?? '');
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': req.url?.endsWith('.svg') ? 'image/svg+xml' : 'text/html' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('Chromium is installed (run apps/bench/scripts/install-system-deps.sh, i.e. apt-get install -y chromium)', () => {
    expect(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install it with "bash apps/bench/scripts/install-system-deps.sh" (apt-get update && apt-get install -y chromium)`,
    ).toBe(true);
  });

  for (const name of ['bench-times.svg', 'bench-matmul-gflops.svg']) {
    it(`${name}: the screenshot shows the bars of both targets`, async () => {
      expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run apps/bench/scripts/install-system-deps.sh`).toBe(true);
      browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, env: CHROMIUM_ENV });
      const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
      await page.goto(`${base}/${name}.html`);
      await page.waitForFunction(() => (document.getElementById('chart') as HTMLImageElement | null)?.complete === true);
      const size = await page.evaluate(() => {
        const img = document.getElementById('chart') as HTMLImageElement;
        return { w: img.naturalWidth, h: img.naturalHeight };
      });
      expect(size.w).toBeGreaterThan(100);
      const png = decodePng(await page.screenshot({ type: 'png' }));
      await page.close();
      // Bars are drawn in the fixed target colours; a blank or broken SVG has none of these pixels.
      expect(countColor(png, TARGET_COLORS['ort'] ?? '')).toBeGreaterThan(200);
      expect(countColor(png, TARGET_COLORS['tfjs-wasm'] ?? '')).toBeGreaterThan(200);
      // ...and the count discriminates: a colour no row of this run uses is (almost) absent
      expect(countColor(png, TARGET_COLORS['nibble-webgpu'] ?? '')).toBeLessThan(20);
    });
  }
});
