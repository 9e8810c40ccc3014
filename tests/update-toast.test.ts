/** The app's update offer never reloads while an image is being made. */
import { describe, expect, it } from 'vitest';
import { reloadWhenIdle } from '../src/app/update-toast.js';

describe('reloadWhenIdle', () => {
  it('applies the update at once when nothing is being made', async () => {
    let applied = 0;
    await reloadWhenIdle({ applyUpdate: async () => void applied++ }, { generating: false });
    expect(applied).toBe(1);
  });

  it('waits for the image being made before applying the update', async () => {
    const element = { generating: true };
    const events: string[] = [];
    let waits = 0;
    const wait = async () => {
      events.push(`wait while generating=${element.generating}`);
      // The image finishes during the third wait.
      if (++waits === 3) element.generating = false;
    };
    await reloadWhenIdle(
      { applyUpdate: async () => void events.push(`apply while generating=${element.generating}`) },
      element,
      wait,
    );
    expect(events).toEqual([
      'wait while generating=true',
      'wait while generating=true',
      'wait while generating=true',
      'apply while generating=false',
    ]);
  });
});
