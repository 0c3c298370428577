/** Every validator rule, in the order findings are listed. */
import { lpbqArchRule, sixteenBitArchRule } from './arch-gates';
import { biasRule } from './bias';
import type { Rule } from './context';
import { dtypeRule } from './dtype';
import { encodingRule } from './encoding';
import { fixedQparamsRule } from './fixed-qparams';
import { perChannelRule } from './per-channel';
import { sharedQparamsRule } from './shared-qparams';
import { symmetricRule } from './symmetric';
import { unsupportedOp } from './unsupported-op';
import { unreadableEncodingRule } from './unreadable-encoding';

export const RULES: readonly Rule[] = [
  unsupportedOp, encodingRule, dtypeRule, symmetricRule, biasRule, perChannelRule, sharedQparamsRule, fixedQparamsRule, sixteenBitArchRule, lpbqArchRule, unreadableEncodingRule,
];
