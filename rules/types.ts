/**
 * The rule-pack format: what a backend supports, as data. A pack plays the role of QNN's
 * BackendOpInfo for one backend: its SoCs, how ONNX ops map to backend ops, and per backend op
 * the encodings each port accepts. Every fact carries its source and how sure we are of it.
 * Packs are plain data (JSON-compatible) so users can extend or override them with a JSON file.
 */
import type { QuantDType } from '../src/core/encoding/encoding';

/** How we know a fact: read in documentation, read in code, or inferred from either. */
export type Confidence = 'documented' | 'from-code' | 'inferred';

export interface Source {
  /** Where the fact comes from: a file in a public repository, a doc page, an issue. */
  ref: string;
  confidence: Confidence;
  /** Where sources disagree, or a caveat. */
  note?: string;
}

/**
 * The deployment flows QuantLens predicts for. `qnn`: the QNN converter / QAIRT path, which holds
 * a model to the HTP op constraints; `ort`: ONNX Runtime's QNN execution provider, which repairs
 * some encodings and runs what it cannot take on the CPU; `executorch`: ExecuTorch's QnnQuantizer
 * and QNN partitioner.
 */
export const FLOWS = ['qnn', 'ort', 'executorch'] as const;
export type Flow = (typeof FLOWS)[number];
export const DEFAULT_FLOW: Flow = 'qnn';

export function isFlow(name: string): name is Flow {
  return (FLOWS as readonly string[]).includes(name);
}

/**
 * What happens to a node under a flow: conversion fails (`rejected`), the node runs on the CPU
 * (`cpu-fallback`), the toolchain changes the encoding and the numerics with it (`auto-fixed`),
 * it runs on the NPU with extra work (`slower`), or nothing happens and the finding is advice.
 */
