#include "analytics/outcome_dataset.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "base/sentiment_lexicon.h"

namespace troupe::analytics {

namespace {

constexpr int64_t kMillisPerDay = 24LL * 60 * 60 * 1000;
const float kMissing = std::nanf("");

float MeanOf(const std::vector<double>& values) {
  if (values.empty()) return kMissing;
  double sum = 0;
  for (double value : values) sum += value;
  return static_cast<float>(sum / static_cast<double>(values.size()));
}

// What the runtime wrote into the first messages' metadata: regenerations a user asked for
// (chat/alternatives.h keeps every alternative in the reply's metadata.swipes) and how the user's
// messages were routed (chat/message_routing.h: metadata.routing's intent, level and confidence).
struct MetadataSignals {
  size_t swipes = 0;
  std::set<std::string> intents;
  size_t human_routed = 0;
  std::vector<double> confidences;

  void Read(const store::Message& message) {
    if (message.metadata_json.empty() || message.metadata_json == "{}") return;
    const nlohmann::json metadata = nlohmann::json::parse(message.metadata_json, nullptr, false);
    if (!metadata.is_object()) return;
    if (message.role == store::MessageRole::kAssistant) {
      const auto swiped = metadata.find("swipes");
      if (swiped != metadata.end() && swiped->is_array() && swiped->size() > 1) swipes += swiped->size() - 1;
      return;
    }
    const auto routing = metadata.find("routing");
    if (message.role != store::MessageRole::kUser || routing == metadata.end() || !routing->is_object()) return;
    const std::string intent = routing->value("intent", "");
    if (!intent.empty()) intents.insert(intent);
    if (routing->value("level", "") == "human") ++human_routed;
    const auto confidence = routing->find("confidence");
    if (confidence != routing->end() && confidence->is_number()) confidences.push_back(confidence->get<double>());
  }
};

size_t CountOf(std::string_view text, char wanted) { return static_cast<size_t>(std::count(text.begin(), text.end(), wanted)); }

bool HandedOff(const store::Conversation& conversation, const std::vector<store::Message>& messages) {
  if (conversation.status == store::ConversationStatus::kHandedOff) return true;
  const nlohmann::json metadata = nlohmann::json::parse(conversation.metadata_json, nullptr, false);
  if (metadata.is_object() && metadata.contains("handoff")) return true;
  return std::any_of(messages.begin(), messages.end(),
                     [](const store::Message& m) { return m.role == store::MessageRole::kAgent; });
}

// Pages through every message of a conversation, oldest first.
Result<std::vector<store::Message>> AllMessages(store::Store& store, int64_t conversation_id) {
  std::vector<store::Message> messages;
  store::PageRequest page;
  page.limit = 500;
  do {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::Message> batch, store.messages().List(conversation_id, page));
    messages.insert(messages.end(), batch.items.begin(), batch.items.end());
    page.cursor = batch.next_cursor;
  } while (!page.cursor.empty());
  return messages;
}

Result<std::vector<store::Conversation>> AllConversations(store::Store& store) {
  std::vector<store::Conversation> conversations;
  store::ConversationQuery query;
  query.page.limit = 500;
  do {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::Conversation> batch, store.conversations().List(query));
    conversations.insert(conversations.end(), batch.items.begin(), batch.items.end());
    query.page.cursor = batch.next_cursor;
  } while (!query.page.cursor.empty());
  return conversations;
}

// The latest post-conversation rating (1..5), if any.
Result<std::optional<int>> LatestCsat(store::Store& store, int64_t conversation_id) {
  std::optional<int> latest;
  int64_t latest_at = -1;
  store::PageRequest page;
  page.limit = 500;
  do {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::FeedbackEvent> batch,
                            store.feedback().ListForConversation(conversation_id, page));
    for (const store::FeedbackEvent& event : batch.items) {
      if (event.kind == "csat" && event.rating && event.created_at >= latest_at) {
        latest = event.rating;
        latest_at = event.created_at;
      }
    }
    page.cursor = batch.next_cursor;
  } while (!page.cursor.empty());
  return latest;
}

// Whether the user started another conversation after this one began and no later than the
// window after its last activity.
bool CameBack(const store::Conversation& conversation, const std::vector<int64_t>& user_starts, int64_t window_ms) {
  auto next = std::upper_bound(user_starts.begin(), user_starts.end(), conversation.created_at);
  return next != user_starts.end() && *next <= conversation.last_activity_at + window_ms;
}

}  // namespace

std::optional<Outcome> ParseOutcome(std::string_view name) {
  if (name == "handoff") return Outcome::kHandoff;
  if (name == "return") return Outcome::kReturn;
  if (name == "good_end") return Outcome::kGoodEnd;
  return std::nullopt;
}

std::string_view NameOf(Outcome outcome) {
  switch (outcome) {
    case Outcome::kHandoff:
      return "handoff";
    case Outcome::kReturn:
      return "return";
    case Outcome::kGoodEnd:
      return "good_end";
  }
  return "handoff";
}

const std::vector<std::string>& OutcomeFeatureNames() {
  static const std::vector<std::string> names = {
      "user_messages",       "assistant_messages",     "mean_user_chars",      "max_user_chars",
      "questions_per_user_message", "exclamations_per_user_message", "mean_user_sentiment",
      "min_user_sentiment",  "last_user_sentiment",    "sentiment_trend",      "mean_reply_latency_s",
      "mean_user_gap_s",     "start_hour_utc",         "stages_seen",          "thumbs_sum",
      "swipes",              "distinct_intents",       "human_routed",         "mean_intent_confidence"};
  return names;
}

