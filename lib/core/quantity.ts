import { IConstruct } from 'constructs';
import { configError } from './errors';

/**
 * Just enough Kubernetes quantity arithmetic to derive a namespace's ResourceQuota from the
 * per-build share (`2 builds x 750m`), so the two numbers can never disagree.
 */
const CPU = /^(\d+(?:\.\d{1,3})?)(m?)$/;
const MEMORY = /^(\d+)(Ki|Mi|Gi|Ti)?$/;
const MEMORY_UNITS: Record<string, number> = { '': 1, 'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40 };

/** `'750m'` -> 750, `'1.5'` -> 1500. */
export function cpuMillis(scope: IConstruct | string, field: string, value: string): number {
  const m = CPU.exec(value ?? '');
  if (!m || (m[2] === 'm' && m[1].includes('.'))) {
    throw configError(scope, { field, value, problem: 'is not a CPU quantity', fix: 'use millicores such as "500m" or cores such as "1"' });
  }
  return m[2] === 'm' ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
}

/** `'512Mi'` -> 536870912. Binary suffixes only: they are what the platform writes everywhere. */
export function memoryBytes(scope: IConstruct | string, field: string, value: string): number {
  const m = MEMORY.exec(value ?? '');
  if (!m) {
    throw configError(scope, { field, value, problem: 'is not a memory quantity with a binary suffix', fix: 'use a value such as "512Mi" or "2Gi"' });
  }
  return Number(m[1]) * MEMORY_UNITS[m[2] ?? ''];
}

export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

export function formatMemory(bytes: number): string {
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki']) {
    if (bytes % MEMORY_UNITS[unit] === 0) return `${bytes / MEMORY_UNITS[unit]}${unit}`;
  }
  return String(bytes);
}
