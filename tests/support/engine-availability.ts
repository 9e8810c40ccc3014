/**
 * Whether a test file for another browser engine runs. CI installs Firefox ESR, WebKitGTK's WebDriver and
 * Xvfb from Debian, so there a missing one fails the file; on a developer's machine the file is skipped
 * with the reason printed, so `npm test` stays usable without them.
 */
export function skipWithoutEngine(engine: string, missing: string | undefined): boolean {
  if (missing === undefined) return false;
  if (isCi()) throw new Error(`${engine} is required in CI (.ci/run installs it): ${missing}`);
  console.warn(`Skipping the ${engine} tests: ${missing}`);
  return true;
}

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}
