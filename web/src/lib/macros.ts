// The Character Card macros in text shown outside a conversation (the gallery's descriptions), with
// the runtime's spelling rules (src/chat/macros.h): {{char}} and {{user}} in any case with spaces
// allowed inside the braces, and the older <BOT> and <USER>; unknown {{...}} macros stay as written.
// Outside a conversation the reader is the user, so {{user}} reads "you" ("{{user}}'s": "your").

const MACRO = /\{\{\s*(char|user)\s*\}\}('s\b)?|<(bot|user)>('s\b)?/gi;

export function expandMacros(text: string, characterName: string, userName = "you"): string {
  return text.replace(MACRO, (_match: string, braced?: string, bracedPossessive?: string, angled?: string,
                              angledPossessive?: string) => {
    const name = (braced ?? angled ?? "").toLowerCase();
    const possessive = Boolean(bracedPossessive ?? angledPossessive);
    if (name === "char" || name === "bot") return possessive ? `${characterName}'s` : characterName;
    if (!possessive) return userName;
    return userName === "you" ? "your" : `${userName}'s`;
  });
}
