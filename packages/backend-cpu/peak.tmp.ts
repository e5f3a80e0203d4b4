import { requireAddon } from './src/native/loader.ts';
const addon = requireAddon('bench') as any;
for (const t of [1, 2, 1, 2]) console.log(t, (addon.fmaPeak(2e7, t) / 1e9).toFixed(1), 'GF/s');
