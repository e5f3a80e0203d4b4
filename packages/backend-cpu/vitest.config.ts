import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// --expose-gc lets the leak-detector test force a collection.
export default mergeConfig(sharedConfig, { test: { execArgv: ['--expose-gc'] } });
