import type { KindPeaks } from '../process-memory.js';

interface TraceSample {
  ms: number;
  phase: string;
  gpuProcess: number;
  renderer: number;
}

interface TraceMark {
  ms: number;
  text: string;
}

const GiB = 2 ** 30;

/**
 * Every memory sample of a bench:load run beside the marks the page logs (phases, stages, session
 * churn), in time order: a short peak that the 100 ms samples catch, but a phase's figure cannot place,
 * falls between two marks.
 */
export class MemoryTrace {
  private readonly started = Date.now();
  private readonly samples: TraceSample[] = [];
  private readonly marks: TraceMark[] = [];

  sample(sums: KindPeaks, phase: string): void {
    this.samples.push({
      ms: Date.now() - this.started,
      phase,
      gpuProcess: sums['gpu-process'],
      renderer: sums.renderer,
    });
  }

  mark(text: string): void {
    this.marks.push({ ms: Date.now() - this.started, text });
  }

  /** Tab-separated: seconds since start, then a mark or a sample's phase and its GiB (GPU process, renderer). */
  text(): string {
    const rows = [
      ...this.samples.map((s) => ({
        ms: s.ms,
        line: `${seconds(s.ms)}\tsample\t${s.phase}\t${gib(s.gpuProcess)}\t${gib(s.renderer)}`,
      })),
      ...this.marks.map((m) => ({ ms: m.ms, line: `${seconds(m.ms)}\tmark\t${m.text}` })),
    ].sort((a, b) => a.ms - b.ms);
    return `seconds\tkind\tphase or mark\tgpu-process GiB\trenderer GiB\n${rows.map((r) => r.line).join('\n')}\n`;
  }

  /** For each phase: when its GPU-process peak was sampled, and the marks just before and after it. */
  peakPlaces(): string {
    const phases = [...new Set(this.samples.map((s) => s.phase))];
    const lines = phases.map((phase) => {
      const peak = this.samples
        .filter((s) => s.phase === phase)
        .reduce((best, s) => (s.gpuProcess > best.gpuProcess ? s : best));
      const before = this.marks.filter((m) => m.ms <= peak.ms).at(-1);
      const after = this.marks.find((m) => m.ms > peak.ms);
      const place = (mark: TraceMark | undefined) =>
        mark ? `"${mark.text}" at ${seconds(mark.ms)} s` : 'none';
      return `    ${phase.padEnd(10)} ${gib(peak.gpuProcess)} GiB at ${seconds(peak.ms)} s, after ${place(before)}, before ${place(after)}`;
    });
    return `  GPU-process peak by phase (trace)\n${lines.join('\n')}\n`;
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const gib = (bytes: number) => (bytes / GiB).toFixed(3);
