/**
 * Real-time mode from the element's side: every change of prompt, seed, steps or source image asks the
 * real-time controller for an image (the newest edit wins), and the rate is shown under the image.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { isAbortError } from '../../pipeline/index.js';
import { RealtimeController } from '../controllers/realtime-controller.js';
import { emitEvent } from '../events.js';
import { formatMilliseconds } from '../format.js';
import { toImageDetail } from '../image-detail.js';
import { randomSeed } from '../input-checks.js';
import { NEEDS_DOWNLOAD, type ElementHost } from './element-host.js';

/** The settings whose change makes a new image in real-time mode. */
const REALTIME_INPUTS = [
  'prompt',
  'seed',
  'steps',
  'realtime',
  'sourceImage',
  'strength',
  'width',
  'height',
] as const;

export class RealtimePart {
  private readonly runs: RealtimeController;
  /** With no seed set, real-time images share one random seed, so an edit changes only what it says. */
  private readonly seed = randomSeed();

  constructor(private readonly el: ElementHost) {
    this.runs = new RealtimeController(el, {
      client: async () => {
        // Real-time images are not cancelled one by one (the newest edit simply waits), so no signal.
        await el.models.ensureLoaded(new AbortController().signal);
        return el.models.client!;
      },
      image: (result) => {
        const image = toImageDetail(result);
        el.generator.add(image);
        emitEvent(el, 'sd-image', image);
      },
      error: (error) => {
        if (!isAbortError(error)) el.feedback.report(error);
      },
    });
  }

  /** Whether a real-time image is being made or waits. */
  get busy(): boolean {
    return this.runs.busy;
  }

  /** After each update of the element: stops with real-time mode, or asks for an image for the edit. */
  updated(changed: ReadonlyMap<PropertyKey, unknown>): void {
    if (!this.el.realtime) {
      if (changed.has('realtime')) this.runs.stop();
      return;
    }
    if (REALTIME_INPUTS.some((name) => changed.has(name))) this.request();
  }

  /** Silently skips what Generate would refuse: a half-typed seed is not worth an error per keystroke. */
  private request(): void {
    const el = this.el;
    const phase = el.models.phase;
    const modelReady = !NEEDS_DOWNLOAD.includes(phase) && phase !== 'downloading';
    if (!modelReady || !el.prompt.trim() || Object.values(el.inputProblems).some(Boolean)) return;
    const sourceImage = el.canUseSourceImage ? el.sourceImage : undefined;
    this.runs.request({
      prompt: el.prompt,
      seed: el.seed ?? this.seed,
      steps: el.steps,
      ...(sourceImage ? { sourceImage, strength: el.strength } : {}),
      // Checked with the other inputs above; null: the model's own.
      width: el.width ?? undefined,
      height: el.height ?? undefined,
    });
  }

  render(): TemplateResult | typeof nothing {
    if (!this.el.realtime) return nothing;
    const { imagesPerSecond, lastLatencyMs } = this.runs;
    return html`<p class="hint" part="realtime-stats">
      Real time: ${imagesPerSecond.toFixed(1)} images/s · last edit to image
      ${lastLatencyMs === undefined ? '–' : formatMilliseconds(lastLatencyMs)}
    </p>`;
  }
}
