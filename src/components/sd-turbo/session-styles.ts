import { css } from 'lit';

/** This session's images: the stage times beside the image and the strip of thumbnails. */
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
`;
