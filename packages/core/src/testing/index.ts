/**
 * Test utilities for backends and ops: the backend conformance suite (vitest + fast-check), a gradient checker
 * against float64 central differences, arbitraries for strided tensors, and an independent float64 reference.
 */
export { describeBackendConformance, type BackendConformanceOptions } from './conformance.ts';
export { gradcheck, type GradcheckInput, type GradcheckOptions, type GradcheckResult } from './gradcheck.ts';
export { arbFloat32, arbShape, arbView, arbBroadcastPartner, type ViewCase, type Layout } from './arbitraries.ts';
export { firstMismatch, type Tolerance } from './compare.ts';
export * as reference from './reference.ts';
