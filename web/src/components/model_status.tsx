// Whether the server has a model loaded, which one, its context and memory (from /readyz), in
// the top bar; without one, the server's hint on how to get one.
import { useEffect, useState } from "preact/hooks";
import { describeModel, type ModelReport } from "../lib/readiness";

export function ModelStatus({ verbose = false }: { verbose?: boolean }) {
  const [report, setReport] = useState<ModelReport | undefined>();
  const [checked, setChecked] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    fetch("/readyz", { signal: controller.signal })
      .then((response) => response.json())
      .then((body: { details?: { model?: ModelReport } }) => setReport(body.details?.model))
      .catch(() => {})
      .finally(() => setChecked(true));
    return () => controller.abort();
  }, []);
  if (!checked) return null;
  const { ok, text, detail } = describeModel(report);
  return (
    <span class={`model-status${ok ? "" : " warn"}`} role="status" title={detail}>
      <span class="dot" aria-hidden="true" />
      {text}
      {!ok && detail && (verbose ? <span class="detail">{detail}</span> : <span class="visually-hidden">: {detail}</span>)}
    </span>
  );
}
