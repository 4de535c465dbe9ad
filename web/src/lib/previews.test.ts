import { describe, expect, it } from "vitest";
import { Api, ApiError, errorFromBody } from "./api";
import { draftToForm, editField, formToDraft, startEdit, type Draft } from "./character_wizard";
import {
  cardPersonality, durationOf, durationText, isStale, picturePreviewRequest, previewErrorText, requestKey, voicePreviewRequest,
} from "./previews";

const draft = (): Draft => ({
  brief: { theme: "lighthouses", audience: "children", role: "companion" },
  steps: {
    concept: { name: "Wren", age: 34, role: "keeper", setting: "A rock at sea", pitch: "Keeps the light", traits: ["calm", "curious"] },
    background: { backstory: "Raised by the sea.", personality: "Gentle and dry.", likes: ["tea", "gulls"], dislikes: ["fog"] },
    speech: { catchphrases: ["Steady on"], vocabulary: ["lamp"], sentence_style: "Short.", example_dialogues: [] },
    greetings: { first_message: "  Ahoy, come up the stairs.  ", alternates: ["Hello there"] },
    image: { prompt: "a lighthouse keeper at dusk", negative_prompt: "" },
  },
  stale: [],
});

describe("the picture preview's request", () => {
  it("sends the image prompt with the character as the saved card would describe it", () => {
    expect(picturePreviewRequest(draft())).toEqual({
      body: {
        prompt: "a lighthouse keeper at dusk",
        character: {
          name: "Wren", description: "Raised by the sea.", tags: ["companion", "calm", "curious"],
          personality: "Gentle and dry.\nLikes: tea, gulls\nDislikes: fog\nSpeech: Short.\nCatchphrases: Steady on\nFavourite words: lamp",
        },
      },
    });
  });

  it("adds the negative prompt and the brief's seed only when there are some", () => {
    const withBoth = draft();
    withBoth.steps.image!.negative_prompt = " blurry ";
    const request = picturePreviewRequest(withBoth, "42");
    expect("body" in request && request.body.negative_prompt).toBe("blurry");
    expect("body" in request && request.body.seed).toBe(42);
    for (const seed of ["", "4.5", "-1", "lots"]) {
      const plain = picturePreviewRequest(draft(), seed);
      expect("body" in plain && Object.keys(plain.body)).toEqual(["prompt", "character"]);
    }
  });

  it("says why a blank or too long prompt cannot be previewed", () => {
    const blank = draft();
    blank.steps.image!.prompt = "   ";
    expect(picturePreviewRequest(blank)).toEqual({ problem: "Write an image prompt to preview it." });
    const long = draft();
    long.steps.image!.prompt = "é".repeat(501); // 1,002 bytes in UTF-8, though 501 characters
    expect(picturePreviewRequest(long)).toEqual({ problem: expect.stringMatching(/too long.*1000 bytes/) });
  });

  it("writes the personality as card assembly does, with empty lists left empty", () => {
    const sparse: Draft = { ...draft(), steps: { background: { personality: "Shy." } } };
    expect(cardPersonality(sparse)).toBe("Shy.\nLikes: \nDislikes: \nSpeech: \nCatchphrases: \nFavourite words: ");
  });
});

describe("the voice preview's request", () => {
  it("speaks the first message, trimmed, with the server's voice", () => {
    expect(voicePreviewRequest(draft())).toEqual({ body: { text: "Ahoy, come up the stairs." } });
  });

  it("says why a blank or too long first message cannot be heard", () => {
    const blank = draft();
    blank.steps.greetings!.first_message = "";
    expect(voicePreviewRequest(blank)).toEqual({ problem: "Write a first message to hear it." });
    const long = draft();
    long.steps.greetings!.first_message = "a".repeat(2001);
    expect(voicePreviewRequest(long)).toEqual({ problem: expect.stringMatching(/too long.*2000 bytes/) });
  });
});

