/** Finding and filling the elements of extension pages, by the `data-testid` values of the UI contract. */

export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const element = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!element) throw new Error(`Missing element ${id}`);
  return element;
}

/**
 * The elements with these test ids, under the names the page gives them. With `kind`, each must
 * be that kind of element (a button, an input), and is typed as one.
 */
export function byTestIds<const Ids extends Record<string, string>, E extends HTMLElement = HTMLElement>(
  ids: Ids,
  kind?: abstract new () => E,
  root: ParentNode = document,
): { [Name in keyof Ids]: E } {
  const found: Partial<Record<keyof Ids, E>> = {};
  for (const [name, id] of Object.entries(ids) as Array<[keyof Ids, string]>) {
    const element = byTestId<E>(id, root);
    if (kind && !(element instanceof kind)) throw new Error(`Element ${id} is not a ${kind.name}`);
    found[name] = element;
  }
  return found as { [Name in keyof Ids]: E };
}

/** Shows `message` in a box, or hides the box when there is none. */
export function showMessage(box: HTMLElement, message: string | null | undefined): void {
  box.textContent = message ?? '';
  box.hidden = !message;
}
