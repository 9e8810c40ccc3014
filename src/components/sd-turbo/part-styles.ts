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
  /* One prompt bar: the text and Generate in one rounded box, Generate at its end. */
  .prompt-box {
    display: flex;
    align-items: flex-end;
    gap: 8px;
    padding: 6px;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 1.5);
    background: var(--_bg);
    box-shadow: 0 1px 3px rgb(0 0 0 / 0.08);
  }
  .prompt-box:focus-within {
    border-color: var(--_accent);
    box-shadow: 0 0 0 3px color-mix(in srgb, var(--_accent) 25%, transparent);
  }
  textarea#prompt {
    flex: 1;
    min-height: 2.9em;
    max-height: 12em;
    font-size: 1.1em;
    border: 0;
    background: transparent;
    resize: none;
    field-sizing: content;
  }
  textarea#prompt:focus-visible {
    outline: none;
  }
  button.generate {
    min-width: 11ch;
    min-height: 48px;
    border-radius: var(--_radius);
    font-size: 1.02em;
  }
  /* Busy: Generate waits, plainly not pressable; Cancel is on the image. */
  button.generate[aria-disabled='true'] {
    background: var(--_surface);
    border-color: var(--_border);
    color: var(--_muted);
    cursor: progress;
  }
  /* On a phone Generate is a full-width bar under the text. */
  @container (max-width: 480px) {
    .prompt-box {
      flex-wrap: wrap;
    }
    button.generate {
      flex-basis: 100%;
    }
  }
  /* Seed, steps, model and real time: a quiet row under the bar, labels beside their controls. */
  .row.options {
    align-items: center;
    gap: 6px 14px;
    font-size: 0.92em;
  }
  .row.options .field {
    display: flex;
    align-items: center;
    gap: 6px;
  }
  .row.options label {
    font-weight: 500;
    color: var(--_muted);
  }
  .row.options :is(select, input:not([type='checkbox'])) {
    min-height: 36px;
  }
  .row.options [part~='random-seed-button'] {
    min-height: 36px;
    padding: 4px 10px;
  }
  /* Under the bar: the token count, and Real time at the end of the same line. */
  .row.under-prompt {
    align-items: center;
    justify-content: space-between;
    gap: 0 var(--_gap);
  }
  .row.under-prompt label.choice {
    min-height: 32px;
    font-size: 0.92em;
    font-weight: 500;
  }
  @media (pointer: coarse) {
    .row.options :is(select, input:not([type='checkbox']), [part~='random-seed-button']) {
      min-height: 44px;
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
  sd-source-image-panel {
    display: grid;
    gap: var(--_gap);
    min-width: 0;
    margin-top: calc(var(--_gap) * 0.66);
  }
  sd-source-image-panel:empty {
    display: none;
  }
  /* The one Settings drawer under the prompt bar: closed until asked for, its values on its summary line. */
  details[part~='settings'] {
    align-content: start;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    padding: 0 var(--_gap);
  }
  details[part~='settings'][open] {
    padding-bottom: var(--_gap);
  }
  /* One kind of title in the drawer (the fieldsets', the table's, Your own files'): small and muted. */
  details[part~='settings'] :is(legend, caption, h3) {
    padding: 0 4px;
    font-size: 0.85em;
    font-weight: 600;
    color: var(--_muted);
  }
  /* And one kind of label: the options row's, beside or above its field. */
  .settings-panel .field > label {
    font-weight: 500;
    color: var(--_muted);
  }
  /* Fields and buttons of the options row's height with a mouse, 44 px targets on a touch screen. */
  details[part~='settings'] :is(input:not([type='radio'], [type='checkbox']), select, button:not(.small)) {
    min-height: 36px;
  }
  details[part~='settings'] button:not(.small) {
    padding: 4px 12px;
  }
  @media (pointer: coarse) {
    details[part~='settings'] :is(input:not([type='radio'], [type='checkbox']), select, button:not(.small)) {
      min-height: 44px;
    }
  }
  details[part~='settings'] > summary {
    padding: 6px 0;
  }
  [part~='settings-summary'] {
    margin-left: 6px;
    font-weight: 400;
  }
  details[part~='settings'] > :is(.row.options, .field-error, #seed-hint) {
    margin-bottom: 8px;
  }
  /* The drawer's own settings under the row, apart from it. */
  .settings-panel {
    display: grid;
    gap: var(--_gap);
    padding-top: var(--_gap);
    border-top: 1px solid var(--_border);
  }
  /* Settings → Your own files: below the stored models, its own block. */
  section[part~='local-files'] {
    display: grid;
    align-content: start;
    align-items: start;
    gap: 8px;
    margin-top: var(--_gap);
  }
  section[part~='local-files'] h3 {
    margin: 0;
  }
  input#local-image-size {
    width: 10ch;
  }
  :is(ul[part~='error-details'], ul[part~='local-files-notes']) {
    margin: 0;
    padding-left: 1.2em;
  }
`;
