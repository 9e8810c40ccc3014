/**
 * The GPU report as a markdown table: one row per runtime, model, step count, capture setting and stage,
 * with the nearest-rank p50 and p90 of its samples in seconds (the app's Benchmark action's percentiles).
 * Pure: figures in, text out.
 */
import { percentile } from '../../src/app/benchmark-stats.js';
import type { StageTimings } from '../../src/pipeline/index.js';

export type Capture = 'on' | 'off';

/** Seconds measured for one stage (or a whole image, or a start), one sample per image or start. */
export interface MeasuredRow {
  runtime: string;
  model: string;
  /** UNet steps per image; undefined where the row is not an image (a stage's session.run). */
  steps?: number;
  capture: Capture;
  stage: string;
  seconds: number[];
}

/** A row that could not be measured, with the reason (ORT's own words where ORT refused). */
export interface RefusedRow {
  runtime: string;
  model: string;
  steps?: number;
  capture: Capture;
  stage: string;
  refused: string;
}

export type ReportRow = MeasuredRow | RefusedRow;

export interface GpuReport {
  rows: ReportRow[];
  /** Lines printed under the table: what was skipped and why, where time ran out. */
  notes: string[];
  /** 'NVIDIA H100 80GB HBM3 (nvidia-smi)', the WebGPU adapter's info, or both. */
  gpu: string;
}

export const TABLE_COLUMNS = ['runtime', 'model', 'steps', 'capture', 'stage', 'p50 s', 'p90 s', 'n'];

/** The stages of one image as rows: the pipeline's own timings, UNet steps summed. */
export function imageRows(
  base: Omit<MeasuredRow, 'stage' | 'seconds'>,
  timings: readonly StageTimings[],
): MeasuredRow[] {
  const row = (stage: string, ms: (t: StageTimings) => number): MeasuredRow => ({
    ...base,
    stage,
    seconds: timings.map((t) => ms(t) / 1000),
  });
  return [
    row('image', (t) => t.totalMs),
    row('text encoder', (t) => t.textEncoderMs),
    row('unet (all steps)', (t) => t.unetMs.reduce((sum, ms) => sum + ms, 0)),
    row('vae decoder', (t) => t.vaeMs),
    row('other (tokenize, pixels, waits)', (t) => t.overheadMs),
  ];
}

function seconds(value: number): string {
  return value < 0.1 ? value.toFixed(4) : value.toFixed(3);
}

/** Pipes would end a markdown cell; a long reason stays on one line. */
function cell(text: string): string {
  return text.replace(/\|/g, '/').replace(/\s+/g, ' ').trim();
}

function cells(row: ReportRow): string[] {
  const head = [row.runtime, row.model, row.steps === undefined ? '-' : String(row.steps), row.capture];
  if ('refused' in row) return [...head, row.stage, `refused: ${cell(row.refused)}`, '-', '0'];
  const p90 = row.seconds.length > 1 ? seconds(percentile(row.seconds, 90)) : '-';
  return [...head, row.stage, seconds(percentile(row.seconds, 50)), p90, String(row.seconds.length)];
}

export function formatGpuTable(report: GpuReport): string {
  const line = (values: readonly string[]) => `| ${values.join(' | ')} |`;
  const measured = report.rows.filter((row) => 'refused' in row || row.seconds.length > 0);
  return [
    line(TABLE_COLUMNS),
    line(TABLE_COLUMNS.map((_, column) => (column >= 5 ? '---:' : '---'))),
    ...measured.map((row) => line(cells(row))),
    '',
    ...report.notes.map((note) => `- ${note}`),
    ...(report.notes.length > 0 ? [''] : []),
    `GPU: ${report.gpu}`,
    '',
  ].join('\n');
}
