/**
 * Quantization configs as the upstream QNN quantizer defines them (pytorch/executorch backends/qualcomm/quantizer/qconfig.py):
 * activation and weight dtypes, ranges and symmetry per config name.
 */
import type { QuantDType } from '../encoding/encoding';
import type { RulePack } from '../../../rules/types';
import { floatLeavesNpu } from '../check/rules/context';

export const CONFIG_NAMES = ['8a8w', '8a4w', '16a8w', '16a16w', '16a4w', '16a4w_block', '16a2w', 'fp16a8w'] as const;
export type ConfigName = (typeof CONFIG_NAMES)[number];

export interface WeightSpec {
  dtype: QuantDType;
  /** Bits actually used (4 and 2 live in an 8-bit container). */
  bitwidth: number;
  /** Symmetric signed range, e.g. [-127, 127] for int8 (upstream never uses -128). */
  qmin: number;
  qmax: number;
}

export interface QuantConfig {
  name: ConfigName;
  /** Activation dtype; null keeps activations in float (fp16a8w). */
  act: 'uint8' | 'uint16' | null;
  weight: WeightSpec;
  /** 16-bit weights used for MatMul's second input and LayerNorm's gamma when activations are 16-bit. */
  weight16: WeightSpec;
  /** Weights block-wise (LPBQ) on Conv and FullyConnected. */
  block: boolean;
  /** Minimum scale: upstream's eps (1e-4 / qrange). */
  eps: number;
}

export interface QuantOptions {
  config: ConfigName;
  /** Per-channel weights for Conv (and ConvTranspose). Default true, as most QNN flows do. */
  perChannelConv: boolean;
  /** Per-channel weights for Gemm/linear; HTP FullyConnected keeps them per tensor (see rules). */
  perChannelLinear: boolean;
  /** Per-channel embedding tables (Gather of a constant), as upstream's is_embedding_per_channel. */
  perChannelEmbedding?: boolean;
  /** Symmetric activations (zero point at the midpoint, e.g. 128). */
  actSymmetric: boolean;
  /** LPBQ block size along input channels (16a4w_block). */
  blockSize: number;
}

export const DEFAULT_OPTIONS: QuantOptions = {
  config: '8a8w',
  perChannelConv: true,
  perChannelLinear: false,
  actSymmetric: false,
  blockSize: 32,
};

/** Calibration when nobody says otherwise: 16 random samples from a fixed seed, min/max ranges. */
export const DEFAULT_CALIBRATION = { samples: 16, seed: 1234, observer: 'minmax' } as const;
/** Most random calibration samples one run makes (the Samples field and --calib stop there). */
export const MAX_CALIBRATION_SAMPLES = 4096;

const w = (dtype: QuantDType, bitwidth: number, qmin: number, qmax: number): WeightSpec => ({
  dtype,
  bitwidth,
  qmin,
  qmax,
});
const INT8 = w('int8', 8, -127, 127);
const INT4 = w('int8', 4, -7, 7);
const INT2 = w('int8', 2, -2, 1);
const INT16 = w('int16', 16, -32767, 32767);

export const CONFIGS: Record<ConfigName, QuantConfig> = {
  '8a8w': { name: '8a8w', act: 'uint8', weight: INT8, weight16: INT8, block: false, eps: 1e-4 / 255 },
  '8a4w': { name: '8a4w', act: 'uint8', weight: INT4, weight16: INT8, block: false, eps: 1e-4 / 255 },
  '16a8w': { name: '16a8w', act: 'uint16', weight: INT8, weight16: INT16, block: false, eps: 1e-4 / 65535 },
  '16a16w': { name: '16a16w', act: 'uint16', weight: INT16, weight16: INT16, block: false, eps: 1e-4 / 65535 },
  '16a4w': { name: '16a4w', act: 'uint16', weight: INT4, weight16: INT16, block: false, eps: 1e-4 / 65535 },
  '16a4w_block': { name: '16a4w_block', act: 'uint16', weight: INT4, weight16: INT16, block: true, eps: 1e-4 / 65535 },
  '16a2w': { name: '16a2w', act: 'uint16', weight: INT2, weight16: INT16, block: false, eps: 1e-4 / 65535 },
  fp16a8w: { name: 'fp16a8w', act: null, weight: INT8, weight16: INT8, block: false, eps: 1e-4 / 255 },
};

