/**
 * One prompt bar with Generate inside it, the token count and Real time under it, then one Settings
 * drawer whose summary line says the values in use (seed, steps, images, model) and which holds their
 * row and the settings panel (provider, memory, stored models, your own files). A setting in error opens
 * the drawer, so its error is seen next to it. While an image is made Generate stays Generate (a second
 * click does nothing); Cancel is on the busy image, away from where a second click lands.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import type { ModelEntry, SizePreset, TokenCount } from '../../pipeline/index.js';
import { COUNT_CHOICES, MAX_SEED, STEP_CHOICES, plural } from '../input-checks.js';
import { LightElement } from '../light-element.js';
import { modelLabel } from '../model-names.js';
import { sizeField } from './size-field.js';

export interface PromptBarActions {
  promptInput(prompt: string): void;
  generateClick(event: MouseEvent): void;
  /** Each keystroke: the error follows the text at once. */
  seedInput(text: string): void;
  seedChange(text: string): void;
  randomSeed(): void;
  stepsChange(steps: number): void;
  countChange(count: number): void;
  sizeChange(size: { width: number; height: number }): void;
  modelChange(modelId: string): void;
  realtimeChange(on: boolean): void;
  /** The drawer was opened: the time to ask whether WebNN is available (it is not asked before). */
  settingsOpened(): void;
}

/** The fields whose error opens the drawer when it appears. */
const DRAWER_ERRORS = ['seedError', 'stepsError', 'countError', 'sizeError', 'settingsError'] as const;

export class PromptBar extends LightElement {
  @property({ attribute: false }) actions?: PromptBarActions;
  @property({ attribute: false }) prompt = '';
  /** Why Generate did nothing with this prompt (an empty one). */
  @property({ attribute: false }) promptError?: string;
  @property({ attribute: false }) tokens?: TokenCount;
  @property({ attribute: false }) busy = false;
  @property({ attribute: false }) generateDisabled = false;
  /** The seed as typed or given: an invalid one stays visible next to its error. */
  @property({ attribute: false }) seedText = '';
  @property({ attribute: false }) seedError?: string;
  @property({ attribute: false }) steps = 1;
  @property({ attribute: false }) stepsError?: string;
  @property({ attribute: false }) count = 1;
  @property({ attribute: false }) countError?: string;
  /** The model's size presets: the Size control is shown only for a model that has them. */
  @property({ attribute: false }) sizePresets: SizePreset[] = [];
  /** The size as given (the model's own for a side not given), and why it cannot be made. */
  @property({ attribute: false }) size?: { width: string; height: string };
  @property({ attribute: false }) sizeError?: string;
  @property({ attribute: false }) models: ModelEntry[] = [];
  @property({ attribute: false }) modelId?: string;
  @property({ attribute: false }) realtime = false;
  /** The settings panel, rendered by its owner, placed in the drawer; and its error (the provider's). */
  @property({ attribute: false }) settingsPanel: TemplateResult | typeof nothing = nothing;
  @property({ attribute: false }) settingsError?: string;
  /** An error appeared: the drawer is opened once this update is rendered. */
  private openDrawer = false;

  protected override render(): TemplateResult {
    return html`
      <section part="controls" aria-label="Image settings">
        <label for="prompt" class="visually-hidden">Prompt</label>
        <div class="prompt-box ${this.busy ? 'busy' : ''}">
          <textarea
            id="prompt"
            part="prompt"
            rows="2"
            .value=${this.prompt}
            placeholder="Describe an image: a cinematic photo of a lighthouse at dawn"
            aria-invalid=${this.promptError ? 'true' : 'false'}
            aria-describedby=${this.promptError ? 'prompt-error token-count' : 'token-count'}
            enterkeyhint="go"
            @input=${(event: InputEvent) => this.actions?.promptInput((event.target as HTMLTextAreaElement).value)}
          ></textarea>
          <button
            class="primary generate"
            part="generate-button"
            type="button"
            ?disabled=${this.generateDisabled}
            aria-disabled=${this.busy ? 'true' : 'false'}
            @click=${(event: MouseEvent) => this.actions?.generateClick(event)}
          >
            Generate
          </button>
        </div>
        ${this.renderFieldError('prompt-error', this.promptError)}
        <div class="row under-prompt">${this.renderTokenCount()} ${this.renderRealtime()}</div>
        <details
          part="settings"
          @toggle=${(event: Event) => (event.target as HTMLDetailsElement).open && this.actions?.settingsOpened()}
        >
          <summary part="settings-toggle">
            <span>Settings</span> <span class="hint" part="settings-summary">${this.summaryLine()}</span>
          </summary>
          ${this.renderImageOptions()} ${this.renderFieldError('seed-error', this.seedError)}
          ${this.renderFieldError('steps-error', this.stepsError)}
          ${this.renderFieldError('count-error', this.countError)}
          ${this.renderFieldError('size-error', this.sizeError)}
          <p class="hint" id="seed-hint">
            Empty seed: a new random seed each time. Enter generates, Esc cancels, Shift+Enter adds a line.
          </p>
          ${this.settingsPanel}
        </details>
      </section>
    `;
  }

  /** What the next image will be made with, on the drawer's summary line. */
  private summaryLine(): string {
    const seed = this.seedError ? `${this.seedText} (not allowed)` : this.seedText || 'random';
    const model = this.models.find((entry) => entry.id === this.modelId);
    return [
      `Seed ${seed}`,
      plural(this.steps, 'step'),
      plural(this.count, 'image'),
      ...(this.sizePresets.length > 0 && this.size ? [`${this.size.width}x${this.size.height}`] : []),
      ...(model ? [modelLabel(model)] : []),
    ].join(' · ');
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Opened when an error appears, never closed for the user: fixing a value leaves the drawer open.
    if (DRAWER_ERRORS.some((name) => changed.has(name) && this[name])) this.openDrawer = true;
  }

