/**
 * Small line icons for compact buttons. Each is decorative (`aria-hidden`): the button it sits in has its
 * own accessible name (`aria-label`) and a `title` tooltip. They draw in `currentColor`.
 */
import { html, svg, type TemplateResult } from 'lit';

const PATHS = {
  download: svg`<path d="M12 4v11" /><path d="m7 10 5 5 5-5" /><path d="M5 20h14" />`,
  // Sliders: put this image's settings back in the controls.
  settings: svg`<path d="M4 7h9M17 7h3M4 17h3M11 17h9" /><circle cx="15" cy="7" r="2" /><circle cx="9" cy="17" r="2" />`,
  trash: svg`<path d="M4 7h16" /><path d="M10 11v6M14 11v6" /><path d="M6 7l1 13h10l1-13" /><path d="M9 7V4h6v3" />`,
};

export type IconName = keyof typeof PATHS;

export function icon(name: IconName): TemplateResult {
  return html`<svg
    class="icon"
    viewBox="0 0 24 24"
    width="18"
    height="18"
    fill="none"
    stroke="currentColor"
    stroke-width="2"
    stroke-linecap="round"
    stroke-linejoin="round"
    aria-hidden="true"
    focusable="false"
  >
    ${PATHS[name]}
  </svg>`;
}
