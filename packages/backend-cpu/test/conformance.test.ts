// The shared backend conformance suite (core/testing) on the TypeScript CPU backend, and once more with every
// capability disabled so that core's reference lowerings are held to the same float64 reference.
import { CAPABILITY_LIST } from '@nibble/core';
import { describeBackendConformance } from '@nibble/core/testing';
import { cpu, cpuFactory } from '../src/index.ts';

describeBackendConformance(cpu, { numRuns: 40 });
describeBackendConformance(cpuFactory({ name: 'cpu-lowered', disable: CAPABILITY_LIST }), { numRuns: 15 });
