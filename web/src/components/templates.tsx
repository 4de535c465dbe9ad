// The agent console's template picker: the character's response templates by intent; inserting
// one renders it for the conversation (profile, latest tool results, the model for the rest) and
// puts the text in the reply box, where the agent edits it before sending.
import { useEffect, useState } from "preact/hooks";
import { groupByIntent, parseTemplateKey, renderPath, templateKey, templateLabel, templatesPath,
         type RenderedTemplate, type ResponseTemplate } from "../lib/templates";
import { useApp } from "../context";

export function TemplatePicker({ conversationId, characterId, disabled, onInsert }:
  { conversationId: number; characterId: number; disabled: boolean; onInsert: (text: string) => void }) {
  const { api, report } = useApp();
  const [templates, setTemplates] = useState<ResponseTemplate[]>([]);
  const [chosen, setChosen] = useState("");
  const [rendering, setRendering] = useState(false);
  const [unfilled, setUnfilled] = useState<string[]>([]);

  useEffect(() => {
    let live = true;
    api.json<{ data: ResponseTemplate[] }>("GET", templatesPath(characterId))
      .then((list) => { if (live) { setTemplates(list.data); setChosen(list.data[0] ? templateKey(list.data[0]) : ""); } })
      .catch((error) => { if (live) report(error); });
    return () => { live = false; };
  }, [characterId]);

  async function insert() {
    const picked = parseTemplateKey(chosen);
    if (!picked) return;
    setRendering(true);
    try {
      const rendered = await api.json<RenderedTemplate>("POST", renderPath(conversationId), picked);
      setUnfilled(rendered.unfilled);
      onInsert(rendered.text);
    } catch (error) {
      report(error);
    } finally {
      setRendering(false);
    }
  }

  if (templates.length === 0) return null;
  return (
    <div class="template-picker">
      <select aria-label="Templates" value={chosen} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
        {groupByIntent(templates).map(([intent, list]) => (
          <optgroup key={intent} label={intent}>
            {list.map((t) => <option key={templateKey(t)} value={templateKey(t)} title={t.text}>{templateLabel(t)}</option>)}
          </optgroup>
        ))}
      </select>
      <button type="button" class="secondary" disabled={disabled || rendering || !chosen} onClick={insert}>
        {rendering ? "Filling…" : "Insert template"}
      </button>
      {unfilled.length > 0 && <span class="hint">Fill in: {unfilled.map((slot) => `{${slot}}`).join(", ")}</span>}
    </div>
  );
}
