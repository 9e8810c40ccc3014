/**
 * Peak memory of the browser, read from Linux's /proc by the Node runner: the Chromium processes are the
 * descendants of this Node process (Playwright spawns the browser; Vite runs inside Node itself). With
 * SwiftShader the GPU's "device memory" is ordinary memory of Chromium's GPU process, so it is counted too.
 *
 * RSS summed over processes counts shared pages (libraries, shared memory between renderer and GPU
 * process) once per process, so it overstates. Two cheaper-to-trust figures come beside it: the sum of
 * RssAnon (private heap, wasm memories, SwiftShader's buffers; no library pages), sampled with RSS, and
 * PSS (each shared page split among its sharers) read once at the end of a run, because reading
 * smaps_rollup for Chromium's processes costs about 50 ms of CPU, too much to repeat on a 2-core machine
 * while it is timing images.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface MemoryPeak {
  /** Largest sum of RSS over the Chromium process tree seen in one sample. */
  peakRssBytes: number;
  /** Largest sum of RssAnon (private anonymous memory) seen in one sample. */
  peakAnonBytes: number;
  /** Sum of PSS when the sampler stopped (the run's end, model still loaded). */
  endPssBytes: number;
  /** The RSS sum at the first sample, as the page under test was opened (browser, leftovers of earlier tabs). */
  startRssBytes: number;
  samples: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // The process ended between listing and reading: it simply no longer counts.
    return undefined;
  }
}

/** The `Name: 123 kB` field of a /proc status-like file, in bytes. */
function kilobyteField(text: string | undefined, name: string): number {
  const match = text?.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Every process descended from `rootPid` whose command name mentions Chromium or Chrome. */
export function browserProcesses(rootPid: number = process.pid): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (!stat) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const pid = Number(entry);
    names.set(pid, stat.slice(stat.indexOf('(') + 1, close));
    parents.set(pid, Number(stat.slice(close + 2).split(' ')[1]));
  }
  const isDescendant = (pid: number): boolean => {
    for (let parent = parents.get(pid); parent !== undefined && parent > 1; parent = parents.get(parent)) {
      if (parent === rootPid) return true;
    }
    return false;
  };
  return [...parents.keys()].filter((pid) => isDescendant(pid) && /chrom/i.test(names.get(pid) ?? ''));
}

/** Sums of VmRSS and RssAnon over the processes, from one read of each /proc/<pid>/status. */
export function residentBytes(pids: readonly number[]): { rss: number; anon: number } {
  let rss = 0;
  let anon = 0;
  for (const pid of pids) {
    const status = readText(`/proc/${pid}/status`);
    rss += kilobyteField(status, 'VmRSS');
    anon += kilobyteField(status, 'RssAnon');
  }
  return { rss, anon };
}

export function pssBytes(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + kilobyteField(readText(`/proc/${pid}/smaps_rollup`), 'Pss'), 0);
}

/**
 * CPU time between start() and stop(). The machine is shared (other engineers' tests and benchmarks run
 * beside this one on 2 cores), so a figure is only as good as the CPU the browser could get: this says
 * how much the rest of the machine took meanwhile.
 */
