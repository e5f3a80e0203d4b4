// Core's backend conformance suite and the WebGPU-vs-CPU cases in headless Chromium: esbuild bundles
// test/browser/entry.ts (backend + core + suite + cases, with vitest replaced by a small shim),
// a localhost server serves it (WebGPU needs a secure context: http://127.0.0.1 is one), Chromium runs it on its
// own WebGPU (SwiftShader without a GPU) and the test asserts every case passed.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing under CI; install Debian's chromium (tools/setup-webgpu.sh)`);

describe.skipIf(!hasChromium)(`webgpu in headless Chromium${hasChromium ? '' : ' (skipped: no /usr/bin/chromium)'}`, () => {
  it('passes the conformance suite and every case on navigator.gpu', async () => {
    const bundle = await build({
      entryPoints: [new URL('./browser/entry.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      conditions: ['source', 'browser'],
      alias: { vitest: new URL('./browser/vitest-shim.ts', import.meta.url).pathname },
      write: false,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0]!.text;
    expect(js).not.toMatch(/dawn\.node/); // Dawn stays out of browser bundles
    const server: Server = createServer((req, res) => {
      if (req.url === '/entry.js') {
        res.setHeader('content-type', 'text/javascript');
        res.end(js);
      } else {
        res.setHeader('content-type', 'text/html');
        res.end('<!doctype html><html><body><script type="module" src="/entry.js"></script></body></html>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => window.__nibbleResults !== undefined, undefined, { timeout: 90_000 });
      const report = await page.evaluate(() => window.__nibbleResults!);
      expect(errors).toEqual([]);
      if (!report.available && process.env.CI) throw new Error(`Chromium gave no WebGPU adapter under CI: ${report.reason}`);
      if (!report.available) {
        console.warn(`Chromium has no WebGPU adapter here: ${report.reason}`);
        return;
      }
      const failed = report.results.filter((r) => !r.ok);
      expect(failed, failed.map((f) => `${f.name}: ${f.message}`).join('\n')).toEqual([]);
      // core's conformance suite (37 properties) and the shared cases all ran
      expect(report.results.filter((r) => r.name.startsWith('backend conformance')).length).toBeGreaterThanOrEqual(37);
      expect(report.results.filter((r) => r.name.startsWith('case >')).length).toBeGreaterThan(30);
    } finally {
      await browser.close();
      server.close();
    }
  }, 120_000);
});
