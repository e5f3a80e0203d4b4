export { CpuBackend, type CpuBackendOptions, cpu, cpuFactory } from './backend.ts';