export interface CpuUse {
  wallSeconds: number;
  /** CPU seconds used by the Chromium processes (user + system). */
  browserSeconds: number;
  /** CPU seconds used by this Node process: the runner, the Vite dev server, Playwright's driver. */
  runnerSeconds: number;
  /** CPU seconds used by every other process on the machine. */
  otherSeconds: number;
  cores: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** Busy clock ticks of the whole machine, from the first line of /proc/stat. */
function machineBusyTicks(): number {
  const fields = (readText('/proc/stat') ?? '').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

/** utime + stime of one process in clock ticks, or undefined once it has ended. */
function processTicks(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Samples RSS every `intervalMs`, re-listing the processes once a second (pages and renderers come and go). */
export class MemorySampler {
  private timer?: NodeJS.Timeout;
  private pids: number[] = [];
  private listedAt = 0;
  private peak: MemoryPeak = MemorySampler.empty();
  /** Per process: its CPU ticks when first and last seen in this window. */
  private ticks = new Map<number, { first: number; last: number }>();
  private window = {
    startedAt: 0,
    stoppedAt: 0,
    machineStart: 0,
    machineStop: 0,
    runner: { user: 0, system: 0 } as NodeJS.CpuUsage,
  };

  constructor(private readonly intervalMs = 100) {}

  private static empty(): MemoryPeak {
    return { peakRssBytes: 0, peakAnonBytes: 0, endPssBytes: 0, startRssBytes: 0, samples: 0 };
  }

  start(): void {
    this.stop();
    this.peak = MemorySampler.empty();
    this.ticks.clear();
    this.window = {
      startedAt: performance.now(),
      stoppedAt: 0,
      machineStart: machineBusyTicks(),
      runner: process.cpuUsage(),
      machineStop: 0,
    };
    this.listedAt = 0;
    this.sample();
    this.peak.startRssBytes = this.peak.peakRssBytes;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** Stops sampling (after one last sample and the PSS read) and returns what was seen. */
  stop(): MemoryPeak {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.listedAt = 0;
      this.sample();
      this.window.stoppedAt = performance.now();
      this.window.machineStop = machineBusyTicks();
      this.window.runner = process.cpuUsage(this.window.runner);
      this.peak.endPssBytes = pssBytes(this.pids);
    }
    return { ...this.peak };
  }

  /** CPU use over the last start()..stop() window. */
  cpuUse(): CpuUse {
    let browserTicks = 0;
    for (const { first, last } of this.ticks.values()) browserTicks += last - first;
    const machineTicks = this.window.machineStop - this.window.machineStart;
    const runnerSeconds = (this.window.runner.user + this.window.runner.system) / 1e6;
    return {
      wallSeconds: (this.window.stoppedAt - this.window.startedAt) / 1000,
      browserSeconds: browserTicks / CLOCK_TICKS_PER_SECOND,
      runnerSeconds,
      otherSeconds: Math.max(0, (machineTicks - browserTicks) / CLOCK_TICKS_PER_SECOND - runnerSeconds),
      cores: cpus().length,
    };
  }

  private sample(): void {
    const now = Date.now();
    if (now - this.listedAt >= 1000) {
      this.pids = browserProcesses();
      this.listedAt = now;
    }
    for (const pid of this.pids) {
      const ticks = processTicks(pid);
      if (ticks === undefined) continue;
      const seen = this.ticks.get(pid);
      // A process first seen mid-window (a new renderer) counts from its birth: its ticks so far are this window's.
      if (seen) seen.last = ticks;
      else this.ticks.set(pid, { first: this.peak.samples === 0 ? ticks : 0, last: ticks });
    }
    const { rss, anon } = residentBytes(this.pids);
    this.peak.peakRssBytes = Math.max(this.peak.peakRssBytes, rss);
    this.peak.peakAnonBytes = Math.max(this.peak.peakAnonBytes, anon);
    this.peak.samples++;
  }
}

/** Which of Chromium's processes a pid is, from the `--type=` switch on its command line. */
export type ChromiumProcessKind = 'browser' | 'renderer' | 'gpu-process' | 'other';

export function processKind(pid: number): ChromiumProcessKind {
  const type = /--type=([\w-]+)/.exec(readText(`/proc/${pid}/cmdline`)?.replaceAll('\0', ' ') ?? '')?.[1];
  if (type === undefined) return 'browser';
  return type === 'renderer' || type === 'gpu-process' ? type : 'other';
}

export type KindPeaks = Record<ChromiumProcessKind, number>;

/**
 * Peak RSS per kind of Chromium process, kept apart for each phase of a run (named by the caller as it
 * goes): the renderer holds the page, its Workers and their wasm heaps; with SwiftShader the GPU
 * process holds every GPU buffer. Each peak is the largest sum over the processes of that kind in one
 * sample.
 */
export class PeakMemoryByKind {
  private timer?: NodeJS.Timeout;
  private phase = 'start';
  private readonly peaks = new Map<string, KindPeaks>();

  /** `onSample`, if given, sees every sample's sums as taken (a --trace records them). */
  constructor(
    private readonly intervalMs = 100,
    private readonly onSample?: (sums: KindPeaks, phase: string) => void,
  ) {}

  /** The phase later samples count towards. */
  get currentPhase(): string {
    return this.phase;
  }

  start(phase: string): void {
    this.phase = phase;
    this.sample();
    this.timer ??= setInterval(() => this.sample(), this.intervalMs);
  }

  /** Later samples count towards `phase`. */
  enter(phase: string): void {
    this.sample();
    this.phase = phase;
    this.sample();
  }

  stop(): Map<string, KindPeaks> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return new Map(this.peaks);
  }

  private sample(): void {
    const sums: KindPeaks = { browser: 0, renderer: 0, 'gpu-process': 0, other: 0 };
    for (const pid of browserProcesses()) sums[processKind(pid)] += residentBytes([pid]).rss;
    this.onSample?.(sums, this.phase);
    const peak = this.peaks.get(this.phase) ?? { browser: 0, renderer: 0, 'gpu-process': 0, other: 0 };
    for (const kind of Object.keys(sums) as ChromiumProcessKind[])
      peak[kind] = Math.max(peak[kind], sums[kind]);
    this.peaks.set(this.phase, peak);
  }
}

/** CPU milliseconds of the page's renderer processes (where ORT's worker runs) and of the GPU process. */
export interface ProcessCpuMs {
  rendererMs: number;
  gpuProcessMs: number;
}

/** The CPU used between one mark and the next, under the first mark's label. */
export interface CpuSegment extends ProcessCpuMs {
  label: string;
}

/**
 * CPU times (utime + stime, /proc/<pid>/stat) of Chromium's renderer and GPU processes, read on demand
 * under a label: the bench page's worker asks for a mark at each boundary it wants split, and waits.
 * Clock ticks are 10 ms, so a figure is good to about 10 ms per segment (averaging several images helps).
 */
export class CpuMarks {
  private readonly marks: ({ label: string } & ProcessCpuMs)[] = [];

  mark(label: string): void {
    const now: ProcessCpuMs = { rendererMs: 0, gpuProcessMs: 0 };
    for (const pid of browserProcesses()) {
      const kind = processKind(pid);
      const ms = ((processTicks(pid) ?? 0) * 1000) / CLOCK_TICKS_PER_SECOND;
      if (kind === 'renderer') now.rendererMs += ms;
      else if (kind === 'gpu-process') now.gpuProcessMs += ms;
    }
    this.marks.push({ label, ...now });
  }

  /** Every mark but `endLabel` opens a segment that the next mark closes. */
  segments(endLabel: string): CpuSegment[] {
    return this.marks.flatMap((mark, index) => {
      const next = this.marks[index + 1];
      if (mark.label === endLabel || !next) return [];
      return [
        {
          label: mark.label,
          rendererMs: next.rendererMs - mark.rendererMs,
          gpuProcessMs: next.gpuProcessMs - mark.gpuProcessMs,
        },
      ];
    });
  }
}
