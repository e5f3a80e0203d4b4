// Public surface of @nibble/bench: the target interface (to add nibble's rows), the case data and the runner.
export type { Availability, BenchTarget, CaseFactories, CaseFactory, PreparedCase, StepOutput } from './targets/bench-target.js';
export { reasonOf, UnsupportedCaseError } from './targets/bench-target.js';
export { loadCaseFile, caseFlops, CASE_KINDS, TRAIN_CASES_PATH } from './cases/train-cases.js';
export type { TrainFileCase, BenchCase, CaseFile, CaseKind, CaseOfKind, TimingPolicy, MatmulCase, LstmInferCase, LstmTrainCase, QmatvecCase, TransformerTrainCase } from './cases/train-cases.js';
export { caseData, lstmData, matmulData, qmatvecData, transformerData } from './cases/case-data.js';
export type { CaseData, DataOfCase, LstmData, MatmulData, QmatvecData, TransformerData } from './cases/case-data.js';
export { loadQuantCases, QUANT_CASES_PATH } from './cases/quant-cases.js';
export { loadSuiteCases, SUITE_CASES_PATH, SUITE_CASE_KINDS } from './cases/suite-cases.js';
export type {
  SuiteCase, ElementwiseCase, ReduceCase, LayerGradCase, QatStepCase, QatRunCase, PackedInferCase, QuantizerSpec,
} from './cases/suite-cases.js';
export { blockQuantize, dequantize, type BlockQuantized } from './quant/block-quantize.js';
export { glorot, labels, lcg32Next, lcg32Uniforms, uniformSym } from './cases/rng.js';
export { runBench, type RunPlan } from './run/run-bench.js';
export { probeMachine, type MachineLimits, type MachineProbeResult } from './machine/machine-probe.js';
export { nibbleTarget, peerTarget, unlessSoftwareAdapter, NIBBLE_BACKEND_IDS, PEER_IDS, type NibbleBackendId, type PeerId } from './targets/registry.js';
export type { BenchResult, RowResult, TargetInfo } from './report/bench-result.js';
export { BenchError, BenchUsageError, BenchCaseFileError } from './errors.js';
