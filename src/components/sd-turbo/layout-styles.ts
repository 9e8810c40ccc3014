import { css } from 'lit';

/**
 * Where the parts go, by the element's own width, and the saved gallery's cards. Under 720 px one column in
 * reading order: messages and the first-run panel, the image, what is known about it, this session's
 * images, Settings, the saved images. Wider, the image on the left and all but the saved images in a
 * column beside it, so that column is never a lone "Settings" line; the saved images span both.
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
      grid-template-columns: minmax(0, min(56vh, 55%)) minmax(0, 1fr);
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
    sd-saved-gallery-view {
      grid-area: saved;
      margin-top: calc(var(--_gap) * 2);
    }
  }
  /* Image to image: the drop zone and, once there is a picture, its strength beside it (under it on a phone). */
  section[part~='source-image'] {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px var(--_gap);
  }
  section[part~='source-image'] > * {
    min-width: 0;
    max-width: 100%;
  }
  section[part~='source-image'] > .drop-zone {
    flex: 1 1 auto;
  }
  section[part~='source-image'] > [part~='strength'] {
    flex: 1 1 200px;
    max-width: 320px;
  }
  /* The file input as one of the element's buttons, without a box of its own around it. */
  .drop-zone input[type='file'] {
    field-sizing: content;
    border: 0;
    padding: 0;
    background: none;
  }
  .drop-zone input[type='file']::file-selector-button {
    min-height: 44px;
    margin-right: 8px;
    padding: 7px 14px;
    font: inherit;
    color: inherit;
    cursor: pointer;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 0.75);
    background: var(--_surface);
  }
  section[part~='source-image'] > .field-error {
    flex-basis: 100%;
  }
  .drop-zone input[type='file'],
  input#strength {
    min-width: 0;
    max-width: 100%;
  }
  input#strength {
    accent-color: var(--_accent);
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
  /* Saved images: cards in a grid that fills the width, as many columns as fit. */
  ul.saved-gallery {
    --_card-width: 150px;
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(var(--_card-width), 1fr));
    gap: 10px;
  }
  /* Two cards side by side on a phone; wider cards, with more of their prompts, on a wide element. */
  @container (min-width: 720px) {
    ul.saved-gallery {
      --_card-width: 180px;
    }
  }
  li.saved-card {
    display: grid;
    min-width: 0;
    overflow: hidden;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  li.saved-card img {
    display: block;
    width: 100%;
    height: auto;
    aspect-ratio: 1;
    object-fit: cover;
    background: var(--_bg);
  }
  li.saved-card img.small {
    image-rendering: pixelated;
  }
  .saved-caption {
    margin: 0;
    padding: 6px 8px 0;
    font-size: 0.8em;
    color: var(--_muted);
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .saved-prompt {
    color: var(--_fg);
  }
  .saved-actions {
    display: flex;
    align-items: center;
    gap: 2px;
    padding: 2px 4px 4px;
  }
  /* Delete apart from the others, at the card's end, and red when pointed at. */
  .saved-actions [part~='saved-delete-button'] {
    margin-left: auto;
  }
  .saved-actions [part~='saved-delete-button']:hover {
    color: var(--_error);
    border-color: var(--_error);
  }
`;
