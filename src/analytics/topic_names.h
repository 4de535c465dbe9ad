// Names for topics, written by a language model from each topic's top words and the messages most
// about it: a JSON object {"name": "..."} asked for with a schema (the local engine's constrained
// decoding keeps it valid; remote providers get response_format), 1 to 40 characters. A reply that
// does not give a usable name falls back to the topic's first three words, with the reason kept.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "llm/provider.h"

namespace troupe::analytics {

struct TopicToName {
  std::vector<std::string> top_words;  // most probable first
  std::vector<std::string> examples;   // a few messages mostly about the topic
};

struct TopicName {
  std::string name;
  bool from_model = false;  // false: the fallback from the top words
  std::string problem;      // why the fallback was used ("" when from_model)
};

// The JSON Schema the reply must follow.
const std::string& TopicNameSchema();

// One name per topic, in order. Never fails as a whole: a topic whose call fails gets the fallback.
std::vector<TopicName> NameTopics(llm::Provider& provider, const std::vector<TopicToName>& topics,
                                  const std::atomic<bool>* cancel = nullptr);

}  // namespace troupe::analytics
