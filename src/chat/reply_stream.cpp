// Generating, streaming, splitting and storing a reply (reply_stream.h).
#include "chat/reply_stream.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <optional>

#include "base/text.h"
#include "chat/macros.h"
#include "chat/memory.h"
#include "chat/reply_style.h"
#include "chat/template_reply.h"
#include "chat/tool_calls.h"
#include "chat/turn_control.h"

namespace troupe::chat::internal {

using nlohmann::json;

Result<PromptInputs> BuildInputs(TurnContext& context, const Scene& scene, const Stage& stage, const Plan& plan,
                                 const llm::Provider& provider, int64_t reply_tokens) {
  PromptInputs inputs;
  inputs.character = &scene.character;
  inputs.user_name = scene.user_name;
  inputs.stage_prompt = stage.prompt;
  if (const Mood* mood = scene.parts.flow->FindMood(scene.conversation.mood)) inputs.mood_prompt = mood->prompt;
  // Memory: pinned notes, and the newest summary, whose messages the prompt then leaves out.
  const int64_t conversation_id = scene.conversation.id;
  TROUPE_ASSIGN_OR_RETURN(store::PromptMemories memories, context.store.memories().ForPrompt(conversation_id));
  for (store::Memory& memory : memories.pinned) inputs.pinned_memories.push_back(std::move(memory.content));
  std::optional<int64_t> covered;
  if (memories.summary) {
    inputs.summary = memories.summary->content;
    covered = memories.summary->covers_until_message_id;
  }
  for (const store::Message& message : plan.history) {
    if (covered && message.id <= *covered) continue;
    // Parts of a reply that was regenerated live on inside the new reply's alternatives.
    if (!ParseObject(message.metadata_json).contains("superseded_by")) inputs.history.push_back(message);
  }
  // Recall: facts, and what was said before the history shown, that share words with the latest
  // user turn. Nothing was said before it when the history is the whole conversation and the
  // summary covers none of it; then only facts are searched.
  if (context.options.recall_limit > 0 && !inputs.history.empty()) {
    const auto last_user = std::find_if(inputs.history.rbegin(), inputs.history.rend(), [](const store::Message& m) {
      return m.role == store::MessageRole::kUser;
    });
    std::optional<int64_t> before = inputs.history.front().id;
    if (plan.history_is_whole && plan.history.front().id >= *before) before.reset();
    if (last_user != inputs.history.rend()) {
      inputs.recalled = Recall(context.store, conversation_id, last_user->content, before,
                               context.options.recall_limit, scene.character.name, scene.user_name);
    }
  }

  const auto count_tokens = [&provider](std::string_view text) { return provider.CountTokens(text); };
  if (scene.parts.lorebook) {
    std::vector<std::string> recent;
    for (const store::Message& message : inputs.history) recent.push_back(message.content);
    const MacroValues names{scene.character.name, scene.user_name};
    for (const ActivatedEntry& entry :
         ActivateLorebook(*scene.parts.lorebook, recent, count_tokens, context.options.lorebook_token_budget)) {
      (entry.position == LorebookPosition::kBeforeCharacter ? inputs.lorebook_before : inputs.lorebook_after)
          .push_back(ExpandMacros(entry.content, names));
    }
  }
  inputs.closing_instruction = plan.closing_instruction;
  inputs.context_length = provider.info().context_length > 0 ? provider.info().context_length : 4096;
  // A reply may not claim more than half the context: the conversation needs the rest.
  inputs.reply_tokens = std::min(reply_tokens, inputs.context_length / 2);
  return inputs;
}

Result<store::Message> StorePart(TurnContext& context, const Scene& scene, const Plan& plan, const std::string& text,
                                 size_t index, bool incomplete, int64_t started_ms, const TurnSink& sink,
                                 const llm::Usage& usage) {
  store::Message message;
  message.conversation_id = scene.conversation.id;
  message.parent_id = plan.parent_id;
  message.role = store::MessageRole::kAssistant;
  message.content = text;
  message.stage = scene.conversation.stage;
  message.incomplete = incomplete;
  message.latency_ms = context.clock.NowMillis() - started_ms;
  message.prompt_tokens = usage.prompt_tokens;
  message.completion_tokens = usage.completion_tokens;
  json metadata = plan.metadata;
  metadata["part"] = index;
  metadata["mood"] = scene.conversation.mood;
  message.metadata_json = metadata.dump();
  TROUPE_ASSIGN_OR_RETURN(store::Message stored, context.store.messages().Append(std::move(message)));
  Emit(sink, MessageEndEvent{static_cast<int>(index), stored});
  if (context.options.on_message_stored) context.options.on_message_stored(scene.conversation, stored);
  return stored;
}

Result<PreparedReply> PrepareReply(TurnContext& context, const Scene& scene, const Plan& plan, const TurnOptions& turn) {
  PreparedReply prepared;
  prepared.stage = context.StageOf(scene);
  if (prepared.stage == nullptr) return Status(StatusCode::kInternal, "the flow has no stages");
  TROUPE_ASSIGN_OR_RETURN(prepared.provider, context.ProviderFor(scene, *prepared.stage, turn));
  llm::ChatRequest& request = prepared.request;
  request.sampling = Overlay(prepared.stage->sampling, turn.sampling);
  if (request.sampling.max_tokens <= 0) request.sampling.max_tokens = static_cast<int>(context.options.reply_tokens);
  TROUPE_ASSIGN_OR_RETURN(prepared.inputs, BuildInputs(context, scene, *prepared.stage, plan, *prepared.provider,
                                                       request.sampling.max_tokens));
  TROUPE_ASSIGN_OR_RETURN(prepared.prompt, AssemblePrompt(prepared.inputs, *prepared.provider));
  request.messages = std::move(prepared.prompt.messages);
  request.stop = UserTurnStopStrings(scene.user_name);
  for (std::string& end : prepared.provider->TurnEndStrings()) request.stop.push_back(std::move(end));
  return prepared;
}

namespace {

// One reply from its prompt to its stored messages. Its steps run on the runtime's workers and
// its waits (the provider, typing pauses) hold no thread; it keeps itself alive through the
// callbacks it has handed out.
class ReplyRun : public std::enable_shared_from_this<ReplyRun> {
 public:
  ReplyRun(TurnContext& context, std::shared_ptr<Scene> scene, Plan plan, TurnOptions turn, TurnSink sink,
           std::shared_ptr<TurnControl> control, GeneratedHandler done)
      : context_(context),
        scene_(std::move(scene)),
        plan_(std::move(plan)),
        turn_(std::move(turn)),
        sink_(std::move(sink)),
        control_(std::move(control)),
        done_(std::move(done)),
        own_prefix_(scene_->character.name + ":") {}

