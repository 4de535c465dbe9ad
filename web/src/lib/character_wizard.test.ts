import { describe, expect, it } from "vitest";
import {
  briefFromJob, candidateEditKey, checkBrief, checkForm, defaultBrief, discardEditsQuestion, editField, startEdit, draftToForm, editedAfterHint, findingWhere, formFieldOfError, formToDraft, generateBody, generationEnd, generationResult,
  markEdited, messageBesideField, nearCopyMarks, newerJob, parseAge, progressText, splitLines, stepOfField,
  type DialogueLine, type DiversityPair, type Draft, type Job,
} from "./character_wizard";

const draft = (): Draft => ({
  brief: { theme: "lighthouses", audience: "sailors", role: "advisor", different_from: ["Ada"] },
  steps: {
    concept: { name: "Mara Quill", age: 41, role: "keeper", setting: "a rocky coast", pitch: "Keeps the light.", traits: ["calm", "wry"] },
    background: { backstory: "Born at sea.", personality: "Steady.", likes: ["fog", "tea"], dislikes: [] },
    speech: { catchphrases: ["Steady now."], vocabulary: ["lamp"], sentence_style: "short",
              example_dialogues: [{ user: "Storm?", character: "Always." }] },
    greetings: { first_message: "Welcome ashore.", alternates: ["Ahoy.", "Evening."] },
    image: { prompt: "a keeper", negative_prompt: "blurry" },
  },
  stale: ["image"],
});

const job = (fields: Partial<Job>): Job => ({ id: 7, kind: "studio.generate_characters", status: "running", progress: 0, result: null, error: "", ...fields });

const pair = (first: number, second: number, nearCopy: boolean, reason = ""): DiversityPair => ({
  first, second, same_name: false, trait_overlap: 0, text_similarity: 0, near_copy: nearCopy, reason,
});

describe("the brief", () => {
  it("becomes the generate request, blank numbers left to the server's defaults", () => {
    const form = { ...defaultBrief(), theme: " pirates ", audience: "kids ", role: "mascot" as const };
    expect(generateBody(form)).toEqual({ theme: "pirates", audience: "kids", role: "mascot", candidates: 3,
                                         regenerate_near_copies: false, save: false });
    expect(generateBody({ ...form, candidates: "2", seed: "9", temperature: "0.5", regenerateNearCopies: true }))
      .toMatchObject({ candidates: 2, seed: 9, temperature: 0.5, regenerate_near_copies: true });
    expect(generateBody({ ...form, provider: " remote " }).provider).toBe("remote");
    expect("provider" in generateBody(form)).toBe(false);
  });

  it("is checked before anything is sent, each problem by its field", () => {
    const form = { ...defaultBrief(), theme: "t", audience: "a" };
    expect(checkBrief(form)).toEqual({});
    expect(checkBrief({ ...form, candidates: "", seed: "0", temperature: "2" })).toEqual({});
    expect(Object.keys(checkBrief({ ...form, candidates: "21", seed: "-1", temperature: "2.5" })).sort())
      .toEqual(["candidates", "seed", "temperature"]);
    expect(checkBrief({ ...form, candidates: "1.5" }).candidates).toMatch(/1 to 20/);
    expect(checkBrief({ ...form, temperature: "hot" }).temperature).toMatch(/from 0 to 2/);
  });
});

