// The CUDA row is skipped with a reason when @nibble/backend-cuda is absent (these machines have no GPU).
import { expect, it } from 'vitest';
import { nibbleTarget } from '../src/targets/registry.js';

it('nibble cuda reports why it is unavailable instead of failing the run', async () => {
  const a = await nibbleTarget('cuda').available();
  expect(a.ok).toBe(false);
  if (!a.ok) expect(a.reason).toMatch(/@nibble\/backend-cuda is not installed/);
});
