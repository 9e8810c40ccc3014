import { css } from 'lit';

/** The parts' own looks: field errors, the busy state over the image, toasts, 44 px choices. */
export const partStyles = css`
  details.dropped {
    display: inline;
  }
  details.dropped summary {
    display: inline;
    font-weight: 400;
    color: var(--_fg);
  }
  details.dropped[open] span {
    display: block;
    max-height: 6em;
    overflow: auto;
  }
  textarea#prompt {
    max-height: 12em;
    font-size: 1.05em;
  }
  button.generate {
    min-width: 9ch;
  }
  /* On a phone Generate is a full-width bar, with seed and steps on the line below. */
  @container (max-width: 480px) {
    button.generate {
      flex-basis: 100%;
    }
  }
  .field-error {
    color: var(--_error);
    font-size: 0.85em;
    margin: 0;
    font-weight: 600;
  }
  [aria-invalid='true'] {
    border-color: var(--_error);
    outline: 1px solid var(--_error);
  }
  button.danger {
    background: var(--_error);
    border-color: var(--_error);
    color: var(--_bg);
  }
  label.choice {
    display: inline-flex;
    align-items: center;
    gap: 8px;
    min-height: 44px;
    font-weight: 400;
  }
  label.choice input {
    width: 20px;
    height: 20px;
    accent-color: var(--_accent);
  }
  /* The whole image, its caption and the gallery fit one screen. */
  .stage {
    position: relative;
    width: min(100%, 56vh);
  }
  .stage.busy :is(canvas.image, .placeholder) {
    opacity: 0.35;
    filter: grayscale(0.6);
    transition: opacity 0.2s;
  }
  .busy-overlay {
    position: absolute;
    inset: 0;
    display: grid;
    place-content: center;
    justify-items: center;
    gap: 6px;
    text-align: center;
    font-variant-numeric: tabular-nums;
  }
  .busy-overlay [part='elapsed'] {
    font-size: 1.6em;
    font-weight: 700;
  }
  .spinner {
    width: 32px;
    height: 32px;
    border: 3px solid var(--_border);
    border-top-color: var(--_accent);
    border-radius: 50%;
    animation: spin 0.9s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(1turn);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation: none;
    }
  }
  .toasts {
    position: fixed;
    inset: auto 16px 16px auto;
    display: grid;
    gap: 8px;
    z-index: 10;
    max-width: min(360px, calc(100vw - 32px));
  }
  .toast {
    margin: 0;
    padding: 10px 14px;
    border-radius: var(--_radius);
    background: var(--_fg);
    color: var(--_bg);
    box-shadow: 0 4px 16px rgb(0 0 0 / 0.25);
  }
  /* Blocks that shrink with the element (inline by default, they would not), and vanish when empty. */
  sd-source-image-panel,
  sd-saved-gallery-view {
    display: grid;
    gap: var(--_gap);
    min-width: 0;
  }
  sd-source-image-panel:empty,
  sd-saved-gallery-view:empty {
    display: none;
  }
  /* Image to image: a dashed zone that lights up while a file is dragged over it. */
  .drop-zone {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
    padding: 8px;
    border: 1px dashed var(--_border);
    border-radius: var(--_radius);
  }
  .drop-zone.dragging {
    border-color: var(--_accent);
    outline: 2px solid var(--_accent);
  }
  canvas.source-preview {
    width: 64px;
    height: 64px;
    object-fit: cover;
    border-radius: var(--_radius);
  }
  /* Settings → Your own files: below the stored models, its own block. */
  section[part~='local-files'] {
    display: grid;
    gap: 8px;
    margin-top: var(--_gap);
  }
  section[part~='local-files'] h3 {
    margin: 0;
    font-size: 1em;
  }
  input#local-image-size {
    width: 10ch;
  }
  :is(ul[part~='error-details'], ul[part~='local-files-notes']) {
    margin: 0;
    padding-left: 1.2em;
  }
`;
