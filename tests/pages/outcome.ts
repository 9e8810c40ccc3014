/**
 * A test page's answer to Playwright: the value, or the error's name, code and message, since an Error
 * thrown inside page.evaluate reaches the test without its `code`.
 */
export type Outcome<T> =
  | { ok: true; value: T; name?: undefined; code?: undefined; message?: undefined }
  | { ok: false; value?: undefined; name: string; code?: string; message: string };

export async function outcome<T>(action: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    const e = error as Error & { code?: string };
    return { ok: false, name: e.name, code: e.code, message: e.message };
  }
}
