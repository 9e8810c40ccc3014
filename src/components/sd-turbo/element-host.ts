/**
 * The element as its render parts see it: the public face (sd-turbo-api.ts) plus the controllers it is
 * made of. The parts read and set the element through this, never through each other.
 */
import type { ReactiveControllerHost } from 'lit';
import type { ModelController } from '../controllers/model-controller.js';
import type { Phase } from '../controllers/model-settings.js';
import type { FeedbackController } from '../controllers/feedback-controller.js';
import type { GeneratorController } from '../controllers/generator-controller.js';
import type { InputProblems } from '../input-checks.js';
import type { SdTurboElement } from '../sd-turbo-api.js';

export interface ElementHost extends SdTurboElement, ReactiveControllerHost {
  readonly renderRoot: HTMLElement | DocumentFragment;
  /** The seed as given or typed; kept when it is not a seed, so the control shows it with its error. */
  seedText: string;
  /** Why the current seed, steps, strength or provider cannot be used, per control; empty when all can. */
  readonly inputProblems: InputProblems;
  readonly models: ModelController;
  readonly generator: GeneratorController;
  readonly feedback: FeedbackController;
}

/** Phases in which a model must be downloaded first: Generate and Enter only point at the panel then. */
export const NEEDS_DOWNLOAD: readonly Phase[] = ['starting', 'unsupported', 'first-run', 'paused'];
