import { css } from 'lit';

/** The stage times beside the image, the batch's thumbnails and the gallery's cards. */
export const sessionStyles = css`
  dl.timings {
    display: grid;
    grid-template-columns: auto auto;
    justify-content: start;
    gap: 2px 16px;
    margin: 0;
    font-size: 0.9em;
  }
  dl.timings dt {
    color: var(--_muted);
  }
  dl.timings dd {
    margin: 0;
    font-variant-numeric: tabular-nums;
  }
  ul.gallery {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(72px, 1fr));
    gap: 6px;
  }
  ul.gallery button {
    padding: 0;
    display: block;
    width: 100%;
    border-radius: calc(var(--_radius) * 0.5);
    overflow: hidden;
  }
  ul.gallery button[aria-current='true'] {
    outline: 3px solid var(--_accent);
  }
  ul.gallery canvas {
    display: block;
    width: 100%;
    aspect-ratio: 1;
    image-rendering: pixelated;
  }
  /* The gallery: cards in a grid that fills the width, as many columns as fit. */
  ul.cards {
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
    ul.cards {
      --_card-width: 180px;
    }
  }
  li.card {
    display: grid;
    align-content: start;
    min-width: 0;
    overflow: hidden;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  li.card [part~='show-image-button'] {
    padding: 0;
    display: block;
    width: 100%;
    border: 0;
    border-radius: 0;
  }
  li.card [part~='show-image-button'][aria-current='true'] {
    outline: 3px solid var(--_accent);
    outline-offset: -3px;
  }
  li.card :is(img, canvas) {
    display: block;
    width: 100%;
    height: auto;
    aspect-ratio: 1;
    object-fit: cover;
    background: var(--_bg);
  }
  li.card .small {
    image-rendering: pixelated;
  }
  /* Not saved: a dashed edge says so before the caption does. */
  li.card[part~='unsaved-image'] {
    border-style: dashed;
  }
  .card-caption {
    margin: 0;
    padding: 6px 8px 0;
    display: grid;
    min-width: 0;
  }
  .card-prompt,
  .card-meta {
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .card-prompt {
    font-size: 0.88em;
    font-weight: 500;
  }
  .card-meta {
    font-size: 0.75em;
    color: var(--_muted);
  }
  /* One row on a wide card; on a phone's narrow card Delete wraps rather than leaving the card. */
  .card-actions {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 2px;
    padding: 2px 4px 4px;
  }
  .card-actions button {
    padding: 2px 6px;
    font-size: 0.78em;
    color: var(--_muted);
    background: transparent;
    border-color: transparent;
  }
  .card-actions button:hover {
    color: var(--_fg);
    border-color: var(--_border);
  }
  /* Delete apart from the others, at the card's end, and red when pointed at. */
  .card-actions [part~='gallery-delete-button'] {
    margin-left: auto;
  }
  .card-actions [part~='gallery-delete-button']:hover {
    color: var(--_error);
    border-color: var(--_error);
  }
`;
