import { css } from 'lit';

/** Looks that several parts share: field errors, 44 px choices, blocks that shrink with the element. */
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