describe("a generation job", () => {
  it("reads its progress in words, step by step", () => {
    expect(progressText(job({ status: "queued" }), 2)).toBe("Waiting for a worker…");
    expect(progressText(job({ status: "queued", error: "provider busy" }), 2)).toBe("Waiting to try again (provider busy)…");
    expect(progressText(job({ progress: 0 }), 2)).toBe("Candidate 1 of 2: concept (step 1 of 5) · 0%");
    expect(progressText(job({ progress: 0.3 }), 2)).toBe("Candidate 1 of 2: greetings (step 4 of 5) · 30%");
    expect(progressText(job({ progress: 0.5 }), 2)).toBe("Candidate 2 of 2: concept (step 1 of 5) · 50%");
    expect(progressText(job({ progress: 1 }), 2)).toBe("Checking the candidates… 100%");
    expect(progressText(job({ progress: 0.4, cancel_requested: true }), 2)).toBe("Cancelling after the current step… 40%");
    expect(progressText(job({ status: "failed", error: "concept: no valid reply" }), 2)).toBe("Generation failed: concept: no valid reply");
    expect(progressText(job({ status: "succeeded", progress: 1 }), 2)).toBe("Done.");
    expect(progressText(job({ progress: Number.NaN }), 0)).toBe("Candidate 1 of 1: concept (step 1 of 5) · 0%");
  });

  it("never goes back from finished to running when an event and a poll cross", () => {
    const done = job({ status: "succeeded", progress: 1, updated_at: 5 });
    expect(newerJob(done, job({ progress: 0.9, updated_at: 4 }))).toBe(done);
    expect(newerJob(job({ progress: 0.9, updated_at: 6 }), job({ progress: 0.5, updated_at: 4 })).progress).toBe(0.9);
    expect(newerJob(job({ progress: 0.5, updated_at: 4 }), done)).toBe(done);
    expect(newerJob(null, done)).toBe(done);
  });

  it("gives its candidates once it succeeded, and nothing for another shape", () => {
    const candidate = { name: "Mara", role: "advisor", age: 41, minor: false, setting: "", pitch: "", traits: [], consistency: [], draft: draft() };
    expect(generationResult(job({ status: "succeeded", result: { candidates: [candidate] } }))).toEqual({
      candidates: [candidate], diversity: { pairs: [], near_copies: [], regenerated: 0 },
    });
    expect(generationResult(job({ result: null }))).toBeNull();
    expect(generationResult(job({ result: { candidates: "no" } }))).toBeNull();
  });

  it("ends with its candidates, or with why there are none", () => {
    const candidate = { name: "Mara", role: "advisor", age: 41, minor: false, setting: "", pitch: "", traits: [], consistency: [], draft: draft() };
    expect(generationEnd(job({ status: "succeeded", result: { candidates: [candidate] } }))).toMatchObject({ result: { candidates: [candidate] } });
    expect(generationEnd(job({ status: "succeeded", result: null })))
      .toEqual({ notice: "The generation finished, but its result could not be read.", error: true });
    expect(generationEnd(job({ status: "failed", error: "no valid reply" }))).toEqual({ notice: "Generation failed: no valid reply", error: true });
    expect(generationEnd(job({ status: "cancelled" }))).toMatchObject({ error: false });
  });

  it("gives back the brief it was queued with, so a reload of its URL shows it", () => {
    const payload = { theme: "lighthouses", audience: "sailors", role: "advisor", candidates: 2, seed: 1, temperature: 0.9,
                      provider: "", regenerate_near_copies: true, save: false };
    expect(briefFromJob(job({ payload }))).toEqual({
      theme: "lighthouses", audience: "sailors", role: "advisor", candidates: "2", seed: "1", temperature: "0.9", provider: "",
      regenerateNearCopies: true,
    });
    // A payload the wizard cannot read in full still gives a brief it can send again.
    expect(briefFromJob(job({ payload: { theme: "t", role: "pirate" } }))).toEqual({
      ...defaultBrief(), theme: "t",
    });
    expect(briefFromJob(job({ kind: "studio.generate_flow", payload }))).toBeNull();
  });
});

describe("near-copy marks", () => {
  it("mark both candidates of each near-copy pair, with the reason", () => {
    const marks = nearCopyMarks([pair(1, 2, false), pair(1, 3, true, "same name 'Ada'"), pair(2, 3, true)], 3);
    expect(marks).toEqual([["Near-copy of #3 (same name 'Ada')"], ["Near-copy of #3"], ["Near-copy of #1 (same name 'Ada')", "Near-copy of #2"]]);
    expect(nearCopyMarks([pair(1, 9, true)], 2)).toEqual([["Near-copy of #9"], []]);
  });
});

