/**
 * External data beside a model loaded from a URL: each location resolves against the model's
 * folder and is fetched by byte range, so only the bytes a preview needs travel.
 */
import { normalizeExternalLocation, type ExternalDataSource } from './external-data';

export class UrlDataSource implements ExternalDataSource {
  constructor(
    private readonly modelUrl: string,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  has(location: string): boolean {
    return normalizeExternalLocation(location).ok;
  }

  size(): number | undefined {
    return undefined;
  }

  async read(location: string, offset: number, length: number | null): Promise<Uint8Array> {
    const norm = normalizeExternalLocation(location);
    if (!norm.ok) throw new Error(norm.reason);
    const url = new URL(norm.path, this.modelUrl);
    const range = length === null ? `bytes=${offset}-` : `bytes=${offset}-${offset + length - 1}`;
    const response = await this.fetchFn(url, { headers: { Range: range } });
    if (!response.ok) throw new Error(`fetching ${url.pathname} answered HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    // A server that ignores Range sends the whole file (status 200); cut out the slice.
    if (response.status === 200) return bytes.subarray(offset, length === null ? undefined : offset + length);
    return bytes;
  }
}
