/** bench.html: the element and a form that runs the benchmark through its public generate(). */
import '../components/index.js';
import { renderReport, runBenchmark } from './benchmark.js';
import { applyUrlSettings } from './url-settings.js';

const generator = document.querySelector('sd-turbo')!;
applyUrlSettings(generator);

const form = document.querySelector<HTMLFormElement>('#benchmark form')!;
const status = document.querySelector<HTMLElement>('#benchmark-status')!;
const results = document.querySelector<HTMLElement>('#benchmark-results')!;

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const button = form.querySelector('button')!;
  button.disabled = true;
  try {
    const report = await runBenchmark(
      generator,
      Number(data.get('images')),
      Number(data.get('warmups')),
      (text) => (status.textContent = text),
    );
    results.replaceChildren(renderReport(report));
    status.textContent = 'Benchmark done.';
  } catch (error) {
    status.textContent = `Benchmark stopped: ${(error as Error).message}`;
    // The benchmark never downloads: the element's first-run panel asks for that consent.
    generator.scrollIntoView({ block: 'nearest' });
  } finally {
    button.disabled = false;
  }
});
