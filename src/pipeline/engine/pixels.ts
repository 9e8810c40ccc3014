/**
 * VAE output (NCHW, values in [-1, 1]) to RGBA8: channel c of pixel p is at c*H*W + p.
 * Rounds as floor(0.5 + 255 * clamp(v/2 + 0.5)), the same rule as WGSL's pack4x8unorm on the GPU path.
 */
export function latentsToPixels(image: Float32Array, width: number, height: number): Uint8ClampedArray {
  const plane = width * height;
  if (image.length !== 3 * plane) {
    throw new RangeError(
      `Expected a 3x${height}x${width} image (${3 * plane} values), got ${image.length} values.`,
    );
  }
  const pixels = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const unit = Math.min(1, Math.max(0, image[c * plane + p] * 0.5 + 0.5));
      pixels[p * 4 + c] = Math.floor(0.5 + 255 * unit);
    }
    pixels[p * 4 + 3] = 255;
  }
  return pixels;
}