  void Begin() {
    Result<PreparedReply> prepared = PrepareReply(context_, *scene_, plan_, turn_);
    if (!prepared.ok()) return done_(prepared.status());
    const PromptInputs& inputs = prepared->inputs;
    const AssembledPrompt& prompt = prepared->prompt;
    // What went into the prompt, kept with the reply for the studio's "why did it say that".
    stored_plan_ = plan_;
    stored_plan_.metadata["prompt"] = {{"history", prompt.history_included},
                                       {"history_dropped", prompt.history_dropped},
                                       {"lorebook_entries", prompt.lorebook_included},
                                       {"examples", prompt.examples_included},
                                       {"summary", !inputs.summary.empty()},
                                       {"pinned_memories", inputs.pinned_memories.size()},
                                       {"recalled", prompt.recalled_included},
                                       {"provider", prepared->provider->info().name}};
    style_ = prepared->stage->reply;
    // A templated answer is one message, so its facts are checked together.
    if (plan_.tools && context_.options.response_templates) template_ = MatchTemplate(*scene_, plan_);
    if (!plan_.split || !turn_.split_messages || template_) style_.split = SplitMode::kNone;
    splitter_.emplace(style_);
    started_ = context_.clock.NowMillis();
    parts_.assign(1, std::string());
    began_at_.assign(1, started_);
    if (control_->cancelled()) return Finish(Result<llm::ChatResult>(Cancelled()));

    provider_ = prepared->provider;
    request_ = std::move(prepared->request);
    offer_ = OfferTools(context_, *scene_, plan_);
    if (!offer_.tools.empty()) {
      request_.tools = offer_.Definitions();
      request_.tool_choice = offer_.first_choice;
    }
    // A change the user has just said yes (or no) to is settled before the model answers.
    const bool resolving = ResolvePendingCall(context_, scene_->conversation.id, offer_, sink_,
                                              [self = shared_from_this()](ToolRound round) {
                                                self->AfterRound(std::move(round), /*counts=*/false);
                                              });
    if (resolving) return;
    if (template_ && offer_.tools.empty()) return StartTemplate();
    StartStep();
  }

