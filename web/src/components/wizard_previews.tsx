// The Create character wizard's previews: on the image step the picture its prompt would draw, on
// the greetings step the first message spoken, made by the server (POST /api/v1/studio/previews/*)
// and never stored. A preview is shown from an object URL, revoked when another replaces it or the
// wizard's edit step closes, and marked stale once the fields it was made from change.
import { useEffect, useRef, useState } from "preact/hooks";
import type { StepName } from "../lib/character_wizard";
import {
  durationOf, durationText, isStale, previewErrorText, requestKey,
  type PreviewKind, type PreviewRequest,
} from "../lib/previews";
import { useApp } from "../context";

interface Made { url: string; madeFrom: string; label: string; durationMs: number | null }

export interface PreviewState {
  kind: PreviewKind;
  made: Made | null;
  busy: boolean;
  error: string;
  make: (request: PreviewRequest, label: string) => void;
}

// One kind of preview, kept by the edit step (not by the step shown) so a picture made on the image
// step is still there after a look at the greetings.
export function usePreview(kind: PreviewKind): PreviewState {
  const { api } = useApp();
  const [made, setMade] = useState<Made | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const current = useRef<string>("");
  const mounted = useRef(true);

  useEffect(() => () => {
    mounted.current = false;
    if (current.current) URL.revokeObjectURL(current.current);
  }, []);

  function make(request: PreviewRequest, label: string) {
    if (!("body" in request)) return;
    setBusy(true);
    setError("");
    api.jsonForFile("POST", `/api/v1/studio/previews/${kind}`, request.body)
      .then(({ blob, headers }) => {
        if (!mounted.current) return;
        const url = URL.createObjectURL(blob);
        if (current.current) URL.revokeObjectURL(current.current);
        current.current = url;
        setMade({ url, madeFrom: requestKey(request), label, durationMs: durationOf(headers) });
      })
      .catch((problem) => { if (mounted.current) setError(previewErrorText(problem)); })
      .finally(() => { if (mounted.current) setBusy(false); });
  }
  return { kind, made, busy, error, make };
}

const WORDS: Record<PreviewKind, { button: string; busy: string; stale: string }> = {
  picture: { button: "Preview picture", busy: "Drawing…", stale: "The character or the prompt changed after this picture was made." },
  voice: { button: "Preview voice", busy: "Speaking…", stale: "The first message changed after this was spoken." },
};

// The button, why it cannot be pressed yet or why the last try failed, and the preview made.
// request is built from the draft as it stands now; label names what the preview shows.
export function PreviewPanel({ state, request, label }: { state: PreviewState; request: PreviewRequest; label: string }) {
  const words = WORDS[state.kind];
  const { made } = state;
  const stale = made !== null && isStale(made.madeFrom, request);
  const errorId = `${state.kind}-preview-error`;
  return (
    <div class={`wizard-preview ${state.kind}-preview`}>
      <div class="row">
        <button type="button" class="secondary" disabled={state.busy || !("body" in request)} aria-busy={state.busy || undefined}
                aria-describedby={state.error ? errorId : undefined} onClick={() => state.make(request, label)}>
          {state.busy ? words.busy : words.button}
        </button>
        {"problem" in request && <span class="hint">{request.problem}</span>}
        {state.error && <span id={errorId} class="field-error" role="alert">{state.error}</span>}
      </div>
      {made && (
        <figure class={stale ? "stale" : undefined} data-stale={stale || undefined}>
          {state.kind === "picture"
            ? <img class="preview-picture" src={made.url} alt={made.label} />
            : <audio class="preview-voice" controls preload="metadata" src={made.url} aria-label={made.label} />}
          <figcaption>
            {made.durationMs !== null && <span class="hint preview-duration">{durationText(made.durationMs)}</span>}
            {stale && <span class="pill warn" title={words.stale}>stale</span>}
            {stale && <span class="hint">{words.stale}</span>}
          </figcaption>
        </figure>
      )}
    </div>
  );
}

// The previews of the step shown, if it has one.
export function StepPreview({ step, name, picture, voice, pictureRequest, voiceRequest }: {
  step: StepName; name: string; picture: PreviewState; voice: PreviewState;
  pictureRequest: () => PreviewRequest; voiceRequest: () => PreviewRequest;
}) {
  const who = name.trim() || "the character";
  if (step === "image") return <PreviewPanel state={picture} request={pictureRequest()} label={`Preview picture of ${who}`} />;
  if (step === "greetings") return <PreviewPanel state={voice} request={voiceRequest()} label={`${who}'s first message, spoken`} />;
  return null;
}
