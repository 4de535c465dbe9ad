#include "analytics/topic_names.h"

#include <nlohmann/json.hpp>

namespace troupe::analytics {

namespace {

constexpr size_t kTopicNameMaxCharacters = 40;
constexpr size_t kTopicExampleCharacters = 200;

std::string FallbackTopicName(const std::vector<std::string>& words) {
  std::string name;
  for (size_t i = 0; i < words.size() && i < 3; ++i) name += (name.empty() ? "" : " ") + words[i];
  return name.empty() ? "(no words)" : name;
}

std::string TopicNamePrompt(const TopicToName& topic) {
  std::string prompt =
      "These are the most frequent words of one topic in the messages users send to a chat service, and "
      "messages that are mostly about it. Give the topic a short name (2 to 4 words) a product manager "
      "would understand. Answer as JSON: {\"name\": \"...\"}.\n\nWords:";
  for (const std::string& word : topic.top_words) prompt += " " + word;
  prompt += "\n\nMessages:\n";
  for (const std::string& example : topic.examples) {
    prompt += "- " + example.substr(0, kTopicExampleCharacters) + "\n";
  }
  return prompt;
}

// The name in a reply, trimmed; "" with `problem` set when there is none.
std::string NameInReply(const std::string& reply, std::string& problem) {
  const nlohmann::json parsed = nlohmann::json::parse(reply, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    problem = "the reply is not a JSON object";
    return "";
  }
  const auto name = parsed.find("name");
  if (name == parsed.end() || !name->is_string()) {
    problem = "the reply has no string \"name\"";
    return "";
  }
  std::string text = name->get<std::string>();
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    problem = "the name is empty";
    return "";
  }
  text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
  return text;
}

}  // namespace

const std::string& TopicNameSchema() {
  static const std::string schema = nlohmann::json{
      {"type", "object"},
      {"properties", {{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", kTopicNameMaxCharacters}}}}},
      {"required", {"name"}},
      {"additionalProperties", false}}.dump();
  return schema;
}

std::vector<TopicName> NameTopics(llm::Provider& provider, const std::vector<TopicToName>& topics,
                                  const std::atomic<bool>* cancel) {
  std::vector<TopicName> names;
  for (const TopicToName& topic : topics) {
    TopicName named{FallbackTopicName(topic.top_words), false, ""};
    if (cancel != nullptr && cancel->load()) {
      named.problem = "cancelled";
      names.push_back(std::move(named));
      continue;
    }
    llm::ChatRequest request;
    request.messages = {llm::ChatMessage{"user", TopicNamePrompt(topic), "", {}, ""}};
    request.sampling.temperature = 0;
    request.sampling.max_tokens = 96;
    request.response_format.kind = llm::ResponseFormat::Kind::kJsonSchema;
    request.response_format.name = "topic_name";
    request.response_format.schema_json = TopicNameSchema();
    request.response_format.strict = true;
    request.cancel = cancel;
    Result<llm::ChatResult> reply = provider.Chat(request, {});
    if (!reply.ok()) {
      named.problem = reply.status().message();
    } else if (std::string name = NameInReply(reply->content, named.problem); !name.empty()) {
      named = TopicName{std::move(name), true, ""};
    }
    names.push_back(std::move(named));
  }
  return names;
}

}  // namespace troupe::analytics
