// Outcome prediction as the pages use it: the stored predictors with their held-out reports
// (GET /api/v1/analytics/outcome-models), the training form and job (POST, analytics.train_outcomes),
// and a conversation's stored predictions (GET /api/v1/conversations/{id}/predictions); the figures'
// formatting and the models table's CSV.
import { toCsv } from "./csv";
import type { Job } from "./jobs";

export type Outcome = "handoff" | "return" | "good_end";
export const OUTCOMES: Outcome[] = ["handoff", "return", "good_end"];

// What each outcome predicts, in the words of the page.
export const outcomeTitles: Record<Outcome, string> = {
  handoff: "Needs a person (handoff)",
  return: "Comes back (return)",
  good_end: "Ends well (good_end)",
};

// Predicted probabilities in [low, high) (the last bin includes 1); only non-empty bins are reported.
export interface CalibrationBin {
  low: number;
  high: number;
  count: number;
  mean_predicted: number;
  observed_rate: number;
}

export interface FeatureGain {
  feature: string;
  gain: number;
}

// The held-out report (analytics/outcome_training.cpp): decisions at `threshold`, ranking (auc),
// calibration (brier and the bins), and each feature's total gain, largest first.
export interface OutcomeReport {
  train_examples: number;
  test_examples: number;
  test_positives: number;
  auc: number;
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  brier: number;
  calibration: CalibrationBin[];
  feature_importance: FeatureGain[];
}

export interface OutcomeModel {
  id: number;
  outcome: Outcome;
  first_messages: number;
  return_days: number;
  features: number;
  examples: number;
  report: OutcomeReport;
  created_at: number;
}

export interface ConversationPrediction {
  outcome: Outcome;
  probability: number;
  model_id: number;
  messages_seen: number;
  created_at: number;
  updated_at: number;
}

export interface ConversationPredictions {
  conversation_id: number;
  predictions: ConversationPrediction[];
}

export const outcomeModelsPath = "/api/v1/analytics/outcome-models";

export const predictionsPath = (conversationId: number) => `/api/v1/conversations/${conversationId}/predictions`;

// The server stores each report as JSON and answers it parsed; one that did not parse comes back
// empty or null. Such a model is still listed, its figures missing ("–") rather than the page failing.
export function withReport(model: OutcomeModel): OutcomeModel {
  const given = (model.report ?? {}) as Partial<OutcomeReport>;
  const number = (value: unknown) => (typeof value === "number" ? value : Number.NaN);
  return {
    ...model,
    report: {
      train_examples: number(given.train_examples), test_examples: number(given.test_examples),
      test_positives: number(given.test_positives), auc: number(given.auc), threshold: number(given.threshold),
      precision: number(given.precision), recall: number(given.recall), f1: number(given.f1),
      accuracy: number(given.accuracy), brier: number(given.brier),
      calibration: Array.isArray(given.calibration) ? given.calibration : [],
      feature_importance: Array.isArray(given.feature_importance) ? given.feature_importance : [],
    },
  };
}

// Newest first: the order the server lists them in and the one the runtime picks by.
function newerFirst(a: OutcomeModel, b: OutcomeModel): number {
  return b.created_at - a.created_at || b.id - a.id;
}

export function sortedModels(models: OutcomeModel[]): OutcomeModel[] {
  return [...models].sort(newerFirst);
}

// The newest model of each outcome, in OUTCOMES' order: the one in use.
export function newestModels(models: OutcomeModel[]): OutcomeModel[] {
  const sorted = sortedModels(models);
  return OUTCOMES.flatMap((outcome) => sorted.find((model) => model.outcome === outcome) ?? []);
}

// "0.873"; "–" for a figure the report lacks.
export function formatFigure(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(3) : "–";
}

// "83%"; a probability that would round to 0% or 100% without being it says "<1%" or ">99%",
// since a model is never that sure.
export function formatProbability(probability: number): string {
  const percent = Math.round(probability * 100);
  if (percent <= 0 && probability > 0) return "<1%";
  if (percent >= 100 && probability < 1) return ">99%";
  return `${Math.min(100, Math.max(0, percent))}%`;
}

export interface HeldOutFigure {
  key: string;   // the report's field, for tests and the CSV
  label: string;
  value: string;
  hint: string;  // what the figure means, for its tooltip
}

