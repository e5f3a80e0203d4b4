import type { Module } from '@nibble/layers';

/**
 * Modules whose forward pass `loadQuantized` replaced with a packed one. Such a forward no longer reads its weight
 * through the weight-transform hook, so a second load or a QAT plan on the same weight would be silently ignored;
 * both refuse instead.
 */
export const modulesWithPackedForward = new WeakSet<Module>();
