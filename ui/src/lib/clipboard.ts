/**
 * Copies text, answering whether it worked. The asynchronous clipboard API
 * is missing or refused in some web views; the selection-based fallback
 * covers those.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the only fallback there is
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
