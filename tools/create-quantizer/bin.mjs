#!/usr/bin/env node
// create-quantizer: scaffolds a standalone nibble quantizer plugin package.
//   node tools/create-quantizer/bin.mjs <dir> --name @acme/my-quant [--id acme/my-quant]
//   npm create @nibble/quantizer <dir> -- --name @acme/my-quant   (once published)
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ScaffoldError, scaffold } from './scaffold.mjs';

const usage = `Usage: create-quantizer <dir> --name <npm-package-name> [--id <scope/quantizer-id>] [--nibble-range <semver>]

Writes a plugin package into <dir> (new or empty): package.json, tsconfig, a sample quantizer
(symmetric uniform with power-of-two scales and a straight-through gradient) and a vitest test that
runs @nibble/quant-testkit's conformance suite on it.`;

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      id: { type: 'string' },
      'nibble-range': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (positionals.length !== 1 || !values.name) throw new ScaffoldError(`create-quantizer: expected one directory and --name\n\n${usage}`);
  const dir = resolve(positionals[0] ?? '.');
  const { files, id } = scaffold({
    dir,
    name: values.name,
    ...(values.id ? { id: values.id } : {}),
    ...(values['nibble-range'] ? { nibbleRange: values['nibble-range'] } : {}),
  });
  console.log(`Created ${values.name} (quantizer '${id}') in ${dir}:\n${files.map((f) => `  ${f}`).join('\n')}\n\nNext:\n  cd ${dir}\n  npm install\n  npm test`);
} catch (e) {
  if (e instanceof ScaffoldError || (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
