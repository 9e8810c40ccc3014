/** The prompt's token count under the prompt box, counted by the worker's tokenizer after each update. */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { GeneratorClient, TokenCount } from '../../pipeline/index.js';

export interface TokenCountHooks {
  prompt(): string;
  /** The model's tokenizer length; undefined until the manifest is read. */
  maxLength(): number | undefined;
  client(): GeneratorClient | undefined;
}

export class TokenCountController implements ReactiveController {
  tokens?: TokenCount;
  private countedKey?: string;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly hooks: TokenCountHooks,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    void this.count();
  }

  /** Counts once per prompt and model, as soon as the manifest says the model's tokenizer length. */
  private async count(): Promise<void> {
    const prompt = this.hooks.prompt();
    const maxLength = this.hooks.maxLength();
    const key = `${maxLength}:${prompt}`;
    if (maxLength === undefined || key === this.countedKey) return;
    this.countedKey = key;
    try {
      const counted = await this.hooks.client()?.tokenize(prompt, maxLength);
      if (prompt === this.hooks.prompt()) {
        this.tokens = counted;
        this.host.requestUpdate();
      }
    } catch {
      // The count is a hint; the prompt is checked again when the image is made.
    }
  }
}
