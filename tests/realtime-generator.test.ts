import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LatestRequestScheduler,
  summarize,
  type RealtimeImage,
} from '../src/pipeline/worker/realtime-generator';

interface FakeRequest {
  prompt: string;
}

/** A generator that takes `durationMs` per image on the fake clock and records what it was asked. */
function fakeGenerator(durationMs: number | ((prompt: string) => number)) {
  const started: string[] = [];
  let running = 0;
  let maxConcurrent = 0;
  return {
    started,
    get maxConcurrent() {
      return maxConcurrent;
    },
    generate(request: FakeRequest): Promise<string> {
      started.push(request.prompt);
      running++;
      maxConcurrent = Math.max(maxConcurrent, running);
      const ms = typeof durationMs === 'number' ? durationMs : durationMs(request.prompt);
      return new Promise((resolve, reject) =>
        setTimeout(() => {
          running--;
          if (request.prompt.includes('!')) reject(new Error(`cannot draw ${request.prompt}`));
          else resolve(`image of ${request.prompt}`);
        }, ms),
      );
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LatestRequestScheduler', () => {
  it('typing 20 characters, one every 100 ms, with 300 ms images: a few generations, the last text last', async () => {
    const generator = fakeGenerator(300);
    const delivered: RealtimeImage<string>[] = [];
    const realtime = new LatestRequestScheduler<FakeRequest, string>(generator, {
      onImage: (image) => delivered.push(image),
      now: () => Date.now(),
    });
    const text = 'a lighthouse at dusk';
    const ids: number[] = [];
    for (let length = 1; length <= text.length; length++) {
      ids.push(realtime.request({ prompt: text.slice(0, length) }).id);
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(1000);
    await realtime.idle();

    // Edit k is typed at t = 100(k-1). "a" starts at t=0; every 300 ms an image ends and the newest text
    // typed before that instant starts: 8 images for 20 edits.
    expect(generator.started).toEqual([
      'a',
      'a l',
      'a ligh',
      'a lightho',
      'a lighthouse',
      'a lighthouse at',
      'a lighthouse at du',
      'a lighthouse at dusk',
    ]);
    expect(generator.maxConcurrent).toBe(1);
    expect(delivered.map((image) => image.result).at(-1)).toBe(`image of ${text}`);
    expect(delivered.at(-1)?.requestId).toBe(ids.at(-1));
    const order = delivered.map((image) => image.requestId);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(order.length);

    const stats = realtime.stats();
    expect(stats).toMatchObject({ requested: 20, generated: 8, superseded: 12, failed: 0 });
    // 8 images between t=0 (first start) and t=2400 (last delivery).
    expect(stats.imagesPerSecond).toBeCloseTo(8 / 2.4, 6);
    // Every edit is answered: by its own image or a later one's.
    // Latencies by hand: edit 1 300 ms; then each image answers the edits typed 600, 500 and 400 ms
    // before it (the last one: 600 and 500): 300, 6x400, 7x500, 6x600.
    expect(stats.editToImage).toEqual({ count: 20, medianMs: 500, p90Ms: 600 });
  });

  it('replaces the waiting request (its promise resolves undefined) and never queues it', async () => {
    const generator = fakeGenerator(50);
    const realtime = new LatestRequestScheduler<FakeRequest, string>(generator, { now: () => Date.now() });
    const first = realtime.request({ prompt: 'one' });
    const second = realtime.request({ prompt: 'two' });
    const third = realtime.request({ prompt: 'three' });
    await vi.advanceTimersByTimeAsync(200);
    expect(await first.image).toMatchObject({ requestId: first.id, result: 'image of one', latencyMs: 50 });
    expect(await second.image).toBeUndefined();
    expect(await third.image).toMatchObject({
      requestId: third.id,
      result: 'image of three',
      latencyMs: 100,
    });
    expect(generator.started).toEqual(['one', 'three']);
    // "two" was answered by the image of "three": 100 ms after it was typed.
    expect(realtime.stats().editToImage).toEqual({ count: 3, medianMs: 100, p90Ms: 100 });
  });

  it('reports a failure and goes on with the newest request', async () => {
    const generator = fakeGenerator(10);
    const errors: number[] = [];
    const realtime = new LatestRequestScheduler<FakeRequest, string>(generator, {
      onError: (_, id) => errors.push(id),
      now: () => Date.now(),
    });
    const broken = realtime.request({ prompt: 'bad!' });
    const fine = realtime.request({ prompt: 'good' });
    const brokenOutcome = broken.image.catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(50);
    expect(await brokenOutcome).toBe('cannot draw bad!');
    expect(await fine.image).toMatchObject({ result: 'image of good' });
    expect(errors).toEqual([broken.id]);
    expect(realtime.stats()).toMatchObject({ generated: 1, failed: 1 });
  });

  it('delivers in request order even when a later image would be faster', async () => {
    const generator = fakeGenerator((prompt) => (prompt === 'slow' ? 500 : 5));
    const delivered: string[] = [];
    const realtime = new LatestRequestScheduler<FakeRequest, string>(generator, {
      onImage: (image) => delivered.push(image.result),
    });
    realtime.request({ prompt: 'slow' });
    realtime.request({ prompt: 'fast' });
    await vi.advanceTimersByTimeAsync(600);
    expect(delivered).toEqual(['image of slow', 'image of fast']);
  });

  it('dispose drops the waiting request and refuses new ones', async () => {
    const realtime = new LatestRequestScheduler<FakeRequest, string>(fakeGenerator(10));
    const running = realtime.request({ prompt: 'a' });
    const waiting = realtime.request({ prompt: 'b' });
    realtime.dispose();
    expect(() => realtime.request({ prompt: 'c' })).toThrow('disposed');
    await vi.advanceTimersByTimeAsync(20);
    expect(await running.image).toMatchObject({ result: 'image of a' });
    expect(await waiting.image).toBeUndefined();
  });
});

describe('summarize', () => {
  it('gives the median and the nearest-rank 90th percentile', () => {
    expect(summarize([5, 1, 3])).toEqual({ count: 3, medianMs: 3, p90Ms: 5 });
    expect(summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual({ count: 10, medianMs: 5.5, p90Ms: 9 });
    expect(summarize([]).count).toBe(0);
  });
});
