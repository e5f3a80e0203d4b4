// The TypeScript path of @nibble/core + @nibble/backend-cpu bundles for browsers: no Node built-in is reachable from
// the browser entry points, and the bundle runs a real computation in a browser-like global scope.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { runInNewContext } from 'node:vm';

describe('browser bundle', () => {
  it('bundles without Node built-ins and computes in a fresh context', async () => {
    const result = await build({
      stdin: {
        contents: `import { createRuntime, tensor } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
const rt = createRuntime({ backends: [cpu] });
const x = tensor([[1, 2], [3, 4]], { runtime: rt });
globalThis.result = Array.from(x.matmul(x).softmax(-1).dataSync());`,
        resolveDir: import.meta.dirname,
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      conditions: ['source', 'browser'],
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    const sandbox: { result?: number[] } = {};
    runInNewContext(code, sandbox); // no process, no require: only what a page has
    const expected = [[7, 10], [15, 22]].flatMap(([a, b]) => [1 / (1 + Math.exp(b! - a!)), 1 / (1 + Math.exp(a! - b!))]);
    sandbox.result!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });
});