export function isConfigName(s: string): s is ConfigName {
  return (CONFIG_NAMES as readonly string[]).includes(s);
}

/** An architecture gate as the SoC picker knows it: the feature, the backend ops, the least arch. */
export interface ConfigGate {
  feature: 'lpbq' | '16a16w';
  ops: readonly string[];
  minArch: number;
}

/** What of a backend decides whether a config runs on one of its SoCs (from its rule pack). */
export interface BackendLimits {
  backend: string;
  gates: readonly ConfigGate[];
  /** HTP archs below this have no FP16: float ops leave the NPU there (V68). */
  noFp16BelowArch?: number;
  /** The backend runs quantized ops only (LPAI): float ops leave the NPU. */
  quantizedOnly?: boolean;
}

/**
 * Why the SoC refuses a config, ahead of a run, or undefined when it takes it: a short `label` for
 * a menu and the `text` that says what happens and what to use instead.
 * - a config whose weights meet one of the pack's gates on an older SoC (16a16w: 16-bit weights
 *   beside 16-bit activations, HTP V73+; 16a4w_block: block-wise weights, V69+): those ops' nodes
 *   get the gate's errors;
 * - fp16a8w (float activations) where float ops leave the NPU: an HTP without FP16 (V68), or a
 *   backend that runs quantized ops only (LPAI): its every node does.
 * The quantizer still runs; this says what its check will then find.
 */
export function configArchNote(
  config: ConfigName,
  limits: BackendLimits,
  soc: { model: string; htpArch: number },
): { label: string; text: string } | undefined {
  const c = CONFIGS[config];
  if (c.act === null) {
    // The validator's own test (float-island): float ops leave the NPU here.
    if (!floatLeavesNpu(limits, soc)) return undefined;
    const on = `${config} on ${soc.model}`;
    return limits.quantizedOnly
      ? {
          label: `${limits.backend.toUpperCase()} runs quantized ops only`,
          text: `${on}: its activations stay float, and ${limits.backend.toUpperCase()} runs quantized ops only, so every node leaves the NPU. Use a config with integer activations (8a8w, 16a8w).`,
        }
      : {
          label: `no FP16 on V${soc.htpArch}`,
          text: `${on} (V${soc.htpArch}): its activations stay float, which runs in FP16 on the HTP, and V${soc.htpArch} has none, so those nodes leave the NPU. Use a config with integer activations (8a8w, 16a8w).`,
        };
  }
  const feature = c.block ? 'lpbq' : c.act === 'uint16' && c.weight.bitwidth === 16 ? '16a16w' : undefined;
  const gate = feature && refusingGate(limits.gates, feature, soc);
  if (!gate) return undefined;
  const what = feature === 'lpbq' ? 'block-wise (LPBQ) weights' : '16-bit weights beside 16-bit activations';
  const instead = feature === 'lpbq' ? '16a4w (per-channel 4-bit weights)' : '16a8w';
  return {
    label: `needs V${gate.minArch}+`,
    text: `${config} on ${soc.model} (V${soc.htpArch}): ${what} on ${gate.ops.join(', ')} need HTP V${gate.minArch} or newer, so those nodes will be errors. Use ${instead}, or an SoC with HTP V${gate.minArch} or newer.`,
  };
}

/**
 * The gate of `feature` among `gates` when the SoC's HTP is older than it asks, else undefined: the
 * Config menus' note and the error trace's remedy ask the same question.
 */
export function refusingGate(
  gates: readonly ConfigGate[],
  feature: ConfigGate['feature'],
  soc: { htpArch: number },
): ConfigGate | undefined {
  const gate = gates.find((g) => g.feature === feature);
  return gate && soc.htpArch > 0 && soc.htpArch < gate.minArch ? gate : undefined;
}

/** A rule pack's {@link BackendLimits}: what the SoC picker sends the page (plain data). */
export function backendLimits(pack: RulePack): BackendLimits {
  return {
    backend: pack.backend,
    gates: pack.gates.map(({ feature, ops, minArch }) => ({ feature, ops: [...ops], minArch })),
    ...(pack.noFp16BelowArch !== undefined ? { noFp16BelowArch: pack.noFp16BelowArch } : {}),
    ...(pack.quantizedOnly ? { quantizedOnly: true } : {}),
  };
}
