/** What the benchmarks share. */

/** The middle sample (the upper one of an even count): robust to a noisy run on a shared machine. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
