// The shared backend conformance suite (core/testing) on the TypeScript CPU backend, and once more with every
// capability disabled so that core's reference lowerings are held to the same float64 reference.
import { CAPABILITY_LIST } from '@nibble/core';
import { describeBackendConformance } from '@nibble/core/testing';
import { cpu, cpuFactory } from '../src/index.ts';

describeBackendConformance(cpu, { numRuns: 40 });
describeBackendConformance(cpuFactory({ name: 'cpu-lowered', disable: CAPABILITY_LIST }), { numRuns: 15 });
// Reused buffers are not zeroed (the SPI leaves a new buffer's contents unspecified): with every new buffer
// poisoned with NaN (and every freed array reused), a kernel that relied on a zeroed output would fail here.
describeBackendConformance(cpuFactory({ name: 'cpu-poisoned-reuse', reuseMinBytes: 0, reuseFill: NaN }), { numRuns: 15 });