 private:
  static llm::ChatResult Cancelled() {
    llm::ChatResult result;
    result.finish_reason = llm::FinishReason::kCancelled;
    return result;
  }

  // On the provider's thread: the first message streams as the model writes it; later ones are
  // announced ("typing") as soon as they begin and shown once the model has finished, after a
  // pause proportional to their length counted from when they began, like a person typing.
  void OnDelta(std::string_view delta) {
    if (control_->cancelled()) stop_ = true;
    if (template_ && !template_phase_) return;  // the steps before a template's are not shown
    if (released_) {
      Take(splitter_->Feed(delta));
    } else {
      Release(delta);
    }
  }

  void StartLive() {
    if (live_started_) return;
    live_started_ = true;
    Emit(sink_, StartOf(*scene_, 0));
  }

  void Take(std::vector<ReplySplitter::Piece> pieces) {
    for (ReplySplitter::Piece& piece : pieces) {
      if (!piece.text.empty()) {
        if (parts_.size() == 1) {
          StartLive();
          Emit(sink_, DeltaEvent{0, piece.text});
        }
        parts_.back() += piece.text;
      }
      if (piece.ends_message) {
        parts_.emplace_back();
        began_at_.push_back(context_.clock.NowMillis());
        Emit(sink_, TypingEvent{static_cast<int>(parts_.size() - 1)});
      }
    }
    if (splitter_->limit_reached()) stop_ = true;  // the stage's length limit: stop generating
  }

  // Holds back the start of the reply until it is clear the model did not begin with "Name:".
  void Release(std::string_view text) {
    held_ += text;
    std::string_view view = held_;
    const size_t first = view.find_first_not_of(" \n\t");
    view.remove_prefix(first == std::string_view::npos ? view.size() : first);
    if (!released_ && view.size() < own_prefix_.size() && own_prefix_.compare(0, view.size(), view) == 0) return;
    if (!released_ && view.substr(0, own_prefix_.size()) == own_prefix_) view.remove_prefix(own_prefix_.size());
    released_ = true;
    Take(splitter_->Feed(view));
    held_.clear();
  }

  // One call of the provider: the first, or the next after a round of tool calls.
  void StartStep() {
    if (control_->cancelled()) return Finish(Result<llm::ChatResult>(Cancelled()));
    llm::ChatRequest request = request_;
    request.cancel = &stop_;
    llm::ChatCallbacks callbacks;
    auto self = shared_from_this();
    callbacks.on_delta = [self](std::string_view delta) { self->OnDelta(delta); };
    callbacks.on_done = [self](Result<llm::ChatResult> result) {
      self->context_.Post([self, result = std::move(result)]() mutable { self->StepDone(std::move(result)); });
    };
    control_->SetCall(provider_->Start(std::move(request), std::move(callbacks)));
  }

  // On a worker: the model asked for tools (and may have another round), or the reply is done.
  void StepDone(Result<llm::ChatResult> result) {
    const bool wants_tools = result.ok() && !result->tool_calls.empty() && !offer_.tools.empty() &&
                             steps_ < context_.options.max_tool_steps && !control_->cancelled() && !template_phase_;
    if (!wants_tools && template_ && !template_phase_ && result.ok() && !control_->cancelled()) {
      usage_.prompt_tokens += result->usage.prompt_tokens;
      usage_.completion_tokens += result->usage.completion_tokens;
      return StartTemplate();
    }
    if (!wants_tools) return Finish(std::move(result));
    usage_.prompt_tokens += result->usage.prompt_tokens;
    usage_.completion_tokens += result->usage.completion_tokens;
    RunToolRound(context_, scene_->conversation.id, offer_, std::move(result->content), std::move(result->tool_calls),
                 sink_, [self = shared_from_this()](ToolRound round) { self->AfterRound(std::move(round), true); });
  }

