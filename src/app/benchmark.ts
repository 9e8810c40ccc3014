/**
 * The benchmark page's action: N images after W warm-ups through the element's public generate(), then
 * median, p90 and min seconds per image with the per-stage breakdown.
 */
import type { SdImageDetail, SdTurboElement } from '../components/index.js';
import { plural } from '../components/input-checks.js';
import { summarize, type Summary } from './benchmark-stats.js';

type Stage = { label: string; ms: (timings: SdImageDetail['timings']) => number };

const STAGES: Stage[] = [
  { label: 'Total (seconds per image)', ms: (t) => t.totalMs },
  { label: 'Tokenizer', ms: (t) => t.tokenizeMs },
  { label: 'Text encoder', ms: (t) => t.textEncoderMs },
  { label: 'UNet (all steps)', ms: (t) => t.unetMs.reduce((sum, ms) => sum + ms, 0) },
  { label: 'VAE decoder', ms: (t) => t.vaeMs },
  { label: 'Pixels', ms: (t) => t.pixelsMs },
  { label: 'Pipeline overhead', ms: (t) => t.overheadMs },
];

export interface BenchmarkRow {
  stage: string;
  /** Seconds. */
  summary: Summary;
}

export interface BenchmarkReport {
  images: number;
  warmups: number;
  steps: number;
  provider: string;
  rows: BenchmarkRow[];
}

export async function runBenchmark(
  element: SdTurboElement,
  images: number,
  warmups: number,
  onStatus: (text: string) => void,
): Promise<BenchmarkReport> {
  const measured: SdImageDetail[] = [];
  for (let i = 0; i < warmups + images; i++) {
    const warmup = i < warmups;
    onStatus(warmup ? `Warm-up ${i + 1} of ${warmups}…` : `Image ${i - warmups + 1} of ${images}…`);
    // Seeds differ per image so caching cannot flatter the figures; they are fixed so runs compare.
    const image = await element.generate({ seed: i + 1 });
    if (!warmup) measured.push(image);
  }
  return {
    images,
    warmups,
    steps: measured[0]?.steps ?? element.steps,
    provider: measured[0]?.provider ?? '',
    rows: STAGES.map(({ label, ms }) => ({
      stage: label,
      summary: summarize(measured.map((image) => ms(image.timings) / 1000)),
    })),
  };
}

function cell(tag: 'td' | 'th', text: string): HTMLTableCellElement {
  const element = document.createElement(tag);
  element.textContent = text;
  if (tag === 'th') element.scope = 'col';
  return element;
}

export function renderReport(report: BenchmarkReport): HTMLTableElement {
  const table = document.createElement('table');
  const caption = table.createCaption();
  caption.textContent = `${plural(report.images, 'image')} after ${plural(report.warmups, 'warm-up')}, ${plural(report.steps, 'step')}, ${report.provider}: seconds`;
  const head = table.createTHead().insertRow();
  for (const title of ['Stage', 'Median', 'p90', 'Min']) head.append(cell('th', title));
  const body = table.createTBody();
  for (const row of report.rows) {
    const tr = body.insertRow();
    const seconds = (value: number) => value.toFixed(3);
    tr.append(
      cell('td', row.stage),
      cell('td', seconds(row.summary.median)),
      cell('td', seconds(row.summary.p90)),
      cell('td', seconds(row.summary.min)),
    );
  }
  return table;
}
