/** Small readers for untrusted JSON: a wrong type yields undefined, never a throw. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}
export function arr(v: unknown): Json[] {
  return Array.isArray(v) ? (v as Json[]) : [];
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
export function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
export function strs(v: unknown): string[] {
  return arr(v).map(str).filter((s): s is string => s !== undefined);
}
