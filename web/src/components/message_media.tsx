// A reply's voice messages and pictures (metadata.media). The files need the API key, which
// <audio src> and <img src> cannot send, so each is fetched and shown from an object URL.
import { useEffect, useState } from "preact/hooks";
import type { Message } from "../lib/api";
import type { MediaItem } from "../lib/chat_model";
import { useApp } from "../context";

function MediaFile({ path, item, name }: { path: string; item: MediaItem; name: string }) {
  const { api } = useApp();
  const [url, setUrl] = useState("");
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let objectUrl = "";
    let live = true;
    api.blob(path)
      .then((blob) => {
        if (!live) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      })
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [path]);
  if (failed) return <p class="hint">The {item.kind === "voice" ? "voice message" : "picture"} could not be loaded.</p>;
  if (!url) return <p class="hint" aria-busy="true">Loading the {item.kind === "voice" ? "voice message" : "picture"}…</p>;
  return item.kind === "voice"
    ? <audio class="voice-message" controls preload="metadata" src={url} aria-label={`Voice message from ${name}`} />
    : <img class="reply-picture" src={url} alt={`A picture from ${name}`} />;
}

export function MessageMedia({ message, items, name }: { message: Message; items: MediaItem[]; name: string }) {
  const base = `/api/v1/conversations/${message.conversation_id}/messages/${message.id}/media`;
  return (
    <div class="message-media">
      {items.map((item) => item.error
        ? <p class="hint" key={item.index} title={item.error}>
            {item.kind === "voice" ? "The voice message could not be made." : "The picture could not be made."}
          </p>
        : <MediaFile key={item.index} path={`${base}/${item.index}`} item={item} name={name} />)}
    </div>
  );
}
