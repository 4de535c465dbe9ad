// The agent console's word on how likely a conversation is to need a person, as the server's
// newest handoff model predicted it from the conversation's first messages (stored per
// conversation; GET /api/v1/conversations/{id}/predictions). Nothing when there is none: no model
// trained yet, or a conversation that grew past the messages the model reads before it existed.
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import {
  handoffPrediction, predictionsPath, predictionText, predictionTooltip, type ConversationPrediction, type ConversationPredictions,
} from "../lib/predictions";

// `revision` changes as messages arrive: each reply may store a new prediction, so it is read again.
export function HandoffPrediction({ conversationId, revision }: { conversationId: number; revision: number }) {
  const { api } = useApp();
  const [prediction, setPrediction] = useState<ConversationPrediction | null>(null);
  useEffect(() => {
    let current = true;
    api.json<ConversationPredictions>("GET", predictionsPath(conversationId))
      .then((answer) => { if (current) setPrediction(handoffPrediction(answer.predictions)); })
      // A hint beside the conversation, not worth a banner over it: a failed read shows nothing.
      .catch(() => {});
    return () => { current = false; };
  }, [conversationId, revision]);
  if (!prediction) return null;
  // The title is the tooltip, and the accessible description of the text it sits on.
  return (
    <span class="pill prediction-badge" data-testid="handoff-prediction" data-model={prediction.model_id}
          title={predictionTooltip(prediction)}>
      {predictionText(prediction)}
    </span>
  );
}
