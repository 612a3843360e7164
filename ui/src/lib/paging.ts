/**
 * A list read a page at a time with a keyset cursor. Rows already shown are
 * not repeated when a page overlaps (a row arriving between two reads).
 */
export type Paged<T> = { items: T[]; nextCursor: string | null };

export function firstPage<T>(items: T[], nextCursor: string | null): Paged<T> {
  return { items, nextCursor };
}

export function appendPage<T extends { id: string }>(
  current: Paged<T>,
  items: T[],
  nextCursor: string | null,
): Paged<T> {
  const seen = new Set(current.items.map((item) => item.id));
  return {
    items: [...current.items, ...items.filter((item) => !seen.has(item.id))],
    nextCursor,
  };
}

/** The list with one notification shown as read, without reading the list again. */
export function markRead<T extends { id: string; isRead: boolean; readAt: string | null }>(
  current: Paged<T>,
  id: string,
  at: string,
): Paged<T> {
  return {
    items: current.items.map((item) =>
      item.id === id && !item.isRead ? { ...item, isRead: true, readAt: at } : item,
    ),
    nextCursor: current.nextCursor,
  };
}
