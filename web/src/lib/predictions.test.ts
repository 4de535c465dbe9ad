import { describe, expect, it } from "vitest";
import type { Job } from "./jobs";
import {
  formatFigure, formatProbability, handoffPrediction, heldOutFigures, jobReason, modelsCsv, newestModels, predictionText,
  predictionTooltip, trainBody, trainedModelId, trainingJobText, withReport, type ConversationPrediction, type OutcomeModel, type TrainForm,
} from "./predictions";

const model = (id: number, outcome: OutcomeModel["outcome"], created_at: number, auc = 0.8): OutcomeModel => ({
  id, outcome, created_at, first_messages: 6, return_days: 7, features: 15, examples: 60,
  report: {
    train_examples: 45, test_examples: 15, test_positives: 7, auc, threshold: 0.5, precision: 0.75, recall: 0.8571428,
    f1: 0.8, accuracy: 0.8, brier: 0.1234567,
    calibration: [{ low: 0, high: 0.1, count: 8, mean_predicted: 0.04, observed_rate: 0 }],
    feature_importance: [{ feature: "exclamations_per_user_message", gain: 12.5 }, { feature: "thumbs_sum", gain: 0 }],
  },
});

const job = (fields: Partial<Job>): Job => ({ id: 3, kind: "analytics.train_outcomes", status: "running", progress: 0, result: null, error: "", ...fields });

describe("newestModels", () => {
  it("picks the newest model of each outcome, in the outcomes' order", () => {
    const models = [model(1, "handoff", 100), model(2, "good_end", 150), model(3, "handoff", 200), model(4, "handoff", 200)];
    expect(newestModels(models).map((m) => m.id)).toEqual([4, 2]);
    expect(newestModels([])).toEqual([]);
  });
});

describe("formatting", () => {
  it("shows figures with three decimals and a dash for a missing one", () => {
    expect(formatFigure(0.8571428)).toBe("0.857");
    expect(formatFigure(1)).toBe("1.000");
    expect(formatFigure(null)).toBe("–");
    expect(formatFigure(Number.NaN)).toBe("–");
  });

  it("rounds a probability to a percent, never claiming 0% or 100% for one that is not", () => {
    expect(formatProbability(0.834)).toBe("83%");
    expect(formatProbability(0.004)).toBe("<1%");
    expect(formatProbability(0.996)).toBe(">99%");
    expect(formatProbability(0)).toBe("0%");
    expect(formatProbability(1)).toBe("100%");
  });

  it("lists the held-out figures of a model in the report's values", () => {
    const figures = heldOutFigures(model(1, "handoff", 1, 0.91));
    expect(figures.map((f) => [f.key, f.value])).toEqual([
      ["auc", "0.910"], ["precision", "0.750"], ["recall", "0.857"], ["f1", "0.800"], ["accuracy", "0.800"], ["brier", "0.123"],
      ["test_examples", "15"],
    ]);
    expect(figures[figures.length - 1].hint).toBe("7 of them positive; 45 more trained on");
  });
});

describe("withReport", () => {
  it("keeps a model whose report did not parse, its figures missing", () => {
    const broken = withReport({ ...model(5, "handoff", 1), report: null as unknown as OutcomeModel["report"] });
    expect(broken.report.calibration).toEqual([]);
    expect(broken.report.feature_importance).toEqual([]);
    expect(heldOutFigures(broken).map((f) => f.value)).toEqual(["–", "–", "–", "–", "–", "–", "–"]);
    expect(withReport(model(6, "handoff", 1)).report).toEqual(model(6, "handoff", 1).report);
  });
});

