export { powerOfTwo, PowerOfTwoQuantizer, parsePowerOfTwoConfig, powerOfTwoScale, type PowerOfTwoConfig } from './round-to-power-of-two.js';
