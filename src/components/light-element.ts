import { LitElement } from 'lit';

/**
 * A part of `<sd-turbo>` that renders into the element's own shadow root instead of one of its own: the
 * element's styles, `::part()` names, label/`for` pairs and focus order reach across the parts unchanged.
 */
export class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}
