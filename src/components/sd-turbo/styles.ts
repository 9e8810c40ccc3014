import { css } from 'lit';
import { batchGridStyles } from '../parts/batch-grid.js';
import { resultViewStyles } from '../parts/result-view.js';
import { sourceImageStyles } from '../parts/source-image-panel.js';
import { toastStyles } from '../parts/toast-stack.js';
import { layoutStyles } from './layout-styles.js';
import { partStyles } from './part-styles.js';
import { sessionStyles } from './session-styles.js';

/**
 * Theming: every colour, the radius, the gap and the font come from `--sd-*` custom properties, and the
 * main pieces are exposed as ::part()s. The layout follows the element's own width (container queries),
 * not the viewport's, so it fits a sidebar as well as a full page.
 */
const baseStyles = css`
  :host {
    --_accent: var(--sd-accent, #4f46e5);
    --_on-accent: var(--sd-on-accent, #fff);
    --_bg: var(--sd-background, #fff);
    --_fg: var(--sd-foreground, #1f2328);
    --_muted: var(--sd-muted, #59636e);
    --_surface: var(--sd-surface, #f6f8fa);
    --_border: var(--sd-border, #d1d9e0);
    --_error: var(--sd-error, #b42318);
    --_radius: var(--sd-radius, 8px);
    --_gap: var(--sd-gap, 12px);
    display: block;
    box-sizing: border-box;
    min-width: 0;
    max-width: 100%;
    container-type: inline-size;
    color: var(--_fg);
    background: var(--_bg);
    font: var(--sd-font, 15px/1.45 system-ui, sans-serif);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_accent: var(--sd-accent, #8b93ff);
      --_on-accent: var(--sd-on-accent, #0b0d12);
      --_bg: var(--sd-background, #0f1115);
      --_fg: var(--sd-foreground, #e6e8eb);
      --_muted: var(--sd-muted, #9aa4b2);
      --_surface: var(--sd-surface, #181b22);
      --_border: var(--sd-border, #2e3440);
      --_error: var(--sd-error, #f97066);
    }
  }
  :host([hidden]) {
    display: none;
  }
  /* Not inherit: a <details> puts its content in a slot of its own shadow root, which would pass on
     content-box, and everything in a drawer would be taller than its min-height says. */
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  sd-prompt-bar,
  sd-first-run-panel,
  sd-result-view,
  sd-result-details,
  sd-gallery-view,
  sd-settings-panel,
  sd-problem-panel,
  sd-download-progress {
    display: grid;
    gap: var(--_gap);
    min-width: 0;
  }
  sd-first-run-panel:empty,
  sd-problem-panel:empty,
  sd-result-details:empty,
  sd-gallery-view:empty {
    display: none;
  }
  section,
  details {
    display: grid;
    gap: calc(var(--_gap) * 0.66);
    min-width: 0;
  }
  label,
  legend {
    font-weight: 600;
    font-size: 0.9em;
  }
  textarea,
  input,
  select,
  button {
    font: inherit;
    color: inherit;
    border-radius: calc(var(--_radius) * 0.75);
  }
  select {
    max-width: 100%;
  }
  textarea,
  input,
  select {
    background: var(--_bg);
    border: 1px solid var(--_border);
    padding: 6px 8px;
    min-width: 0;
  }
  textarea {
    width: 100%;
    min-height: 4.5em;
    resize: vertical;
  }
  /* 44 px targets: fingers, not pointers, set the size. */
  button,
  select,
  input:not([type='radio']) {
    min-height: 44px;
  }
  button {
    cursor: pointer;
    padding: 7px 14px;
    border: 1px solid var(--_border);
    background: var(--_surface);
  }
  button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_on-accent);
    font-weight: 600;
  }
  button.primary:hover:not(:disabled, [aria-disabled='true']) {
    filter: brightness(1.08);
  }
  /* Disabled looks disabled in both schemes: no accent fill, muted text, not a dimmed primary. */
  button:disabled {
    background: var(--_surface);
    border-color: var(--_border);
    color: var(--_muted);
    cursor: not-allowed;
  }
  :is(button, input, select, textarea, summary, canvas):focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  .hint {
    color: var(--_muted);
    font-size: 0.85em;
    margin: 0;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: calc(var(--_gap) * 0.66);
    align-items: end;
  }
  .field {
    display: grid;
    gap: 4px;
    min-width: 0;
  }
  .seed input {
    width: 12ch;
  }
  .panel {
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    padding: var(--_gap);
  }
  .panel h2,
  .panel h3 {
    margin: 0;
    font-size: 1em;
  }
  .panel p {
    margin: 0;
  }
  ul.files {
    margin: 0;
    padding-left: 1.2em;
  }
  progress {
    width: 100%;
    height: 0.9em;
    accent-color: var(--_accent);
  }
  .problem {
    border-color: var(--_error);
    color: var(--_error);
  }
  .problem p {
    color: var(--_fg);
  }
  .problem button:not(.primary) {
    color: var(--_fg);
  }
  .figure {
    margin: 0;
    display: grid;
    gap: calc(var(--_gap) * 0.5);
  }
  canvas.image {
    width: 100%;
    height: auto;
    aspect-ratio: 1;
    background: var(--_surface);
    border-radius: var(--_radius);
  }
  canvas.small {
    image-rendering: pixelated;
  }
  .placeholder {
    display: grid;
    place-items: center;
    aspect-ratio: 1;
    border: 2px dashed var(--_border);
    border-radius: var(--_radius);
    color: var(--_muted);
    text-align: center;
    padding: var(--_gap);
  }
  .result-meta {
    font-variant-numeric: tabular-nums;
  }
  button svg.icon {
    vertical-align: -4px;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    font-size: 0.9em;
  }
  th,
  td {
    text-align: left;
    padding: 4px 6px;
    border-bottom: 1px solid var(--_border);
  }
  summary {
    cursor: pointer;
    font-weight: 600;
    padding: 10px 0;
  }
  /* Section titles: small, muted, the same everywhere (the settings table's caption included). */
  h3.hint,
  caption {
    font-size: 0.85em;
    font-weight: 600;
    color: var(--_muted);
    text-align: left;
    margin: 0;
    padding: 4px 0;
  }
  fieldset {
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 0.75);
    margin: 0;
    display: flex;
    flex-wrap: wrap;
    gap: 4px 16px;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;

/** The element's own looks first, then each part's, which are more specific. */
export const sdTurboStyles = [
  baseStyles,
  partStyles,
  layoutStyles,
  sessionStyles,
  resultViewStyles,
  toastStyles,
  sourceImageStyles,
  batchGridStyles,
];
