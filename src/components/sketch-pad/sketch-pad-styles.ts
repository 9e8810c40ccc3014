import { css } from 'lit';

/**
 * The same `--sd-*` custom properties and fallbacks as `<sd-turbo>` (light and dark), so the pad matches the
 * element it sits in. The canvas keeps its own white (or `background`) in both schemes: it is the picture.
 */
export const sketchPadStyles = css`
  :host {
    --_accent: var(--sd-accent, #4f46e5);
    --_on-accent: var(--sd-on-accent, #fff);
    --_bg: var(--sd-background, #fff);
    --_fg: var(--sd-foreground, #1f2328);
    --_surface: var(--sd-surface, #f6f8fa);
    --_border: var(--sd-border, #d1d9e0);
    --_radius: var(--sd-radius, 8px);
    --_gap: var(--sd-gap, 12px);
    display: grid;
    gap: calc(var(--_gap) * 0.66);
    min-width: 0;
    color: var(--_fg);
    font: var(--sd-font, 15px/1.45 system-ui, sans-serif);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_accent: var(--sd-accent, #818cf8);
      --_on-accent: var(--sd-on-accent, #0b0d12);
      --_bg: var(--sd-background, #0f1115);
      --_fg: var(--sd-foreground, #e6e8eb);
      --_surface: var(--sd-surface, #181b22);
      --_border: var(--sd-border, #2e3440);
    }
  }
  :host([hidden]) {
    display: none;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: calc(var(--_gap) * 0.66);
  }
  .group {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px;
    margin: 0;
    padding: 0;
    border: 0;
    min-width: 0;
  }
  button {
    font: inherit;
    font-size: 0.9em;
    color: var(--_fg);
    background: var(--_surface);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 4px 10px;
    min-height: 32px;
    cursor: pointer;
  }
  button[aria-pressed='true'] {
    color: var(--_on-accent);
    background: var(--_accent);
    border-color: var(--_accent);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .choice {
    position: relative;
    display: inline-grid;
    cursor: pointer;
  }
  /* The radio itself stays focusable and in the accessibility tree; its look is the span after it. */
  .choice input {
    position: absolute;
    inset: 0;
    margin: 0;
    opacity: 0;
    cursor: pointer;
  }
  .swatch,
  .size {
    display: grid;
    place-items: center;
    width: 28px;
    height: 28px;
    border-radius: 50%;
    border: 1px solid var(--_border);
    background: var(--_bg);
  }
  .size > span {
    width: var(--dot);
    height: var(--dot);
    max-width: 22px;
    max-height: 22px;
    border-radius: 50%;
    background: var(--_fg);
  }
  input:checked + .swatch,
  input:checked + .size {
    box-shadow:
      0 0 0 2px var(--_bg),
      0 0 0 4px var(--_accent);
  }
  button:focus-visible,
  input:focus-visible + .swatch,
  input:focus-visible + .size {
    outline: 3px solid var(--_accent);
    outline-offset: 3px;
  }
  /* Inside the board's rounded clip, so drawn inward. */
  canvas:focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: -3px;
  }
  .board {
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    overflow: hidden;
    line-height: 0;
  }
  canvas {
    display: block;
    width: 100%;
    height: auto;
    touch-action: none;
    cursor: crosshair;
    user-select: none;
    -webkit-user-select: none;
  }
`;