describe("a stale preview", () => {
  it("is one whose fields were edited after it was made, not one whose other steps were", () => {
    const original = draft();
    let edit = startEdit(1, original);
    const picture = requestKey(picturePreviewRequest(formToDraft(edit.form, original)));
    const voice = requestKey(voicePreviewRequest(formToDraft(edit.form, original)));

    edit = editField(edit, original, "greetings", "alternates", "Hi\nHello");
    expect(isStale(picture, picturePreviewRequest(formToDraft(edit.form, original)))).toBe(false);
    expect(isStale(voice, voicePreviewRequest(formToDraft(edit.form, original)))).toBe(false);

    edit = editField(edit, original, "concept", "name", "Captain Wren");
    expect(isStale(picture, picturePreviewRequest(formToDraft(edit.form, original)))).toBe(true);
    expect(isStale(voice, voicePreviewRequest(formToDraft(edit.form, original)))).toBe(false);

    edit = editField(edit, original, "greetings", "first_message", "Welcome aboard.");
    expect(isStale(voice, voicePreviewRequest(formToDraft(edit.form, original)))).toBe(true);
  });

  it("is fresh again when the field is typed back", () => {
    const original = draft();
    const made = requestKey(voicePreviewRequest(formToDraft(draftToForm(original), original)));
    let edit = editField(startEdit(1, original), original, "greetings", "first_message", "Other");
    edit = editField(edit, original, "greetings", "first_message", "Ahoy, come up the stairs.");
    expect(isStale(made, voicePreviewRequest(formToDraft(edit.form, original)))).toBe(false);
  });
});

describe("a preview's answer", () => {
  it("gives the audio's length from X-Duration-Ms", () => {
    expect(durationOf(new Headers({ "X-Duration-Ms": "2350" }))).toBe(2350);
    expect(durationOf(new Headers())).toBeNull();
    expect(durationOf(new Headers({ "X-Duration-Ms": "0" }))).toBeNull();
    expect(durationOf(new Headers({ "X-Duration-Ms": "soon" }))).toBeNull();
    expect(durationText(2350)).toBe("2.4 s");
    expect(durationText(65000)).toBe("1:05");
  });

  it("is read as bytes and headers through the API, with the key", async () => {
    const seen: Array<{ input: string; init?: RequestInit }> = [];
    const api = new Api("k", "", async (input, init) => {
      seen.push({ input, init });
      return new Response(new Uint8Array([79, 103, 103, 83]), { status: 200, headers: { "Content-Type": "audio/ogg", "X-Duration-Ms": "900" } });
    });
    const { blob, headers } = await api.jsonForFile("POST", "/api/v1/studio/previews/voice", { text: "Hi" });
    expect(blob.type).toBe("audio/ogg");
    expect(blob.size).toBe(4);
    expect(durationOf(headers)).toBe(900);
    expect(seen[0].init?.body).toBe('{"text":"Hi"}');
    expect(seen[0].init?.headers).toEqual({ Authorization: "Bearer k", "Content-Type": "application/json" });
  });

  it("fails with the server's message: the field of a 400, the provider's reason of a 503 or 504", async () => {
    const body = '{"error":{"code":"unavailable","field":"","message":"espeak-ng is not installed"}}';
    const api = new Api("k", "", async () => new Response(body, { status: 503 }));
    const failure = await api.jsonForFile("POST", "/api/v1/studio/previews/voice", { text: "Hi" }).catch((error) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(previewErrorText(failure)).toBe("espeak-ng is not installed");
    const refused = errorFromBody(400, '{"error":{"code":"invalid_argument","field":"prompt","message":"prompt must not be blank"}}');
    expect([refused.field, previewErrorText(refused)]).toEqual(["prompt", "prompt must not be blank"]);
    expect(previewErrorText(errorFromBody(504, "gateway timeout"))).toBe("The server answered 504.");
    expect(previewErrorText(new Error("boom"))).toBe("boom");
  });
});