export const OUTCOMES = ['rejected', 'cpu-fallback', 'auto-fixed', 'slower', 'advice'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * What kind of fact a constraint is. Only a backend limit can fail a strict run by itself.
 * - `backend-limit`: QNN rejects it or the HTP cannot run it.
 * - `toolchain-repair`: a limit some flows repair on their own (ONNX Runtime's 16-bit Sigmoid
 *   override, uint16 weights converted to int16, a requantized bias).
 * - `performance`: runs, with extra Convert ops or a slower kernel.
 * - `toolchain-default`: one toolchain's choice that the backend does not require (ExecuTorch's
 *   8-bit Sigmoid 1/256, AIMET's per-tensor Gemm).
 */
export const CONSTRAINT_KINDS = ['backend-limit', 'toolchain-repair', 'performance', 'toolchain-default'] as const;
export type ConstraintKind = (typeof CONSTRAINT_KINDS)[number];

/**
 * What a constraint does under each flow, when it differs from the kind's default: backend limits
 * are rejected under `qnn` and fall back to the CPU under `ort` and `executorch`; repairs are
 * `auto-fixed` in the flows that repair them; performance costs are `slower`; defaults are advice.
 */
export interface ConstraintEffect {
  kind: ConstraintKind;
  /** Flows that repair the violation themselves (for `toolchain-repair`). */
  repairedBy?: Flow[];
  /** Explicit outcomes per flow, overriding the kind's defaults. */
  outcomes?: Partial<Record<Flow, Outcome>>;
  /**
   * The only flows the violation concerns (a repair or a cost of one toolchain); under any other
   * the finding is not reported. Absent: every flow.
   */
  flows?: Flow[];
}

export interface SocInfo {
  /** SoC model as QNN names it, e.g. `SM8650`. */
  model: string;
  /** Marketing name, when known. */
  marketing?: string;
  /** HTP architecture version as a number (68, 69, 73, 75, 79, 81), 0 when the SoC has no HTP. */
  htpArch: number;
  vtcmMB: number;
  /** LPAI hardware version, when the SoC has an LPAI block. */
  lpai?: number;
  chipsetId?: number;
}

/**
 * How one ONNX op maps to a backend op. `qnnOp: null` marks an op the backend cannot run.
 * `byRank` picks the backend op by the rank of input 0 (Conv1d/2d → Conv2d, 3d → Conv3d).
 */
export interface OpMapping {
  onnx: string;
  /** ONNX domain; '' for ai.onnx. */
  domain?: string;
  qnnOp: string | null;
  /** By the rank of input 0; null marks a rank the backend cannot run (rank-5 MaxPool). */
  byRank?: Record<string, string | null>;
  source: Source;
  /** Attribute, rank and constant-input limits of the op on this backend. */
  limits?: OpLimit[];
  /** Why the op cannot run here (for `qnnOp: null`), said in the finding's message. */
  why?: string;
  /** What to do about it, when the general advice (replace the op, or accept the CPU) does not fit. */
  fix?: string;
  /**
   * Flows that rewrite an op the backend lacks into ops it has (ExecuTorch's decomposition
   * passes), so the node still runs on the NPU there. `singleOutput`: only when no second output
   * is used (MaxPool's Indices).
   */
  rewrittenBy?: { flow: Flow; into: string; singleOutput?: boolean; source: Source }[];
}

/** What a port of a backend op accepts. Missing fields mean "no constraint known". */
export interface PortSpec {
  /** What feeds the port: an activation, a weight, or a bias. */
  role: 'activation' | 'weight' | 'bias';
  /** Quantized dtypes the port accepts (with bitwidth for sub-byte weights, e.g. `int8:4`). */
  dtypes?: string[];
  /** Encoding must be symmetric (zero point 0 signed, or the midpoint unsigned). */
  symmetric?: boolean;
  /** Must be symmetric when its dtype is one of these (e.g. an int16 MatMul second input). */
  symmetricDtypes?: string[];
  /** Must be symmetric when its granularity is one of these (per-channel, per-block, LPBQ weights). */
  symmetricGranularities?: string[];
  /** Per-channel and block encodings of this port are not allowed for these dtypes (uint16 weights). */
  perTensorOnlyDtypes?: string[];
  /** Only per-tensor encodings are allowed. */
  perTensorOnly?: boolean;
  /** The required per-channel axis for weights; `out-channel` resolves per ONNX op (Gemm transB, MatMul rank). */
  axis?: number | 'out-channel';
  /** Output must share input 0's quantization (math-invariant op). */
  mathInvariant?: boolean;
  /** Under these flows only, the output must carry input 0's exact quantization (ONNX Runtime's drop-QDQ groups). */
  sameQparamsFlows?: Flow[];
  /** Fixed output encodings by dtype, each with what kind of fact it is. */
  fixed?: Partial<Record<QuantDType, FixedEncoding>>;
  /** Dtypes the port accepts only after a flow converts them (e.g. int8 BatchNorm scale → uint8). */
  convertedDtypes?: { dtypes: string[]; to: string; effect: ConstraintEffect; source: Source };
  /** The port repeats for all further ports (variadic inputs, e.g. Concat). */
  variadic?: boolean;
}

/** A fixed output encoding (Sigmoid, Tanh). */
export interface FixedEncoding {
  scale: number;
  zeroPoint: number;
  effect: ConstraintEffect;
  /** Why this value, when it is one toolchain's choice or a flow repairs it. */
  note?: string;
}

/**
 * A limit on an op's attributes, input ranks, constant inputs or arity, as data. One checker
 * (`op-limits`) reads them. `inputs` of a limit are ONNX input positions.
 */
export type OpLimit = {
  source: Source;
  sdk?: string;
  effect?: ConstraintEffect;
  why?: string;
  /** What to do, when the kind's general advice does not fit. */
  fix?: string;
} &
  /** An attribute's value must be one of `values` (strings or ints); `dflt` when absent. */
  (
    | {
        kind: 'attr-in';
        attr: string;
        values: (string | number)[];
        dflt?: string | number;
        /**
         * The attribute came at ai.onnx `opset`; in a model below it the op has none and behaves as
         * `before` says (RoiAlign before 16: "output_half_pixel").
         */
        since?: { opset: number; before: string | number };
      }
    /**
     * A flow that reads an attribute the op has only from `opset` on as if every model had it:
     * on a node of a model below `opset`, where the op behaves as `before`, it takes the absent
     * attribute for `reads` (its default from `opset` on) and refuses the node when that is not
     * among `values`. Nodes that write the attribute, and models from `opset` on, are the
     * `attr-in` limit's.
     */
    | {
        kind: 'attr-read-as';
        /** Who reads it so, for the message ("ONNX Runtime's QNN EP"). */
        by: string;
        attr: string;
        opset: number;
        before: string | number;
        reads: string | number;
        values: (string | number)[];
      }
    /** Every element of an ints attribute must equal `value` (dilations 1). */
    | { kind: 'attr-all'; attr: string; value: number }
    /** A float or int attribute must equal `value` (Gemm alpha 1). */
    | { kind: 'attr-eq'; attr: string; value: number; dflt?: number }
    /** The rank of input `input` must lie in [min, max] (only when attribute `when.attr` is `when.value`, if given). */
    | { kind: 'rank'; input: number; min?: number; max?: number; when?: { attr: string; value: string } }
    /** The rank of output `output` must lie in [min, max]. */
    | { kind: 'out-rank'; output: number; min?: number; max?: number }
    /** These inputs, when present, must be constants. */
    | { kind: 'const-inputs'; inputs: number[] }
    /** Number of (non-empty) inputs within [min, max]. */
    | { kind: 'input-count'; min?: number; max?: number }
    /** Number of (used) outputs at most `max`. */
    | { kind: 'output-count'; max: number }
    /** The op's `attr` (an axis, default `dflt`) must be the last axis of input 0. */
    | { kind: 'last-axis'; attr: string; dflt: number }
    /** Input 0's channel count (dim 1) must be divisible by attribute `attr` (GroupNorm groups). */
    | { kind: 'channels-divisible'; attr: string }
    /**
     * Unsupported when every listed attribute takes one of its listed values (defaults in `dflt`),
     * and, when `ranks` is given, input 0 has one of those ranks.
     */
    | {
        kind: 'attr-combo';
        forbid: Record<string, (string | number)[]>;
        dflt: Record<string, string | number>;
        ranks?: number[];
      }
    /** Unsupported when attribute `attr` equals `value` and constant input `input` holds `holds`. */
    | { kind: 'attr-with-value'; attr: string; value: number; input: number; holds: number }
    /**
     * When attribute `attr` is `value` (Pad's reflect mode), every pad in constant input `input`
     * (ONNX order: all begins, then all ends) must lie in [0, dim - 1] of input 0's matching dim.
     */
    | { kind: 'pads-within-dims'; attr: string; value: string; input: number }
    /**
     * Constant input `input`, when present, must hold only `values`, where input 0 is an
     * unquantized tensor of one of `dtypes` (float16 Pad pads with 0 only).
     */
    | { kind: 'input-values'; input: number; values: number[]; dtypes: string[] }
    /** Einsum's `equation` must be one the backend lowers (MatMul-shaped; see core/check/rules/einsum.ts). */
    | { kind: 'einsum-equation' }
    /**
     * A Gemm's C, when present, must be [N] or [rows, N] (N: the output columns, from B and
     * transB), and [1, N] when it is quantized.
     */
    | { kind: 'gemm-bias-shape' }
  );

export interface OpConstraint {
  qnnOp: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  source: Source;
  /** What kind of fact the port constraints are; `backend-limit` when absent. */
  effect?: ConstraintEffect;
}

/** A builder a later onnxruntime-qnn version adds for an op (see RulePack.laterOrtBuilders). */
export interface LaterBuilder {
  /** What adds it, in words: "onnxruntime-qnn PR #494 (merged June 2026)", "a later onnxruntime-qnn". */
  since: string;
  /** Whether that builder takes the HTP (`no`: another backend only); unknown when not read. */
  htp: 'yes' | 'no' | 'unknown';
  /** What the builder asks of the node on the HTP, when it asks something. */
  conditions?: string;
  source: Source;
}

/** A feature that only some HTP architectures have. */
export interface ArchGate {
  feature: 'lpbq' | '16a16w';
  /** Backend ops the gate applies to. */
  ops: string[];
  minArch: number;
  source: Source;
  /** An architecture where sources disagree: the check passes there but adds a note. */
  disputedArch?: { arch: number; note: string };
}

export interface RulePack {
  /** Pack format version. */
  schema: 1;
  backend: string;
  title: string;
  socs: SocInfo[];
  defaultSoc: string;
  ops: OpMapping[];
  constraints: Record<string, OpConstraint>;
  gates: ArchGate[];
  /** Ops that pass through the validator without a finding (Q/DQ themselves, Constant, Identity). */
  transparentOps: string[];
  /** What the pack knows it does not know; shown to users. */
  unknowns: string[];
  /**
   * What an op outside the mapping means: `backend-limit` (HTP: the op has no builder) or
   * `toolchain-default` (LPAI: the mapping is only what ExecuTorch annotates; report as advice).
   */
  unmappedOps?: ConstraintKind;
  /**
   * Where the op mapping comes from, when an op outside it may still run (`unmappedOps` other
   * than `backend-limit`): named in the finding, which says the op's support is not known.
   */
  opListFrom?: string;
  /** HTP architectures without FP16 (float ops cannot stay on the NPU there). */
  noFp16BelowArch?: number;
  /** The backend runs quantized ops only: float ops cannot stay on it on any SoC. */
  quantizedOnly?: { source: Source };
  /**
   * Deployment flows that cannot target this backend at all, and why: a check under one of them
   * is refused with these words rather than predicting a delegation that cannot happen.
   */
  flowsWithout?: Partial<Record<Flow, { why: string; source: Source }>>;
  /**
   * Ops ONNX Runtime's QNN EP has no builder for at the commit the pack follows, for which later
   * onnxruntime-qnn versions register one (key: the op, `domain::op` outside ai.onnx): a finding
   * that the node leaves the NPU under ONNX Runtime's flow says which version changes that.
   */
  laterOrtBuilders?: Record<string, LaterBuilder>;
  /** The highest tensor rank any op of the backend takes (the op-limits rule checks every node). */
  maxTensorRank?: { max: number; source: Source };
}
