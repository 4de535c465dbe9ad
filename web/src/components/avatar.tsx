import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";

// A character's picture. Images need the API key, which <img src> cannot send, so it is fetched
// and shown from an object URL.
export function Avatar({ characterId, name, version, size = 48 }: { characterId: number; name: string; version?: number; size?: number }) {
  const { api } = useApp();
  const [url, setUrl] = useState("");
  useEffect(() => {
    let objectUrl = "";
    let live = true;
    api.blob(`/api/v1/characters/${characterId}/avatar`)
      .then((blob) => {
        if (!live) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      })
      .catch(() => setUrl("")); // the initial is shown instead; not worth a banner
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [characterId, version]);
  return url ? (
    <img class="avatar" src={url} alt="" width={size} height={size} style={{ width: `${size}px`, height: `${size}px` }} />
  ) : (
    <span class="avatar placeholder" aria-hidden="true" style={{ width: `${size}px`, height: `${size}px` }}>{name.slice(0, 1)}</span>
  );
}
