/**
 * The real-time benchmark page: the app's GeneratorClient (worker, IndexedDB store, pipeline) with a
 * LatestRequestScheduler on top, fed one request per keystroke as a person types the prompt.
 */
import { GeneratorClient, LatestRequestScheduler, summarizeLatencies } from '../../src/pipeline/index.js';
import { REALTIME_CONFIG_PARAM, type RealtimeConfig, type RealtimePageOutcome } from './protocol.js';

function log(line: string): void {
  console.log(`[bench] ${line}`);
  document.querySelector('#log')?.append(`${line}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Deterministic keystroke gaps: keystrokeMs +- jitterMs from a small LCG, the same every run. */
function keystrokeGaps(config: RealtimeConfig, round: number): number[] {
  let state = (round + 1) * 2654435761;
  return Array.from({ length: config.prompt.length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return config.keystrokeMs + ((state / 2 ** 32) * 2 - 1) * config.jitterMs;
  });
}

async function run(config: RealtimeConfig): Promise<RealtimePageOutcome> {
  const client = GeneratorClient.shared(config.manifestUrl);
  const loaded = await client.load(config.modelId, { provider: config.provider });
  log(`loaded ${config.modelId} on ${loaded.provider.provider} in ${(loaded.loadMs / 1000).toFixed(1)} s`);

  const oneShot: number[] = [];
  for (let i = 0; i < config.oneShotImages; i++) {
    const started = performance.now();
    const image = await client.generate({ prompt: config.prompt, seed: 1000 + i, steps: config.steps });
    image.bitmap.close();
    oneShot.push((performance.now() - started) / 1000);
  }
  const oneShotSeconds = summarizeLatencies(oneShot);
  log(`one-shot: median ${oneShotSeconds.medianMs.toFixed(3)} s per image`);

  // One scheduler for every round, so the latency figures are over all edits; rounds follow each other
  // at once (the next starts when the last image of the previous is delivered).
  const realtime = new LatestRequestScheduler(client, { onImage: ({ result }) => result.bitmap.close() });
  let typed = 0;
  let typingMs = 0;
  for (let round = 0; round < config.rounds; round++) {
    const gaps = keystrokeGaps(config, round);
    const typingStarted = performance.now();
    for (let length = 1; length <= config.prompt.length; length++) {
      const request = { prompt: config.prompt.slice(0, length), seed: round, steps: config.steps };
      void realtime.request(request).image.catch(() => undefined);
      if (length < config.prompt.length) await sleep(gaps[length - 1]);
    }
    typingMs += performance.now() - typingStarted;
    typed += config.prompt.length - 1;
    await realtime.idle();
    const stats = realtime.stats();
    log(
      `after round ${round + 1}: ${stats.generated} images for ${stats.requested} edits, ` +
        `${stats.imagesPerSecond.toFixed(2)} images/s, edit-to-image median ${stats.editToImage.medianMs.toFixed(0)} ms`,
    );
  }
  realtime.dispose();
  return {
    ok: true,
    provider: loaded.provider.provider,
    oneShotSeconds,
    realtime: realtime.stats(),
    typedKeystrokeMs: typingMs / Math.max(1, typed),
  };
}

declare global {
  interface Window {
    realtimeOutcome: Promise<RealtimePageOutcome>;
  }
}

const raw = new URLSearchParams(location.search).get(REALTIME_CONFIG_PARAM);
window.realtimeOutcome = raw
  ? run(JSON.parse(raw) as RealtimeConfig).catch((error: unknown) => ({
      ok: false as const,
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    }))
  : Promise.resolve({ ok: false as const, message: `no ?${REALTIME_CONFIG_PARAM}= in the URL` });
