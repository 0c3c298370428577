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
  byRank?: Record<string, string>;
  source: Source;
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
  /** Only per-tensor encodings are allowed. */
  perTensorOnly?: boolean;
  /** The required per-channel axis for weights. */
  axis?: number;
  /** Output must share input 0's quantization (math-invariant op). */
  mathInvariant?: boolean;
  /** Fixed output encodings by dtype. */
  fixed?: Partial<Record<QuantDType, { scale: number; zeroPoint: number }>>;
  /** The port repeats for all further ports (variadic inputs, e.g. Concat). */
  variadic?: boolean;
}

export interface OpConstraint {
  qnnOp: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
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
}