describe("modelsCsv", () => {
  it("writes every model newest first, with the report's figures unrounded", () => {
    const lines = modelsCsv([model(1, "handoff", 0), model(2, "return", 86_400_000)]).split("\r\n");
    expect(lines[0]).toBe("id,created_at,outcome,first_messages,return_days,features,examples,train_examples,test_examples," +
                          "test_positives,auc,threshold,precision,recall,f1,accuracy,brier");
    expect(lines[1]).toBe("2,1970-01-02T00:00:00.000Z,return,6,7,15,60,45,15,7,0.8,0.5,0.75,0.8571428,0.8,0.8,0.1234567");
    expect(lines[2].startsWith("1,1970-01-01T00:00:00.000Z,handoff,")).toBe(true);
    expect(lines).toHaveLength(4); // and the closing CRLF
  });
});

describe("trainBody", () => {
  const form = (fields: Partial<TrainForm>): TrainForm => ({ outcome: "handoff", firstMessages: "", returnDays: "", testShare: "", seed: "", ...fields });

  it("leaves blank fields to the server's defaults", () => {
    expect(trainBody(form({}))).toEqual({ body: { outcome: "handoff" }, errors: {} });
  });

  it("sends what was typed as numbers", () => {
    expect(trainBody(form({ outcome: "return", firstMessages: " 4 ", returnDays: "14", testShare: "0.3", seed: "0" })).body)
      .toEqual({ outcome: "return", first_messages: 4, return_days: 14, test_share: 0.3, seed: 0 });
  });

  it("names each field out of the server's bounds", () => {
    const { errors } = trainBody(form({ firstMessages: "0", returnDays: "3651", testShare: "1", seed: "-1" }));
    expect(Object.keys(errors).sort()).toEqual(["first_messages", "return_days", "seed", "test_share"]);
    expect(trainBody(form({ firstMessages: "abc" })).errors.first_messages).toBe("a whole number from 1 to 1000");
    expect(trainBody(form({ firstMessages: "2.5" })).errors.first_messages).toBeDefined();
    expect(trainBody(form({ seed: "x" })).errors.seed).toBe("a whole number, 0 or more");
  });
});

describe("the training job", () => {
  it("says where it is", () => {
    expect(trainingJobText(job({ status: "queued" }))).toBe("Waiting for a worker…");
    expect(trainingJobText(job({ progress: 0.4 }))).toBe("Reading conversations and training… 40%");
    expect(trainingJobText(job({ progress: 0.4, cancel_requested: true }))).toBe("Cancelling… 40%");
  });

  it("gives a failure's reason without the status code's name", () => {
    const failed = job({ status: "failed", error: "failed_precondition: 0 conversations have a known handoff outcome: too few" });
    expect(jobReason(failed)).toBe("0 conversations have a known handoff outcome: too few");
    expect(trainingJobText(failed)).toBe("Training failed: 0 conversations have a known handoff outcome: too few");
    expect(jobReason(job({ status: "failed" }))).toBe("no reason given");
  });

  it("reads the stored model's id from the result", () => {
    expect(trainedModelId(job({ status: "succeeded", result: { model_id: 7, outcome: "handoff", report: {} } }))).toBe(7);
    expect(trainedModelId(job({ status: "succeeded", result: null }))).toBeNull();
  });
});

describe("a conversation's prediction", () => {
  const prediction = (fields: Partial<ConversationPrediction>): ConversationPrediction => ({
    outcome: "handoff", probability: 0.83, model_id: 4, messages_seen: 2, created_at: 1, updated_at: 1, ...fields,
  });

  it("is the handoff prediction, the latest if there are several", () => {
    expect(handoffPrediction([])).toBeNull();
    expect(handoffPrediction([prediction({ outcome: "return" })])).toBeNull();
    expect(handoffPrediction([prediction({ model_id: 1, updated_at: 5 }), prediction({ model_id: 2, updated_at: 9 })])!.model_id).toBe(2);
  });

  it("reads as a chance with the model in its tooltip", () => {
    expect(predictionText(prediction({}))).toBe("likely to need a person: 83%");
    expect(predictionTooltip(prediction({}))).toBe("Model #4, from the first 2 messages");
    expect(predictionTooltip(prediction({ messages_seen: 1 }))).toBe("Model #4, from the first 1 message");
  });
});
