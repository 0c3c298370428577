/** Every validator rule, in the order findings are listed. */
import { lpbqArchRule, ortBlockQuantRule, sixteenBitArchRule } from './arch-gates';
import { biasRule } from './bias';
import type { GraphRule, Rule } from './context';
import { dynamicShapeRule } from './dynamic-shape';
import { floatIslandRule, ortFloatWeightRule } from './float-island';
import { ortHalfScalesRule } from './half-scales';
import { ioDtypeRule } from './io-dtype';
import { matmulNBitsRule } from './matmul-nbits';
import { opLimitsRule } from './op-limits';
import { ortNodeUnitRule } from './ort-node-unit';
import { dtypeRule } from './dtype';
import { encodingRule } from './encoding';
import { fixedQparamsRule } from './fixed-qparams';
import { perChannelRule } from './per-channel';
import { precompiledContextRule } from './precompiled-context';
import { sharedQparamsRule } from './shared-qparams';
import { symmetricRule } from './symmetric';
import { unsupportedOp } from './unsupported-op';
import { unreadableEncodingRule } from './unreadable-encoding';

export const RULES: readonly Rule[] = [
  unsupportedOp,
  opLimitsRule,
  encodingRule,
  dtypeRule,
  symmetricRule,
  biasRule,
  perChannelRule,
  sharedQparamsRule,
  fixedQparamsRule,
  ioDtypeRule,
  sixteenBitArchRule,
  lpbqArchRule,
  ortBlockQuantRule,
  ortFloatWeightRule,
  ortNodeUnitRule,
  matmulNBitsRule,
  unreadableEncodingRule,
];

/** Rules over the whole graph, run after the node rules. */
export const GRAPH_RULES: readonly GraphRule[] = [
  precompiledContextRule,
  dynamicShapeRule,
  ortHalfScalesRule,
  floatIslandRule,
];
