// The studio: every character (drafts too), card import by file picker or drag-and-drop (JSON or
// PNG), export, and the editor for every card field, the lorebook, the avatar and the flow (checked
// as it is typed, errors beside the field, with tools to generate or optimize it), with a playground
// to try a draft before publishing.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Character, type CharacterBook, type Conversation, type LorebookEntry } from "../lib/api";
import { useApp } from "../context";
import { Avatar } from "../components/avatar";
import { FlowGenerator, FlowOptimizer } from "../components/flow_tools";
import { cardMarksMinor } from "../lib/flow_tools";

async function importFile(api: ReturnType<typeof useApp>["api"], file: File): Promise<Character> {
  const isPng = file.type === "image/png" || file.name.toLowerCase().endsWith(".png");
  if (isPng) return api.upload<Character>("POST", "/api/v1/characters", file, "image/png");
  const text = await file.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file.name} is neither a card PNG nor JSON`);
  }
  return api.json<Character>("POST", "/api/v1/characters", parsed);
}

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function StudioList() {
  const { api, navigate, report } = useApp();
  const [characters, setCharacters] = useState<Character[] | null>(null);
  const [dragging, setDragging] = useState(false);
  const [notice, setNotice] = useState("");
  const picker = useRef<HTMLInputElement>(null);

  const load = () => api.all<Character>("/api/v1/characters").then(setCharacters).catch(report);
  useEffect(() => { load(); }, []);

  async function importFiles(files: FileList | File[]) {
    for (const file of Array.from(files)) {
      try {
        const created = await importFile(api, file);
        setNotice(`Imported ${created.name}.`);
      } catch (error) {
        report(error instanceof ApiError ? new Error(`${file.name}: ${error.message}`) : error);
      }
    }
    load();
  }

  return (
    <section class={`studio${dragging ? " dragging" : ""}`}
             onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
             onDragLeave={() => setDragging(false)}
             onDrop={(e) => { e.preventDefault(); setDragging(false); if (e.dataTransfer?.files) importFiles(e.dataTransfer.files); }}>
      <div class="toolbar">
        <h1>Studio</h1>
        <button type="button" onClick={() => navigate({ page: "create" })}>Create character</button>
        <button type="button" class="secondary" onClick={() => navigate({ page: "character", characterId: "new" })}>New character</button>
        <button type="button" class="secondary" onClick={() => picker.current?.click()}>Import card…</button>
        <input ref={picker} type="file" accept=".png,.json,image/png,application/json" multiple hidden aria-label="Card file"
               onChange={(e) => { const files = (e.target as HTMLInputElement).files; if (files) importFiles(files); (e.target as HTMLInputElement).value = ""; }} />
      </div>
      <p class="hint">Drop Character Card PNG or JSON files (V1, V2, V3) anywhere here to import them.</p>
      {notice && <p class="banner info" role="status">{notice}</p>}
      <nav class="studio-sections" aria-label="Studio sections">
        <span aria-current="page">Characters</span>
        <a href="/studio/campaigns" onClick={(e) => { e.preventDefault(); navigate({ page: "campaigns" }); }}>Campaigns</a>
        <a href="/studio/create" onClick={(e) => { e.preventDefault(); navigate({ page: "create" }); }}>Generate</a>
        <a href="/studio/jobs" onClick={(e) => { e.preventDefault(); navigate({ page: "jobs" }); }}>Jobs</a>
        <a href="/studio/experiments" onClick={(e) => { e.preventDefault(); navigate({ page: "experiments" }); }}>Experiments</a>
        <a href="/studio/bias" onClick={(e) => { e.preventDefault(); navigate({ page: "bias" }); }}>Bias review</a>
        <span class="soon" title="coming with analytics">Analytics</span>
      </nav>
      {characters === null ? <p class="empty">Loading…</p> : characters.length === 0 ? <p class="empty">No characters yet.</p> : (
        <table class="characters">
          <thead><tr><th></th><th>Name</th><th>Tags</th><th>Status</th><th></th></tr></thead>
          <tbody>
            {characters.map((c) => (
              <tr key={c.id}>
                <td><Avatar characterId={c.id} name={c.name} version={c.version} size={32} /></td>
                <td><a href={`/studio/${c.id}`} onClick={(e) => { e.preventDefault(); navigate({ page: "character", characterId: c.id }); }}>{c.name}</a></td>
                <td class="hint">{c.tags.join(", ")}</td>
                <td>{c.published ? "published" : <span class="pill">draft</span>}</td>
                <td class="row">
                  <button type="button" class="ghost" onClick={() => api.blob(`/api/v1/characters/${c.id}/card.png`).then((b) => download(b, `${c.slug}.png`)).catch(report)}>PNG</button>
                  <button type="button" class="ghost" onClick={() => api.blob(`/api/v1/characters/${c.id}/card`).then((b) => download(b, `${c.slug}.json`)).catch(report)}>JSON</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

type Draft = Omit<Character, "id" | "slug" | "version" | "avatar"> & { id?: number; version?: number; slug?: string };

const blank: Draft = {
  name: "", nickname: "", description: "", personality: "", scenario: "", first_mes: "", mes_example: "",
  creator_notes: "", system_prompt: "", post_history_instructions: "", alternate_greetings: [], character_book: null,
  tags: [], creator: "", character_version: "", extensions: {}, flow: "", published: false,
  source: [], group_only_greetings: [], creator_notes_multilingual: null,
};

// A list of texts (greetings): one box each, added and removed.
function TextList({ label, item, values, onChange }: { label: string; item: string; values: string[]; onChange: (values: string[]) => void }) {
  return (
    <fieldset class="list-field">
      <legend>{label}</legend>
      {values.map((value, i) => (
        <div class="row" key={i}>
          <textarea aria-label={`${item} ${i + 1}`} value={value}
                    onInput={(e) => onChange(values.map((v, j) => (j === i ? (e.target as HTMLTextAreaElement).value : v)))} />
          <button type="button" class="ghost" aria-label={`Remove ${item.toLowerCase()} ${i + 1}`} onClick={() => onChange(values.filter((_, j) => j !== i))}>×</button>
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => onChange([...values, ""])}>Add {item.toLowerCase()}</button>
    </fieldset>
  );
}

interface FlowCheck {
  valid: boolean;
  stages?: string[];
  error?: { field: string; message: string };
}

const textFields: Array<[keyof Draft, string, boolean]> = [
  ["nickname", "Nickname", false], ["description", "Description", true], ["personality", "Personality", true],
  ["scenario", "Scenario", true], ["first_mes", "First message", true], ["mes_example", "Example dialogues (<START> between them)", true],
  ["system_prompt", "System prompt", true], ["post_history_instructions", "Post-history instructions", true],
  ["creator_notes", "Creator notes", true], ["creator", "Creator", false], ["character_version", "Version", false],
];

export function CharacterPage({ characterId }: { characterId: number | "new" }) {
  const { api, navigate, report } = useApp();
  const [draft, setDraft] = useState<Draft | null>(characterId === "new" ? { ...blank } : null);
  const [avatarVersion, setAvatarVersion] = useState(0);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [extensionsText, setExtensionsText] = useState("{}");
  const [multilingualText, setMultilingualText] = useState("");
  const [flowCheck, setFlowCheck] = useState<FlowCheck | null>(null);
  // The flow as stored: the optimizer measures and edits that one, not the field.
  const [savedFlow, setSavedFlow] = useState("");
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState("");
  const checkTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    if (characterId === "new") return;
    api.json<Character>("GET", `/api/v1/characters/${characterId}`).then((c) => {
      setDraft(c);
      setSavedFlow(c.flow);
      setExtensionsText(JSON.stringify(c.extensions ?? {}, null, 2));
      setMultilingualText(c.creator_notes_multilingual ? JSON.stringify(c.creator_notes_multilingual, null, 2) : "");
      setAvatarVersion(c.version);
    }).catch(report);
  }, [characterId]);

  useEffect(() => {
    if (!draft) return;
    clearTimeout(checkTimer.current);
    checkTimer.current = setTimeout(() => {
      let extensions: unknown = {};
      try { extensions = JSON.parse(extensionsText); } catch { return; }
      api.json<FlowCheck>("POST", "/api/v1/flows/check", { flow: draft.flow, extensions }).then(setFlowCheck).catch(report);
    }, 400);
    return () => clearTimeout(checkTimer.current);
  }, [draft?.flow, extensionsText]);

  if (!draft) return <p class="empty">Loading…</p>;
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft({ ...draft, [key]: value });
  const book: CharacterBook = draft.character_book ?? { entries: [] };
  const setEntries = (entries: LorebookEntry[]) => set("character_book", entries.length === 0 && !draft.character_book?.name ? null : { ...book, entries });

  async function save(event: Event) {
    event.preventDefault();
    if (!draft) return;
    setSaving(true);
    setSaved("");
    setFieldErrors({});
    let extensions: Record<string, unknown>;
    try {
      extensions = JSON.parse(extensionsText);
      if (typeof extensions !== "object" || extensions === null || Array.isArray(extensions)) throw new Error();
    } catch {
      setFieldErrors({ extensions: "Extensions must be a JSON object." });
      setSaving(false);
      return;
    }
    let multilingual: unknown = null;
    if (multilingualText.trim()) {
      try {
        multilingual = JSON.parse(multilingualText);
        if (typeof multilingual !== "object" || multilingual === null || Array.isArray(multilingual)) throw new Error();
      } catch {
        setFieldErrors({ creator_notes_multilingual: "Creator notes by language must be a JSON object of texts." });
        setSaving(false);
        return;
      }
    }
    const { id, version, slug: _slug, ...fields } = draft as Draft & { avatar?: string; created_at?: number; updated_at?: number };
    const body: Record<string, unknown> = {};
    for (const key of ["name", "nickname", "description", "personality", "scenario", "first_mes", "mes_example", "creator_notes",
                       "system_prompt", "post_history_instructions", "alternate_greetings", "character_book", "tags", "creator",
                       "character_version", "flow", "published", "source", "group_only_greetings"] as const) body[key] = fields[key];
    body.extensions = extensions;
    body.creator_notes_multilingual = multilingual;
    try {
      const stored = id
        ? await api.json<Character>("PATCH", `/api/v1/characters/${id}`, { ...body, version })
        : await api.json<Character>("POST", "/api/v1/characters", body);
      setDraft(stored);
      setSavedFlow(stored.flow);
      setSaved("Saved.");
      if (!id) navigate({ page: "character", characterId: stored.id });
    } catch (error) {
      if (error instanceof ApiError && error.field) {
        const top = error.field.split(/[.[]/)[0];
        setFieldErrors({ [top]: error.message });
      }
      report(error);
    } finally {
      setSaving(false);
    }
  }

  async function uploadAvatar(file: File) {
    if (!draft?.id) return;
    try {
      const updated = await api.upload<Character>("PUT", `/api/v1/characters/${draft.id}/avatar`, file, "image/png");
      setDraft({ ...draft, version: updated.version });
      setAvatarVersion(updated.version);
      setSaved("Picture updated.");
    } catch (error) {
      report(error);
    }
  }

  async function playground() {
    if (!draft?.id) return;
    try {
      const conversation = await api.json<Conversation>("POST", "/api/v1/conversations", { character_id: draft.id, title: "Playground" });
      navigate({ page: "chat", conversationId: conversation.id });
    } catch (error) {
      report(error);
    }
  }

  const error = (field: string) => fieldErrors[field] && <p class="field-error" role="alert">{fieldErrors[field]}</p>;
  const flowError = flowCheck && !flowCheck.valid ? flowCheck.error : undefined;
  const minor = (() => { try { return cardMarksMinor(JSON.parse(extensionsText)); } catch { return false; } })();

  return (
    <form class="editor" onSubmit={save}>
      <div class="toolbar">
        <h1>{draft.id ? `Edit ${draft.name || "character"}` : "New character"}</h1>
        <label class="inline"><input type="checkbox" checked={draft.published} onChange={(e) => set("published", (e.target as HTMLInputElement).checked)} /> Published</label>
        <button type="submit" disabled={saving}>{saving ? "Saving…" : "Save"}</button>
        {draft.id && <button type="button" class="secondary" onClick={playground}>Try in playground</button>}
        {saved && <span class="hint" role="status">{saved}</span>}
      </div>
      <div class="columns">
        <fieldset>
          <legend>Card</legend>
          {draft.id && (
            <div class="avatar-row">
              <Avatar characterId={draft.id} name={draft.name} version={avatarVersion} size={96} />
              <label>Picture (PNG)
                <input type="file" accept="image/png" aria-label="Upload picture"
                       onChange={(e) => { const file = (e.target as HTMLInputElement).files?.[0]; if (file) uploadAvatar(file); }} />
              </label>
            </div>
          )}
          <label>Name<input name="name" required value={draft.name} onInput={(e) => set("name", (e.target as HTMLInputElement).value)} /></label>
          {error("name")}
          {textFields.map(([key, label, multiline]) => (
            <label key={key}>{label}
              {multiline
                ? <textarea name={key} value={draft[key] as string} onInput={(e) => set(key, (e.target as HTMLTextAreaElement).value as never)} />
                : <input name={key} value={draft[key] as string} onInput={(e) => set(key, (e.target as HTMLInputElement).value as never)} />}
              {error(key)}
            </label>
          ))}
          <label>Tags (comma-separated)
            <input name="tags" value={draft.tags.join(", ")} onInput={(e) => set("tags", (e.target as HTMLInputElement).value.split(",").map((t) => t.trim()).filter(Boolean))} />
          </label>
          <TextList label="Alternate greetings" item="Greeting" values={draft.alternate_greetings}
                    onChange={(values) => set("alternate_greetings", values)} />
          <TextList label="Group-only greetings (V3)" item="Group greeting" values={draft.group_only_greetings ?? []}
                    onChange={(values) => set("group_only_greetings", values)} />
          <label>Sources (V3, one per line)
            <textarea name="source" value={(draft.source ?? []).join("\n")}
                      onInput={(e) => set("source", (e.target as HTMLTextAreaElement).value.split("\n").map((t) => t.trim()).filter(Boolean))} />
          </label>
          <label>Creator notes by language (V3, JSON: {"{"}"fr": "…"{"}"})
            <textarea name="creator_notes_multilingual" class="code" value={multilingualText}
                      onInput={(e) => setMultilingualText((e.target as HTMLTextAreaElement).value)} />
            {error("creator_notes_multilingual")}
          </label>
          <label>Extensions (JSON)
            <textarea name="extensions" class="code" value={extensionsText} onInput={(e) => setExtensionsText((e.target as HTMLTextAreaElement).value)} />
            {error("extensions")}
          </label>
        </fieldset>
        <div>
          <fieldset>
            <legend>Flow</legend>
            <p class="hint">YAML: stages with prompts, sampling, reply style and transitions (docs/flows.md). Empty: the default flow.</p>
            <textarea name="flow" class="code flow" aria-label="Flow YAML" aria-invalid={flowError ? "true" : "false"}
                      aria-describedby="flow-status" value={draft.flow} onInput={(e) => set("flow", (e.target as HTMLTextAreaElement).value)} />
            <p id="flow-status" class={flowError ? "field-error" : "hint"} role={flowError ? "alert" : "status"}>
              {flowCheck === null ? "Checking…" : flowError ? flowError.message : `Valid: ${flowCheck.stages?.join(" → ") ?? ""}`}
            </p>
            {error("flow")}
            <FlowGenerator minor={minor} onUse={(flow) => set("flow", flow)} />
            {draft.id && savedFlow.trim() !== "" && (
              <FlowOptimizer characterId={draft.id} savedFlow={savedFlow} fieldFlow={draft.flow} onApply={(flow) => set("flow", flow)} />
            )}
          </fieldset>
          <fieldset>
            <legend>Lorebook</legend>
            {book.entries.map((entry, i) => (
              <div class="entry" key={i}>
                <label>Keys (comma-separated)
                  <input aria-label={`Entry ${i + 1} keys`} value={entry.keys.join(", ")}
                         onInput={(e) => setEntries(book.entries.map((x, j) => (j === i ? { ...x, keys: (e.target as HTMLInputElement).value.split(",").map((k) => k.trim()).filter(Boolean) } : x)))} />
                </label>
                <label>Content
                  <textarea aria-label={`Entry ${i + 1} content`} value={entry.content}
                            onInput={(e) => setEntries(book.entries.map((x, j) => (j === i ? { ...x, content: (e.target as HTMLTextAreaElement).value } : x)))} />
                </label>
                <div class="row">
                  <label class="inline"><input type="checkbox" checked={entry.enabled !== false}
                         onChange={(e) => setEntries(book.entries.map((x, j) => (j === i ? { ...x, enabled: (e.target as HTMLInputElement).checked } : x)))} /> Enabled</label>
                  <label class="inline">Order <input type="number" class="narrow" value={entry.insertion_order ?? 100}
                         onInput={(e) => setEntries(book.entries.map((x, j) => (j === i ? { ...x, insertion_order: Number((e.target as HTMLInputElement).value) } : x)))} /></label>
                  <button type="button" class="ghost" onClick={() => setEntries(book.entries.filter((_, j) => j !== i))}>Remove entry</button>
                </div>
              </div>
            ))}
            <button type="button" class="secondary" onClick={() => setEntries([...book.entries, { keys: [], content: "", enabled: true, insertion_order: 100, extensions: {} }])}>Add entry</button>
            {error("character_book")}
          </fieldset>
        </div>
      </div>
    </form>
  );
}
