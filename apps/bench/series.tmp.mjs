import { loadCaseFile } from './dist/cases/train-cases.js';
import { caseData } from './dist/cases/case-data.js';
import { nibbleCpuSession } from './dist/targets/nibble/load-nibble.js';
import { nibbleLstmTrain, nibbleTransformerTrain } from './dist/targets/nibble/nibble-models.js';
const name = process.argv[2] ?? 'transformer_train_d128';
const steps = Number(process.argv[3] ?? 60);
const c = loadCaseFile().cases.find((x) => x.id === name);
const s = await nibbleCpuSession('native');
const d = caseData(c);
const p = c.kind === 'transformer_train' ? await nibbleTransformerTrain(s, c, d) : await nibbleLstmTrain(s, c, d);
for (let i = 0; i < 5; i++) await p.step();
const t = [];
for (let i = 0; i < steps; i++) { const t0 = performance.now(); await p.step(); t.push(performance.now() - t0); }
console.log(t.map((x) => x.toFixed(1)).join(' '));
const srt = [...t].sort((a, b) => a - b);
console.log(`median ${srt[steps >> 1].toFixed(2)} min ${srt[0].toFixed(2)}`);
