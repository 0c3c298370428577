/**
 * A seeded PRNG (mulberry32) for sample weights and inputs. Only integer ops and one division,
 * so the same seed gives the same bits on every platform; no Math.sin/log, whose last bits
 * are allowed to vary between engines.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `n` float32 values uniform in [lo, hi). */
  floats(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  /**
   * `n` float32 values with mean 0 and standard deviation `std`: the sum of four uniforms,
   * close enough to a normal for activations with realistic tails.
   */
  bell(n: number, std: number): Float32Array {
    const out = new Float32Array(n);
    // Var of a sum of 4 U(-0.5, 0.5) is 4/12, so scale by sqrt(3).
    const k = std * Math.sqrt(3);
    for (let i = 0; i < n; i++) out[i] = k * (this.next() + this.next() + this.next() + this.next() - 2);
    return out;
  }
}