export function heldOutFigures(model: OutcomeModel): HeldOutFigure[] {
  const r = model.report;
  const at = `at a threshold of ${r.threshold}`;
  return [
    { key: "auc", label: "AUC", value: formatFigure(r.auc), hint: "ROC AUC: 0.5 is chance, 1 ranks every positive above every negative" },
    { key: "precision", label: "Precision", value: formatFigure(r.precision), hint: `share of predicted positives that were, ${at}` },
    { key: "recall", label: "Recall", value: formatFigure(r.recall), hint: `share of positives predicted, ${at}` },
    { key: "f1", label: "F1", value: formatFigure(r.f1), hint: `harmonic mean of precision and recall, ${at}` },
    { key: "accuracy", label: "Accuracy", value: formatFigure(r.accuracy), hint: `share of right decisions, ${at}` },
    { key: "brier", label: "Brier", value: formatFigure(r.brier), hint: "mean squared error of the probabilities: lower is better" },
    { key: "test_examples", label: "Held-out examples", value: Number.isFinite(r.test_examples) ? String(r.test_examples) : "–",
      hint: `${r.test_positives} of them positive; ${r.train_examples} more trained on` },
  ];
}

export function modelsCsv(models: OutcomeModel[]): string {
  return toCsv(
    ["id", "created_at", "outcome", "first_messages", "return_days", "features", "examples", "train_examples", "test_examples",
     "test_positives", "auc", "threshold", "precision", "recall", "f1", "accuracy", "brier"],
    sortedModels(models).map((m) => [
      m.id, new Date(m.created_at).toISOString(), m.outcome, m.first_messages, m.return_days, m.features, m.examples,
      m.report.train_examples, m.report.test_examples, m.report.test_positives, m.report.auc, m.report.threshold,
      m.report.precision, m.report.recall, m.report.f1, m.report.accuracy, m.report.brier,
    ]));
}

// ---- Training ----

// The form as typed: blank fields are left to the server's defaults.
export interface TrainForm {
  outcome: Outcome;
  firstMessages: string;
  returnDays: string;
  testShare: string;
  seed: string;
}

export const defaultTrainForm: TrainForm = { outcome: "handoff", firstMessages: "", returnDays: "", testShare: "", seed: "" };

export interface TrainBody {
  outcome: Outcome;
  first_messages?: number;
  return_days?: number;
  test_share?: number;
  seed?: number;
}

// The request body, or an error per field (keyed by the body's field name) in the server's bounds.
export function trainBody(form: TrainForm): { body: TrainBody; errors: Record<string, string> } {
  const body: TrainBody = { outcome: form.outcome };
  const errors: Record<string, string> = {};
  const integer = (text: string, field: "first_messages" | "return_days" | "seed", low: number, high: number) => {
    if (text.trim() === "") return;
    const value = Number(text.trim());
    if (!Number.isInteger(value) || value < low || value > high) {
      errors[field] = Number.isFinite(high) ? `a whole number from ${low} to ${high}` : `a whole number, ${low} or more`;
    } else {
      body[field] = value;
    }
  };
  integer(form.firstMessages, "first_messages", 1, 1000);
  integer(form.returnDays, "return_days", 1, 3650);
  integer(form.seed, "seed", 0, Infinity);
  if (form.testShare.trim() !== "") {
    const share = Number(form.testShare.trim());
    if (!(share > 0 && share < 1)) errors.test_share = "a share between 0 and 1, such as 0.25";
    else body.test_share = share;
  }
  return { body, errors };
}

// The training job's result: the stored model's id, or null when the result cannot be read.
export function trainedModelId(job: Job): number | null {
  const result = job.result as { model_id?: unknown } | null;
  return result && typeof result.model_id === "number" ? result.model_id : null;
}

// A job's error without the status code's name the server puts first ("failed_precondition: ...").
export function jobReason(job: Job): string {
  return (job.error || "no reason given").replace(/^[a-z_]+: /, "");
}

export function trainingJobText(job: Job): string {
  switch (job.status) {
    case "queued": return job.error ? `Waiting to try again (${jobReason(job)})…` : "Waiting for a worker…";
    case "succeeded": return "Done.";
    case "failed": return `Training failed: ${jobReason(job)}`;
    case "cancelled": return "Cancelled.";
    default: {
      const percent = `${Math.round(Math.min(1, Math.max(0, job.progress || 0)) * 100)}%`;
      return job.cancel_requested ? `Cancelling… ${percent}` : `Reading conversations and training… ${percent}`;
    }
  }
}

// ---- A conversation's prediction, for the agent console ----

export function handoffPrediction(predictions: ConversationPrediction[]): ConversationPrediction | null {
  const handoff = predictions.filter((p) => p.outcome === "handoff");
  return handoff.length === 0 ? null : handoff.reduce((a, b) => (b.updated_at > a.updated_at ? b : a));
}

export const predictionText = (prediction: ConversationPrediction) =>
  `likely to need a person: ${formatProbability(prediction.probability)}`;

export function predictionTooltip(prediction: ConversationPrediction): string {
  const messages = prediction.messages_seen === 1 ? "message" : "messages";
  return `Model #${prediction.model_id}, from the first ${prediction.messages_seen} ${messages}`;
}
