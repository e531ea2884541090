/**
 * `--build-context NAME=oci-layout://DIR[:TAG|@sha256:...]`: the image that entry of the
 * layout names is loaded into the store (verified and applied like any `strata load`, no
 * tag added) and stands in for NAME by its image ID; of an index, the image for `platform`.
 */
import type { Store } from '../../store/store.js';
import { LayoutDir } from '../export/layout-dir.js';
import { loadLayoutImage } from '../export/load-oci-layout.js';
import type { Digest } from '../oci/digest.js';
import type { NamedContext } from '../plan/named-contexts.js';

export async function loadNamedLayout(
  store: Store,
  name: string,
  c: Extract<NamedContext, { kind: 'oci-layout' }>,
  platform?: string,
): Promise<{ id: Digest; shown: string }> {
  const spec = `oci-layout://${c.dir}${c.tag ? `:${c.tag}` : ''}${c.digest ? `@${c.digest}` : ''}`;
  const layout = await LayoutDir.open(c.dir);
  const id = await loadLayoutImage(store, layout, c, `--build-context ${name}=${spec}`, platform);
  return { id, shown: `${spec} (${id})` };
}
