/**
 * IEEE 754 half-precision conversion for the CPU path of FP16-IO models. Node 20 lacks Float16Array,
 * and ORT hands float16 data back as raw Uint16Array bits, so the bits are converted here.
 */

const scratch = new DataView(new ArrayBuffer(4));

/** Round-to-nearest-even, as hardware converts. */
function roundShiftRight(value: number, shift: number): number {
  const kept = value >>> shift;
  const halfway = 1 << (shift - 1);
  const remainder = value & ((1 << shift) - 1);
  return remainder > halfway || (remainder === halfway && kept & 1) ? kept + 1 : kept;
}

export function float32ToFloat16Bits(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    // Subnormal half: the implicit leading one becomes explicit; a carry may yield the smallest normal.
    return sign | roundShiftRight(mantissa | 0x800000, 14 - halfExponent);
  }
  // A mantissa carry rolls into the exponent, and into infinity at the top, as IEEE rounding requires.
  return sign | ((halfExponent << 10) + roundShiftRight(mantissa, 13));
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function toFloat16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

export function fromFloat16Bits(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i]);
  return out;
}
