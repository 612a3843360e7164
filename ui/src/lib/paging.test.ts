import { describe, expect, it } from "vitest";
import { appendPage, firstPage, markRead } from "./paging";

describe("paging", () => {
  it("appends the next page and keeps its cursor", () => {
    const page = appendPage(firstPage([{ id: "a" }, { id: "b" }], "c1"), [{ id: "c" }], null);
    expect(page).toEqual({ items: [{ id: "a" }, { id: "b" }, { id: "c" }], nextCursor: null });
  });

  it("does not repeat a row two pages both hold", () => {
    const page = appendPage(firstPage([{ id: "a" }, { id: "b" }], "c1"), [{ id: "b" }, { id: "c" }], "c2");
    expect(page.items.map((i) => i.id)).toEqual(["a", "b", "c"]);
    expect(page.nextCursor).toBe("c2");
  });

  it("marks one notification read and leaves the rest", () => {
    const page = firstPage(
      [
        { id: "a", isRead: false, readAt: null },
        { id: "b", isRead: false, readAt: null },
        { id: "c", isRead: true, readAt: "2026-01-01T00:00:00Z" },
      ],
      "next",
    );
    const after = markRead(page, "a", "2026-12-01T09:00:00Z");
    expect(after.items).toEqual([
      { id: "a", isRead: true, readAt: "2026-12-01T09:00:00Z" },
      { id: "b", isRead: false, readAt: null },
      { id: "c", isRead: true, readAt: "2026-01-01T00:00:00Z" },
    ]);
    expect(after.nextCursor).toBe("next");
    expect(markRead(page, "c", "2026-12-01T09:00:00Z").items[2]?.readAt).toBe("2026-01-01T00:00:00Z");
  });
});
