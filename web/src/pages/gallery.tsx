// The character gallery (pictures, tags, search) and the user's conversations.
import { useEffect, useState } from "preact/hooks";
import type { Character, Conversation } from "../lib/api";
import { useApp } from "../context";
import { Avatar } from "../components/avatar";
import { expandMacros } from "../lib/macros";

export function Gallery() {
  const { api, navigate, report, session } = useApp();
  const [characters, setCharacters] = useState<Character[] | null>(null);
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState("");
  const [starting, setStarting] = useState(0);
  const isClient = session.scopes.includes("client") && !session.scopes.includes("admin");

  useEffect(() => {
    api.all<Character>(isClient ? "/api/v1/characters" : "/api/v1/characters?published=true").then(setCharacters).catch(report);
    if (isClient) api.all<Conversation>("/api/v1/conversations").then(setConversations).catch(report);
  }, []);

  async function start(character: Character) {
    setStarting(character.id);
    try {
      const conversation = await api.json<Conversation>("POST", "/api/v1/conversations", { character_id: character.id });
      navigate({ page: "chat", conversationId: conversation.id });
    } catch (error) {
      report(error);
    } finally {
      setStarting(0);
    }
  }

  const words = search.trim().toLowerCase();
  const shown = (characters ?? []).filter((c) =>
    (!tag || c.tags.includes(tag)) &&
    (!words || [c.name, c.nickname, expandMacros(c.description, c.name), ...c.tags].some((text) => text.toLowerCase().includes(words))));
  const tags = [...new Set((characters ?? []).flatMap((c) => c.tags))].sort().slice(0, 30);
  const byId = new Map((characters ?? []).map((c) => [c.id, c]));

  return (
    <section class="gallery">
      <div class="toolbar">
        <h1>Characters</h1>
        <input type="search" placeholder="Search characters" aria-label="Search characters" value={search}
               onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
      </div>
      {tags.length > 0 && (
        <div class="tags" role="group" aria-label="Filter by tag">
          {tags.map((t) => (
            <button type="button" class={`tag${t === tag ? " selected" : ""}`} aria-pressed={t === tag}
                    onClick={() => setTag(t === tag ? "" : t)}>{t}</button>
          ))}
        </div>
      )}
      {characters === null ? <p class="empty">Loading…</p> : shown.length === 0 ? (
        <p class="empty">{characters.length === 0 ? "No published characters yet. Import one in the studio." : "No character matches."}</p>
      ) : (
        <ul class="cards">
          {shown.map((c) => (
            <li class="card character-card" key={c.id}>
              <Avatar characterId={c.id} name={c.name} version={c.version} size={72} />
              <div class="body">
                <h2>{c.name}</h2>
                <Description text={expandMacros(c.description, c.name)} />
                <div class="tags small">{c.tags.slice(0, 5).map((t) => <span class="tag">{t}</span>)}</div>
              </div>
              <button type="button" onClick={() => start(c)} disabled={starting !== 0} aria-label={`Chat with ${c.name}`}>
                {starting === c.id ? "Starting…" : "Chat"}
              </button>
            </li>
          ))}
        </ul>
      )}
      {conversations.length > 0 && (
        <>
          <h2>Your conversations</h2>
          <ul class="list">
            {conversations.map((conversation) => (
              <li key={conversation.id}>
                <a href={`/chat/${conversation.id}`} onClick={(e) => { e.preventDefault(); navigate({ page: "chat", conversationId: conversation.id }); }}>
                  {byId.get(conversation.character_id)?.name ?? `Character ${conversation.character_id}`}
                  <span class="hint"> · {conversation.message_count} messages · {conversation.stage || "start"}</span>
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

// A description as the gallery shows it: its first 160 characters, macros already expanded.
function Description({ text }: { text: string }) {
  return <p class="description">{text.slice(0, 160)}{text.length > 160 ? "…" : ""}</p>;
}