describe("a consistency finding", () => {
  it("points at its field, which names its step, without saying the step twice", () => {
    const finding = { severity: "warning", step: "concept", field: "concept.setting", message: "" };
    expect(findingWhere(finding)).toBe("concept.setting");
    expect(findingWhere({ ...finding, field: "setting" })).toBe("concept.setting");
    expect(findingWhere({ ...finding, field: "" })).toBe("concept");
  });
});

describe("a draft as a form", () => {
  it("shows lists one item per line and numbers as text", () => {
    const form = draftToForm(draft());
    expect(form.concept.traits).toBe("calm\nwry");
    expect(form.concept.age).toBe("41");
    expect(form.background.dislikes).toBe("");
    expect(form.greetings.alternates).toBe("Ahoy.\nEvening.");
    expect(form.speech.example_dialogues).toEqual([{ user: "Storm?", character: "Always." }]);
  });

  it("comes back as the same draft when nothing changed, with no stale marks", () => {
    const original = draft();
    expect(formToDraft(draftToForm(original), original)).toEqual({ ...original, stale: [] });
  });

  it("splits lists by line, trimmed, blank lines dropped; blank dialogue lines dropped", () => {
    expect(splitLines("  a \r\n\n b\n   \nc")).toEqual(["a", "b", "c"]);
    const form = draftToForm(draft());
    form.concept.traits = "brave\n\n  curious  \n";
    form.concept.name = "  Nell  ";
    form.concept.age = " 12 ";
    form.speech.example_dialogues = [...(form.speech.example_dialogues as DialogueLine[]), { user: " ", character: "" }, { user: "Hi", character: " Hello " }];
    const saved = formToDraft(form, draft());
    expect(saved.steps.concept).toMatchObject({ name: "Nell", age: 12, traits: ["brave", "curious"] });
    expect(saved.steps.speech!.example_dialogues).toEqual([{ user: "Storm?", character: "Always." }, { user: "Hi", character: "Hello" }]);
    expect(saved.brief).toEqual(draft().brief);
  });

  it("fills a step the draft lacks with empty fields", () => {
    const partial = draft();
    delete partial.steps.image;
    const form = draftToForm(partial);
    expect(form.image).toEqual({ prompt: "", negative_prompt: "" });
    expect(formToDraft(form, partial).steps.image).toEqual({ prompt: "", negative_prompt: "" });
  });

  it("refuses an age or a name the server would refuse", () => {
    expect(parseAge("34")).toBe(34);
    expect(parseAge("0")).toBeNull();
    expect(parseAge("151")).toBeNull();
    expect(parseAge("3.5")).toBeNull();
    expect(parseAge("")).toBeNull();
    const form = draftToForm(draft());
    expect(checkForm(form)).toEqual({});
    form.concept.age = "old";
    form.concept.name = " ";
    expect(Object.keys(checkForm(form)).sort()).toEqual(["concept.age", "concept.name"]);
  });
});

describe("edited after", () => {
  it("marks every later step with the step edited last, and clears the edited one", () => {
    const once = markEdited({}, "background");
    expect(once).toEqual({ speech: "background", greetings: "background", image: "background" });
    expect(markEdited(once, "speech")).toEqual({ greetings: "speech", image: "speech" });
    expect(markEdited(once, "concept")).toEqual({ background: "concept", speech: "concept", greetings: "concept", image: "concept" });
    expect(markEdited({}, "image")).toEqual({});
    expect(editedAfterHint("concept")).toBe("Concept was edited after this step was written: check that it still fits.");
  });
});

