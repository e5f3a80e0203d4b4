// The shared backend conformance suite (core/testing) on the TypeScript CPU backend.
import { describeBackendConformance } from '@nibble/core/testing';
import { cpu } from '../src/index.ts';

describeBackendConformance(cpu, { numRuns: 40 });