  private renderImageOptions(): TemplateResult {
    return html`
      <div class="row options" part="options">
        ${this.renderSeed()} ${this.renderSteps()} ${this.renderCount()}
        ${sizeField(this.sizePresets, this.size, this.sizeError, (size) => this.actions?.sizeChange(size))}
        ${this.renderModelPicker()}
      </div>
    `;
  }

  private renderRealtime(): TemplateResult {
    return html`<label class="choice" part="realtime">
      <input
        type="checkbox"
        part="realtime-toggle"
        .checked=${this.realtime}
        @change=${(event: Event) => this.actions?.realtimeChange((event.target as HTMLInputElement).checked)}
      />
      Real time
    </label>`;
  }

  /** The count, and for a long prompt a one-line note; the dropped words only on request. */
  private renderTokenCount(): TemplateResult {
    const tokens = this.tokens;
    if (!tokens) return html`<div class="hint" id="token-count" part="token-count"></div>`;
    const dropped = Math.max(0, tokens.tokenCount - tokens.maxTokens);
    return html`<div class="hint" id="token-count" part="token-count">
      ${tokens.tokenCount} / ${tokens.maxTokens} tokens
      ${
        tokens.truncated
          ? html`<details class="dropped">
              <summary>${dropped > 0 ? plural(dropped, 'token') : 'The end'} cut off</summary>
              <span part="dropped-text">${tokens.droppedText}</span>
            </details>`
          : nothing
      }
    </div>`;
  }

  private renderSeed(): TemplateResult {
    return html`
      <div class="field seed" part="seed">
        <label for="seed">Seed</label>
        <input
          id="seed"
          part="seed-input"
          type="text"
          inputmode="numeric"
          autocomplete="off"
          title=${`A whole number from 0 to ${MAX_SEED}`}
          placeholder="random"
          aria-invalid=${this.seedError ? 'true' : 'false'}
          aria-describedby=${this.seedError ? 'seed-error seed-hint' : 'seed-hint'}
          .value=${this.seedText}
          @input=${(event: Event) => this.actions?.seedInput((event.target as HTMLInputElement).value)}
          @change=${(event: Event) => this.actions?.seedChange((event.target as HTMLInputElement).value)}
        />
      </div>
      <button type="button" part="random-seed-button" @click=${() => this.actions?.randomSeed()}>
        Random seed
      </button>
    `;
  }

  /** An invalid step count is an extra, selected choice: the select shows what was asked for. */
  private renderSteps(): TemplateResult {
    return html`
      <div class="field" part="steps">
        <label for="steps">Steps</label>
        <select
          id="steps"
          part="steps-select"
          aria-invalid=${this.stepsError ? 'true' : 'false'}
          aria-describedby=${this.stepsError ? 'steps-error' : nothing}
          @change=${(event: Event) => this.actions?.stepsChange(Number((event.target as HTMLSelectElement).value))}
        >
          ${
            this.stepsError
              ? html`<option value="" selected disabled>${String(this.steps)} (not allowed)</option>`
              : nothing
          }
          ${STEP_CHOICES.map((n) => html`<option value=${n} ?selected=${n === this.steps}>${n}</option>`)}
        </select>
      </div>
    `;
  }

  /** Images per Generate: an invalid count is an extra, selected choice, as for steps. */
  private renderCount(): TemplateResult {
    return html`
      <div class="field" part="count">
        <label for="count">Images</label>
        <select
          id="count"
          part="count-select"
          aria-invalid=${this.countError ? 'true' : 'false'}
          aria-describedby=${this.countError ? 'count-error' : nothing}
          @change=${(event: Event) => this.actions?.countChange(Number((event.target as HTMLSelectElement).value))}
        >
          ${
            this.countError
              ? html`<option value="" selected disabled>${String(this.count)} (not allowed)</option>`
              : nothing
          }
          ${COUNT_CHOICES.map((n) => html`<option value=${n} ?selected=${n === this.count}>${n}</option>`)}
        </select>
      </div>
    `;
  }

  protected override updated(): void {
    if (this.openDrawer) {
      this.openDrawer = false;
      const drawer = this.querySelector<HTMLDetailsElement>('details[part~="settings"]');
      if (drawer) drawer.open = true;
    }
    // The model list can change in the same update as the choice, and a select the user has touched ignores
    // `selected` attributes: the choice is set again once its option exists.
    const picker = this.querySelector<HTMLSelectElement>('select#model');
    if (picker && this.modelId !== undefined && picker.value !== this.modelId) picker.value = this.modelId;
  }

  private renderModelPicker(): TemplateResult | typeof nothing {
    if (this.models.length < 2) return nothing;
    return html`
      <div class="field" part="model-picker">
        <label for="model">Model</label>
        <select
          id="model"
          @change=${(event: Event) => this.actions?.modelChange((event.target as HTMLSelectElement).value)}
        >
          ${this.models.map(
            (model) =>
              html`<option value=${model.id} ?selected=${model.id === this.modelId}>
                ${modelLabel(model)}
              </option>`,
          )}
        </select>
      </div>
    `;
  }

  private renderFieldError(id: string, error: string | undefined): TemplateResult | typeof nothing {
    return error ? html`<p class="field-error" id=${id} part="field-error ${id}">${error}</p>` : nothing;
  }
}