describe("edits kept per candidate", () => {
  it("start from the draft as generated, on the concept step", () => {
    const edit = startEdit(2, draft());
    expect(edit).toMatchObject({ number: 2, step: "concept", editedAfter: {}, edited: false });
    expect(edit.form).toEqual(draftToForm(draft()));
  });

  it("know whether the form still differs from the draft, and mark the later steps", () => {
    const renamed = editField(startEdit(1, draft()), draft(), "concept", "name", "Wren");
    expect(renamed.edited).toBe(true);
    expect(renamed.form.concept.name).toBe("Wren");
    expect(renamed.editedAfter.background).toBe("concept");
    const undone = editField(renamed, draft(), "concept", "name", "Mara Quill");
    expect(undone.edited).toBe(false);
    const dialogue = editField(startEdit(1, draft()), draft(), "speech", "example_dialogues", [{ user: "Storm?", character: "Never." }]);
    expect(dialogue.edited).toBe(true);
  });

  it("ask before a new generation discards them, naming the candidates edited", () => {
    const first = editField(startEdit(1, draft()), draft(), "concept", "name", "Wren");
    const third = editField(startEdit(3, draft()), draft(), "image", "prompt", "a lamp");
    expect(discardEditsQuestion([startEdit(2, draft())])).toBeNull();
    expect(discardEditsQuestion([])).toBeNull();
    expect(discardEditsQuestion([third, startEdit(2, draft()), first]))
      .toBe("A new generation discards your edits to candidates #1 (Wren), #3 (Mara Quill). Generate anyway?");
    expect(discardEditsQuestion([first])).toBe("A new generation discards your edits to candidate #1 (Wren). Generate anyway?");
  });

  it("are kept apart per job and candidate", () => {
    expect(candidateEditKey(4, 0)).not.toBe(candidateEditKey(40, 0));
    expect(candidateEditKey(4, 1)).not.toBe(candidateEditKey(4, 0));
  });
});

describe("a save error", () => {
  it("names the form field of its path, or of the schema's message, or the step", () => {
    expect(formFieldOfError("draft.steps.concept.age")).toBe("concept.age");
    expect(formFieldOfError("draft.steps.concept.name", "concept: the name is blank")).toBe("concept.name");
    expect(formFieldOfError("draft.steps.concept", "draft.steps.concept: $.pitch: longer than maxLength")).toBe("concept.pitch");
    expect(formFieldOfError("draft.steps.speech", "draft.steps.speech: $.example_dialogues[0].user: expected a string")).toBe("speech.example_dialogues");
    expect(formFieldOfError("draft.steps.background.likes[2]")).toBe("background.likes");
    expect(formFieldOfError("draft.steps.image", "draft.steps.image: $: property 'style' is not allowed")).toBe("image");
    expect(formFieldOfError("greetings", "the greetings step has not run")).toBe("greetings");
    expect(formFieldOfError("draft.brief.theme")).toBe("brief");
    expect(formFieldOfError("draft")).toBe("");
    expect(formFieldOfError("")).toBe("");
    expect(formFieldOfError("draft.steps.concept.colour")).toBe("concept");
  });

  it("reads beside its field without the path it starts with", () => {
    expect(messageBesideField("draft.steps.concept: $.pitch: longer than maxLength")).toBe("Too long");
    expect(messageBesideField("draft.steps.background: $.dislikes: fewer items than minItems")).toBe("Too few items (is it empty?)");
    expect(messageBesideField("draft.steps.concept: the age must be 1..150, got 200")).toBe("The age must be 1..150, got 200");
    expect(messageBesideField("the greetings step has not run")).toBe("The greetings step has not run");
    expect(messageBesideField("draft.steps.speech: $.example_dialogues[0]: missing required property 'user'"))
      .toBe("Missing required property 'user'");
  });

  it("belongs to a step when its field is in one", () => {
    expect(stepOfField("speech.vocabulary")).toBe("speech");
    expect(stepOfField("image")).toBe("image");
    expect(stepOfField("brief")).toBeNull();
  });
});
