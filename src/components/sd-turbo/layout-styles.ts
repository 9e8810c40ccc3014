import { css } from 'lit';

/**
 * Where the parts go, by the element's own width. Under 720 px one column in reading order: messages and
 * the first-run panel, the image, what is known about it, the gallery. Wider, the image on the left and
 * all but the gallery in a column beside it; the gallery spans both. Settings is a drawer under the bar.
 */
export const layoutStyles = css`
  .layout {
    display: grid;
    gap: var(--_gap);
    grid-template-columns: minmax(0, 1fr);
    margin-top: var(--_gap);
  }
  .top-column,
  .side-column {
    display: contents;
  }
  @container (min-width: 720px) {
    .layout {
      grid-template-columns: minmax(0, min(72vh, 60%)) minmax(0, 1fr);
      grid-template-rows: auto 1fr auto;
      grid-template-areas:
        'stage top'
        'stage side'
        'saved saved';
      column-gap: calc(var(--_gap) * 2);
      row-gap: 0;
      align-items: start;
    }
    sd-result-view {
      grid-area: stage;
    }
    /* A message or the first-run panel above the side column; nothing at all (no gap) without one. */
    .top-column {
      display: grid;
      grid-area: top;
      min-width: 0;
    }
    .layout > .top-column > * {
      margin-bottom: var(--_gap);
    }
    .side-column {
      display: grid;
      grid-area: side;
      gap: var(--_gap);
      align-content: start;
      min-width: 0;
    }
    sd-gallery-view {
      grid-area: saved;
      margin-top: calc(var(--_gap) * 2);
    }
  }
  /*
   * variant="compact", for a small slot: the prompt bar, its Settings drawer and the image; the gallery,
   * real time and image to image are left out.
   */
  :host([variant='compact']) :is(sd-gallery-view, sd-source-image-panel),
  :host([variant='compact']) :is([part~='realtime'], #seed-hint, [part~='timings-disclosure']) {
    display: none;
  }
  :host([variant='compact']) .layout {
    grid-template-columns: minmax(0, 1fr);
    grid-template-areas: none;
  }
  :host([variant='compact']) :is(.top-column, .side-column) {
    display: contents;
  }
  :host([variant='compact']) .stage,
  :host([variant='compact']) .image-caption {
    width: 100%;
  }
  /* A section's title with its own small actions on the same line. */
  .section-header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px var(--_gap);
  }
  button.small,
  button.icon-button {
    min-height: 32px;
    font-size: 0.85em;
  }
  button.small {
    padding: 3px 10px;
  }
  button.icon-button {
    display: inline-grid;
    place-items: center;
    width: 32px;
    padding: 0;
    color: var(--_muted);
    background: transparent;
    border-color: transparent;
  }
  button.icon-button:hover {
    color: var(--_fg);
    background: var(--_bg);
    border-color: var(--_border);
  }
  /* Fingers, not pointers: on a touch screen the small buttons are 44 px targets too. */
  @media (pointer: coarse) {
    button.small,
    button.icon-button {
      min-height: 44px;
    }
    button.icon-button {
      width: 44px;
    }
  }
  .confirm,
  [part~='quota-question'] {
    align-items: center;
    padding: 8px var(--_gap);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .confirm p,
  [part~='quota-question'] p {
    margin: 0;
    flex: 1 1 16em;
  }
`;
