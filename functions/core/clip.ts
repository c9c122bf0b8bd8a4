/** How much of an event, an input or an error's cause a one-line message quotes. */
export const QUOTED_CHARS = 300;

/** Text cut to at most `maxChars` characters, with "…" where it was cut: for one-line messages. */
export function clip(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