std::vector<float> OutcomeFeatures(const store::Conversation& conversation,
                                   const std::vector<store::Message>& first_messages) {
  std::vector<double> user_chars, sentiments, latencies, gaps;
  size_t assistant = 0, questions = 0, exclamations = 0;
  std::set<std::string> stages;
  int thumbs = 0;
  std::optional<int64_t> previous_user_at;
  MetadataSignals signals;
  for (const store::Message& message : first_messages) {
    signals.Read(message);
    if (!message.stage.empty()) stages.insert(message.stage);
    if (message.rating) thumbs += *message.rating;
    if (message.role == store::MessageRole::kAssistant) {
      ++assistant;
      if (message.latency_ms > 0) latencies.push_back(static_cast<double>(message.latency_ms) / 1000.0);
      continue;
    }
    if (message.role != store::MessageRole::kUser) continue;
    user_chars.push_back(static_cast<double>(message.content.size()));
    questions += CountOf(message.content, '?');
    exclamations += CountOf(message.content, '!');
    // The stored score where analytics wrote one; else the lexicon's, which the runtime also uses.
    sentiments.push_back(message.sentiment ? *message.sentiment : LexiconSentiment(message.content));
    if (previous_user_at) gaps.push_back(static_cast<double>(message.created_at - *previous_user_at) / 1000.0);
    previous_user_at = message.created_at;
  }
  const float users = static_cast<float>(user_chars.size());
  auto per_user = [&](size_t count) { return users > 0 ? static_cast<float>(count) / users : kMissing; };
  const int64_t start_hour = (conversation.created_at / 3'600'000) % 24;
  return {users,
          static_cast<float>(assistant),
          MeanOf(user_chars),
          user_chars.empty() ? kMissing : static_cast<float>(*std::max_element(user_chars.begin(), user_chars.end())),
          per_user(questions),
          per_user(exclamations),
          MeanOf(sentiments),
          sentiments.empty() ? kMissing : static_cast<float>(*std::min_element(sentiments.begin(), sentiments.end())),
          sentiments.empty() ? kMissing : static_cast<float>(sentiments.back()),
          sentiments.size() < 2 ? kMissing : static_cast<float>(sentiments.back() - sentiments.front()),
          MeanOf(latencies),
          MeanOf(gaps),
          static_cast<float>(start_hour),
          static_cast<float>(stages.size()),
          static_cast<float>(thumbs),
          static_cast<float>(signals.swipes),
          static_cast<float>(signals.intents.size()),
          static_cast<float>(signals.human_routed),
          MeanOf(signals.confidences)};
}

Result<std::vector<OutcomeExample>> BuildOutcomeDataset(store::Store& store, const OutcomeOptions& options,
                                                        const std::function<bool(size_t, size_t)>& progress) {
  const size_t first_count = static_cast<size_t>(std::max(options.first_messages, 1));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Conversation> conversations, AllConversations(store));
  std::map<int64_t, std::vector<int64_t>> starts_by_user;
  for (const store::Conversation& conversation : conversations) {
    starts_by_user[conversation.user_id].push_back(conversation.created_at);
  }
  for (auto& [user, starts] : starts_by_user) std::sort(starts.begin(), starts.end());
  const int64_t window_ms = static_cast<int64_t>(options.return_days) * kMillisPerDay;

  std::vector<OutcomeExample> examples;
  for (size_t done = 0; done < conversations.size(); ++done) {
    if (progress && !progress(done, conversations.size())) {
      return Status(StatusCode::kUnavailable, "stopped after " + std::to_string(done) + " of " +
                                                  std::to_string(conversations.size()) + " conversations");
    }
    const store::Conversation& conversation = conversations[done];
    TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> messages, AllMessages(store, conversation.id));
    const std::vector<store::Message> first(messages.begin(),
                                            messages.begin() + static_cast<ptrdiff_t>(std::min(first_count, messages.size())));
    if (std::none_of(first.begin(), first.end(), [](const store::Message& m) { return m.role == store::MessageRole::kUser; })) {
      continue;  // nothing said yet: no first messages to predict from
    }
    OutcomeExample example;
    example.conversation_id = conversation.id;
    switch (options.outcome) {
      case Outcome::kHandoff:
        if (std::any_of(first.begin(), first.end(), [](const store::Message& m) { return m.role == store::MessageRole::kAgent; })) {
          continue;
        }
        example.happened = HandedOff(conversation, messages);
        break;
      case Outcome::kReturn:
        if (conversation.last_activity_at + window_ms > options.now_ms) continue;
        example.happened = CameBack(conversation, starts_by_user[conversation.user_id], window_ms);
        break;
      case Outcome::kGoodEnd: {
        TROUPE_ASSIGN_OR_RETURN(std::optional<int> csat, LatestCsat(store, conversation.id));
        if (!csat || *csat == 3) continue;
        example.happened = *csat >= 4;
        break;
      }
    }
    example.features = OutcomeFeatures(conversation, first);
    examples.push_back(std::move(example));
  }
  if (progress) (void)progress(conversations.size(), conversations.size());
  return examples;
}

}  // namespace troupe::analytics
