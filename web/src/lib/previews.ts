// The Create character wizard's previews (docs/studio.md, "The Create character wizard"): the
// bodies of POST /api/v1/studio/previews/picture and /voice built from the draft as edited, when a
// preview no longer matches the draft, its length in words, and what to show when one failed. No
// DOM here: components/wizard_previews.tsx draws them.
import { ApiError } from "./api";
import type { Draft } from "./character_wizard";

// The server's bounds (studio_preview_routes.cpp), checked here so a draft that cannot be
// previewed says why beside the button instead of sending a request bound to fail.
export const MAX_VOICE_TEXT_BYTES = 2000;
export const MAX_PICTURE_PROMPT_BYTES = 1000;

export type PreviewKind = "picture" | "voice";

// A request to send, or why there is none yet (a blank or too long field).
export type PreviewRequest = { body: Record<string, unknown> } | { problem: string };

const byteLength = (text: string) => new TextEncoder().encode(text).length;

const textOf = (draft: Draft, step: keyof Draft["steps"], key: string): string => {
  const value = draft.steps[step]?.[key];
  return typeof value === "string" ? value.trim() : "";
};

const listOf = (draft: Draft, step: keyof Draft["steps"], key: string): string[] => {
  const value = draft.steps[step]?.[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
};

const WHOLE = /^\s*\d+\s*$/;

// The card's personality as the server writes it on save (card_assembly.cpp). The offline avatar
// draws from the name, description, personality and tags, so the preview sent with these is the
// picture the saved character's replies would carry.
export function cardPersonality(draft: Draft): string {
  const joined = (step: keyof Draft["steps"], key: string) => listOf(draft, step, key).join(", ");
  return [
    textOf(draft, "background", "personality"),
    `Likes: ${joined("background", "likes")}`,
    `Dislikes: ${joined("background", "dislikes")}`,
    `Speech: ${textOf(draft, "speech", "sentence_style")}`,
    `Catchphrases: ${joined("speech", "catchphrases")}`,
    `Favourite words: ${joined("speech", "vocabulary")}`,
  ].join("\n");
}

// The picture preview of the image step's prompt, of the character as described so far: the name
// from the concept, the backstory as the description, the role and traits as tags (as on save).
// seed is the brief's as typed; blank or not a whole number, the server's default applies.
export function picturePreviewRequest(draft: Draft, seed = ""): PreviewRequest {
  const prompt = textOf(draft, "image", "prompt");
  if (prompt === "") return { problem: "Write an image prompt to preview it." };
  if (byteLength(prompt) > MAX_PICTURE_PROMPT_BYTES) {
    return { problem: `The image prompt is too long to preview (at most ${MAX_PICTURE_PROMPT_BYTES} bytes).` };
  }
  const body: Record<string, unknown> = {
    prompt,
    character: {
      name: textOf(draft, "concept", "name"),
      description: textOf(draft, "background", "backstory"),
      personality: cardPersonality(draft),
      tags: [draft.brief.role, ...listOf(draft, "concept", "traits")].filter((tag) => typeof tag === "string" && tag !== ""),
    },
  };
  const negative = textOf(draft, "image", "negative_prompt");
  if (negative !== "") body.negative_prompt = negative;
  if (WHOLE.test(seed) && Number.isSafeInteger(Number(seed))) body.seed = Number(seed);
  return { body };
}

// The voice preview of the first greeting. Generated drafts carry no voice setting (the saved card
// has no troupe.voice), so the server's speech.* voice and speed speak it, as they would on save.
export function voicePreviewRequest(draft: Draft): PreviewRequest {
  const text = textOf(draft, "greetings", "first_message");
  if (text === "") return { problem: "Write a first message to hear it." };
  if (byteLength(text) > MAX_VOICE_TEXT_BYTES) {
    return { problem: `The first message is too long to preview (at most ${MAX_VOICE_TEXT_BYTES} bytes).` };
  }
  return { body: { text } };
}

// What a preview was made from, to tell later whether the draft still says the same: a preview is
// stale once a field it was made from has changed (it stays shown, marked).
export const requestKey = (request: PreviewRequest): string => ("body" in request ? JSON.stringify(request.body) : "");

export const isStale = (madeFrom: string, now: PreviewRequest): boolean => madeFrom !== requestKey(now);

// The audio's length from X-Duration-Ms, or null when the header is missing or not a length.
export function durationOf(headers: Headers): number | null {
  const value = headers.get("X-Duration-Ms");
  if (value === null || !WHOLE.test(value)) return null;
  const ms = Number(value);
  return ms > 0 ? ms : null;
}

// 1234 -> "1.2 s"; a minute or more as "1:05".
export function durationText(ms: number): string {
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

// What to show beside the button when a preview failed: the server's message (a 400 names the
// field, a 503 or 504 gives the provider's reason), or what went wrong in the page.
export function previewErrorText(problem: unknown): string {
  if (problem instanceof ApiError) return problem.message;
  if (problem instanceof Error && problem.message) return problem.message;
  return String(problem);
}
