/**
 * The app: `<sd-turbo>` full page plus the Benchmark action. `?model=`, `?manifest=`, `?provider=` and
 * `?mirror=` in the page URL are passed to the element, so a link can open a particular model or copy.
 */
import '../components/index.js';
import { renderReport, runBenchmark } from './benchmark.js';

const generator = document.querySelector('sd-turbo')!;
const params = new URLSearchParams(location.search);
for (const name of ['model', 'manifest', 'provider', 'mirror'] as const) {
  const value = params.get(name);
  if (value) generator.setAttribute(name, value);
}

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
