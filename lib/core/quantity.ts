// The one Kubernetes quantity grammar (apimachinery's resource.Quantity) for every CPU, memory and
// storage value the platform reads or writes, and its canonical formatting.
import { IConstruct } from 'constructs';
import { configError, PlatformError } from './errors';

/**
 * `<sign><number><suffix>` as k8s.io/apimachinery/pkg/api/resource parses it: a number with an
 * optional fraction (`1`, `1.5`, `.5`, `5.`), then a binary suffix (Ki..Ei), a decimal suffix
 * (n, u, m, k, M, G, T, P, E) or a decimal exponent (`1e3`, `5E-2`).
 */
const QUANTITY = /^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;
const SUFFIX: Record<string, number> = {
  '': 1, 'n': 1e-9, 'u': 1e-6, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15, 'E': 1e18,
  'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60,
};

/** The value of a Kubernetes quantity in base units (cores, bytes), or undefined when it is not one. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY.exec(value);
  if (!m) return undefined;
  const magnitude = Number(m[2]) * (m[4] !== undefined ? 10 ** Number(m[4]) : SUFFIX[m[3] ?? '']);
  return m[1] === '-' ? -magnitude : magnitude;
}

/** Millicores of a CPU quantity (`250m`, `0.5`, `2`); a number is cores. Throws when it is not one. */
export function parseCpu(value: string | number): number {
  const cores = typeof value === 'number' ? value : parseQuantity(String(value).trim());
  if (cores === undefined || !Number.isFinite(cores)) {
    throw new PlatformError(`capacity: CPU quantity ${JSON.stringify(value)} is not a Kubernetes quantity such as "250m" or "1.5"`);
  }
  return round(cores * 1000);
}

/** Bytes of a memory or storage quantity (`128Mi`, `1G`, `512k`, `1e9`); a number is bytes. */
export function parseMemory(value: string | number): number {
  const bytes = typeof value === 'number' ? value : parseQuantity(String(value).trim());
  if (bytes === undefined || !Number.isFinite(bytes)) {
    throw new PlatformError(`capacity: memory quantity ${JSON.stringify(value)} is not a Kubernetes quantity such as "128Mi" or "1G"`);
  }
  return round(bytes);
}

/** Floating-point noise off (`0.1 * 3`), so 300m stays 300. */
function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/**
 * Millicores of a CPU prop, for constructs: a positive quantity with at most millicore precision
 * (Kubernetes would round `0.5m` up to `1m`).
 */
export function cpuMillis(scope: IConstruct | string, field: string, value: string): number {
  const cores = parseQuantity(value);
  const millis = cores === undefined ? undefined : round(cores * 1000);
  if (millis === undefined || millis <= 0 || !Number.isInteger(millis)) {
    throw configError(scope, { field, value, problem: 'is not a CPU quantity', fix: 'use millicores such as "500m" or cores such as "1"' });
  }
  return millis;
}

/** Bytes of a memory or storage prop, for constructs: a positive whole number of bytes. */
export function memoryBytes(scope: IConstruct | string, field: string, value: string): number {
  const bytes = parseQuantity(value);
  if (bytes === undefined || bytes <= 0 || !Number.isInteger(round(bytes))) {
    throw configError(scope, { field, value, problem: 'is not a positive Kubernetes byte quantity', fix: 'use a quantity such as "512Mi" or "2Gi"' });
  }
  return round(bytes);
}

/** Kubernetes' canonical CPU form: whole cores as `2`, anything else in millicores (`1500m`). */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${Math.round(millis)}m`;
}

/** Exact bytes in the largest binary unit that divides them (`512Mi`, `3Gi`), else plain bytes. */
export function formatMemory(bytes: number): string {
  for (const unit of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    if (bytes !== 0 && bytes % SUFFIX[unit] === 0) return `${bytes / SUFFIX[unit]}${unit}`;
  }
  return String(Math.round(bytes));
}

/** Bytes rounded for a human reader (`1.25Gi`, `812.5Mi`), for reports, never for objects. */
export function formatMemoryApprox(bytes: number): string {
  return bytes >= 2 ** 30 ? `${Number((bytes / 2 ** 30).toFixed(2))}Gi` : `${Number((bytes / 2 ** 20).toFixed(1))}Mi`;
}