  // The round's messages join the request; the model goes on, with no more tools once the steps
  // are used up or a change waits for the user's yes (it must ask now).
  void AfterRound(ToolRound round, bool counts) {
    if (counts) ++steps_;
    tool_messages_.insert(tool_messages_.end(), round.messages.begin(), round.messages.end());
    for (llm::ChatMessage& message : round.messages) request_.messages.push_back(std::move(message));
    json& calls = stored_plan_.metadata["tools"];
    if (!calls.is_array()) calls = json::array();
    for (json& call : round.calls) calls.push_back(std::move(call));
    if (round.pending) stored_plan_.metadata["tool_confirmation"] = round.pending->ToJson();
    // A change waiting for the user's yes is asked about in the model's words, not a template's.
    if (round.pending) template_.reset();
    const bool more = !round.pending && steps_ < context_.options.max_tool_steps;
    request_.tool_choice = request_.tools.empty() ? "" : more ? "auto" : "none";
    if (template_ && !more) return StartTemplate();
    StartStep();
  }

  // The template's slots are filled (tools, profile, then the model) before it is said.
  void StartTemplate() {
    if (control_->cancelled()) return Finish(Result<llm::ChatResult>(Cancelled()));
    const std::vector<std::string> results = OkToolResults(tool_messages_, stored_plan_.metadata.value("tools", json()));
    FillKnownValues(context_, *scene_, results, *template_);
    std::vector<llm::ChatMessage> known;
    for (const llm::ChatMessage& message : request_.messages) {
      if (message.role != "tool" && message.tool_calls.empty()) known.push_back(message);
    }
    for (const std::string& result : results) known.push_back({"system", "A tool returned: " + result, "", {}, ""});
    FillWithModel(context_, *provider_, std::move(known), control_, std::move(*template_),
                  [self = shared_from_this()](TemplatedReply filled) { self->SayTemplate(std::move(filled)); });
  }

  void SayTemplate(TemplatedReply filled) {
    template_ = std::move(filled);
    template_phase_ = true;
    request_.messages.push_back({"system", TemplateInstruction(*template_), "", {}, ""});
    if (!request_.tools.empty()) request_.tool_choice = "none";
    StartStep();
  }

  // On a worker, once the provider is done: the parts are shown and stored one by one.
  void Finish(Result<llm::ChatResult> result) {
    if (!released_ && !held_.empty()) {
      released_ = true;
      Take(splitter_->Feed(held_));
    }
    Take(splitter_->Finish());
    failed_ = !result.ok();
    if (template_phase_ && !failed_ && !control_->cancelled()) {
      std::string written;
      for (const std::string& part : parts_) written += part;
      parts_.assign(1, CheckedReplyText(*template_, std::string(TrimSpace(written))));
    }
    if (template_phase_) stored_plan_.metadata["template"] = template_->ToJson();
    if (json values = ToolValues(tool_messages_, stored_plan_.metadata.value("tools", json())); !values.empty()) {
      stored_plan_.metadata["tool_values"] = std::move(values);
    }
    generated_.usage = usage_;
    if (failed_) {
      error_ = result.status();
    } else {
      generated_.usage.prompt_tokens += result->usage.prompt_tokens;
      generated_.usage.completion_tokens += result->usage.completion_tokens;
    }
    generated_.incomplete = failed_ || control_->cancelled();
    while (parts_.size() > 1 && TrimSpace(parts_.back()).empty()) parts_.pop_back();
    ShowFrom(0);
  }

  // Shows part `index` onwards, pausing before each later part unless the turn was cancelled.
  void ShowFrom(size_t index) {
    for (; index < parts_.size(); ++index) {
      const std::string text(TrimSpace(parts_[index]));
      if (text.empty()) {
        // The model wrote nothing (it ended its turn at once, or failed first): store nothing.
        if (index == 0 && parts_.size() == 1 && live_started_) Emit(sink_, MessageEndEvent{0, std::nullopt});
        continue;
      }
      if (index > 0 && turn_.typing_delays && !control_->cancelled()) {
        const int64_t pause = TypingDelayMs(text, style_) - (context_.clock.NowMillis() - began_at_[index]);
        if (pause > 0) {
          control_->Pause(pause, [self = shared_from_this(), index] {
            if (self->Show(index)) self->ShowFrom(index + 1);
          });
          return;
        }
      }
      if (!Show(index)) return;
    }
    End();
  }

