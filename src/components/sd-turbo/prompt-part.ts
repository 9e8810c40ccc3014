/**
 * The element's side of the prompt bar: what typing, Generate, Enter and Esc do, and why Generate does
 * nothing while the model still has to be downloaded.
 */
import { html, type TemplateResult } from 'lit';
import { isLocalModelId, sizePresets, type TokenCount } from '../../pipeline/index.js';
import type { Phase } from '../controllers/model-settings.js';
import { parseSeed, randomSeed } from '../input-checks.js';
import type { PromptBarActions } from '../parts/prompt-bar.js';
import { NEEDS_DOWNLOAD, type ElementHost } from './element-host.js';

/** The generated random-weight models: offered in the picker only with `test-models`. */
const isTestModel = (modelId: string): boolean => modelId.startsWith('tiny-');

export class PromptPart {
  private readonly actions: PromptBarActions = {
    promptInput: (prompt) => {
      this.el.prompt = prompt;
      if (prompt.trim()) this.promptError = undefined;
    },
    // A second click, of a double click or for another image, never stops the image the first one started:
    // Cancel is a button of its own, on the busy image.
    generateClick: (event) => {
      if (event.detail > 1 || this.el.busy) return;
      this.startGenerating();
    },
    seedInput: (text) => (this.el.seedText = text),
    seedChange: (text) => {
      this.el.seedText = text;
      this.el.seed = parseSeed(text) ?? null;
    },
    // A seed to see and reuse, in the box: works before any model is stored.
    randomSeed: () => {
      const seed = randomSeed();
      this.el.seedText = String(seed);
      this.el.seed = seed;
    },
    stepsChange: (steps) => (this.el.steps = steps),
    countChange: (count) => (this.el.count = count),
    sizeChange: ({ width, height }) => Object.assign(this.el, { width, height }),
    modelChange: (modelId) => (this.el.model = modelId),
    realtimeChange: (on) => (this.el.realtime = on),
    // WebNN is asked about only now (or with provider="webnn"): it creates an MLContext where it exists.
    settingsOpened: () => this.el.models.webnn.status ?? this.el.models.probeWebNn().catch(() => undefined),
  };

  /** Set when Generate was pressed with an empty prompt; typing one clears it. */
  private promptError?: string;

  constructor(private readonly el: ElementHost) {
    el.addEventListener('keydown', (event) => this.onKeydown(event));
  }

  /** Enter in the prompt generates; Esc anywhere in the element cancels the image being made. */
  private onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Escape' && this.el.busy) {
      event.preventDefault();
      this.el.cancel();
      return;
    }
    const inPrompt = event.composedPath().some((target) => (target as Element).id === 'prompt');
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || !inPrompt) return;
    event.preventDefault();
    if (!this.el.busy) this.startGenerating();
  }

  private startGenerating(): void {
    const el = this.el;
    if (NEEDS_DOWNLOAD.includes(el.models.phase)) {
      this.pointAtFirstRun();
      return;
    }
    if (!el.prompt.trim()) {
      // The grey placeholder is only an example: an image from no prompt would look like one from it.
      this.promptError =
        'Write a prompt first: describe the image you want (the grey text is only an example).';
      el.requestUpdate();
      el.feedback.notify(this.promptError);
      el.renderRoot.querySelector<HTMLElement>('#prompt')?.focus();
      return;
    }
    if (Object.values(el.inputProblems).some(Boolean)) {
      el.feedback.notify('Fix the setting marked in red first.');
      el.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    el.generate().catch(() => undefined);
  }

  /**
   * Shows the first-run panel and says why nothing happened. Focus stays where it is: moved to the
   * Download button, the next keystroke would start a download of gigabytes nobody agreed to.
   */
  private pointAtFirstRun(): void {
    const el = this.el;
    const reasons: Partial<Record<Phase, string>> = {
      starting: 'Still checking this device and the stored models…',
      unsupported: 'This device cannot run the model; the panel says why.',
      // Your own files, no longer stored: the panel offers to choose them again.
      ...(isLocalModelId(el.modelId ?? '') && { 'first-run': "Choose the model's files again first." }),
    };
    el.feedback.notify(
      reasons[el.models.phase] ?? 'Download the model first: the panel says what it is and how big.',
    );
    el.renderRoot.querySelector('[part~="first-run"]')?.scrollIntoView({ block: 'nearest' });
  }

  /** The prompt bar, with `settingsPanel` in its Settings drawer. */
  render(tokens: TokenCount | undefined, settingsPanel: TemplateResult): TemplateResult {
    const el = this.el;
    const problems = el.inputProblems;
    const phase = el.models.phase;
    const model = el.models.model;
    const models = (el.models.manifest?.models ?? []).filter(
      (model) => el.testModels || !isTestModel(model.id) || model.id === el.modelId,
    );
    return html`<sd-prompt-bar
      .actions=${this.actions}
      .prompt=${el.prompt}
      .promptError=${el.prompt.trim() ? undefined : this.promptError}
      .tokens=${tokens}
      .busy=${el.busy}
      .generateDisabled=${phase === 'starting' || phase === 'downloading'}
      .seedText=${el.seedText}
      .seedError=${problems.seed}
      .steps=${el.steps}
      .stepsError=${problems.steps}
      .count=${el.count}
      .countError=${problems.count}
      .sizePresets=${model ? sizePresets(model) : []}
      .size=${
        model && {
          width: el.getAttribute('width') ?? String(el.width ?? model.image.width),
          height: el.getAttribute('height') ?? String(el.height ?? model.image.height),
        }
      }
      .sizeError=${problems.size}
      .models=${models}
      .modelId=${el.modelId}
      .realtime=${el.realtime}
      .settingsPanel=${settingsPanel}
      .settingsError=${problems.provider}
    ></sd-prompt-bar>`;
  }
}