  // Emits and stores part `index`; false (the turn has ended with the error) when storing failed.
  bool Show(size_t index) {
    const std::string text(TrimSpace(parts_[index]));
    if (index > 0) {
      Emit(sink_, StartOf(*scene_, static_cast<int>(index)));
      Emit(sink_, DeltaEvent{static_cast<int>(index), text});
    } else {
      StartLive();
    }
    const bool last = index + 1 == parts_.size();
    Result<store::Message> stored = StorePart(context_, *scene_, stored_plan_, text, index,
                                              last && generated_.incomplete, started_, sink_,
                                              last ? generated_.usage : llm::Usage{});
    if (!stored.ok()) {
      done_(stored.status());
      return false;
    }
    generated_.messages.push_back(*stored);
    if (!generated_.text.empty()) generated_.text += "\n\n";
    generated_.text += text;
    return true;
  }

  void End() {
    if (failed_) {
      ErrorEvent error{error_, std::nullopt};
      if (!generated_.messages.empty()) error.partial_message_id = generated_.messages.back().id;
      Emit(sink_, error);
      return done_(error_);
    }
    done_(std::move(generated_));
  }

  TurnContext& context_;
  std::shared_ptr<Scene> scene_;
  Plan plan_;
  Plan stored_plan_;
  TurnOptions turn_;
  TurnSink sink_;
  std::shared_ptr<TurnControl> control_;
  GeneratedHandler done_;
  const std::string own_prefix_;

  ReplyStyle style_;
  std::optional<ReplySplitter> splitter_;
  std::atomic<bool> stop_{false};  // tells the provider to stop (cancelled, or the length limit)
  int64_t started_ = 0;
  // Written on the provider's thread until on_done, read on workers after: on_done's hand-off
  // through the worker queue orders the two.
  std::vector<std::string> parts_;
  std::vector<int64_t> began_at_;
  bool live_started_ = false;
  std::string held_;
  bool released_ = false;

  bool failed_ = false;
  Status error_;
  Generated generated_;

  // Tools: the provider is called again after each round of calls.
  llm::Provider* provider_ = nullptr;
  llm::ChatRequest request_;  // the next step's, without `cancel`
  ToolOffer offer_;
  int steps_ = 0;  // rounds of calls so far
  llm::Usage usage_;  // of the steps before the last
  std::vector<llm::ChatMessage> tool_messages_;  // every round's

  // The template answering this reply, if one matched; its step is the last (template_phase_).
  std::optional<TemplatedReply> template_;
  bool template_phase_ = false;
};

}  // namespace

void GenerateReply(TurnContext& context, std::shared_ptr<Scene> scene, Plan plan, TurnOptions turn, TurnSink sink,
                   std::shared_ptr<TurnControl> control, GeneratedHandler done) {
  auto run = std::make_shared<ReplyRun>(context, std::move(scene), std::move(plan), std::move(turn), std::move(sink),
                                        std::move(control), std::move(done));
  run->Begin();
}

Result<Generated> GenerateReplyAndWait(TurnContext& context, Scene& scene, const Plan& plan, const TurnOptions& turn,
                                       const TurnSink& sink) {
  auto shared = std::make_shared<Scene>(scene);
  auto control = std::make_shared<TurnControl>(context.clock, [&context](std::function<void()> task) {
    context.Post(std::move(task));
  }, turn.cancel);
  auto finished = std::make_shared<std::promise<Result<Generated>>>();
  std::future<Result<Generated>> result = finished->get_future();
  GenerateReply(context, shared, plan, turn, sink, control,
                [finished](Result<Generated> generated) { finished->set_value(std::move(generated)); });
  Result<Generated> generated = result.get();
  scene = *shared;
  return generated;
}

}  // namespace troupe::chat::internal
