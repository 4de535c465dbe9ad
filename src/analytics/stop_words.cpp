#include "analytics/stop_words.h"

#include <algorithm>
#include <iterator>

namespace troupe::analytics {

namespace {

// Sorted (checked at compile time), so a lookup is a binary search over a constant table: no
// allocation and no static initialisation order to think about.
constexpr std::string_view kTopicStopWords[] = {
    "a", "about", "above", "actually", "after", "again", "against", "agree", "ah", "all", "almost", "also",
    "am", "an", "and", "another", "any", "anyone", "anything", "anyway", "are", "aren't", "around", "as",
    "at", "aw", "awesome", "be", "because", "been", "before", "being", "below", "between", "both", "btw",
    "but", "by", "bye", "can", "can't", "cannot", "chat", "chatting", "cool", "could", "couldn't", "did",
    "didn't", "do", "does", "doesn't", "doing", "don't", "done", "down", "during", "each", "either", "else",
    "enough", "even", "ever", "every", "few", "for", "from", "further", "get", "gets", "getting", "go",
    "goes", "going", "gonna", "good", "got", "gotta", "great", "guess", "had", "hadn't", "haha", "hahaha",
    "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "hear", "heard", "hehe",
    "hello", "her", "here", "here's", "hers", "herself", "hey", "hi", "him", "himself", "his", "hm", "hmm",
    "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "idk", "if", "im", "imo", "in", "indeed",
    "interesting", "into", "is", "isn't", "it", "it'd", "it'll", "it's", "its", "itself", "just", "kind",
    "kinda", "know", "let's", "lets", "like", "lmao", "lol", "lot", "lots", "made", "make", "many", "maybe",
    "me", "might", "mine", "more", "most", "much", "must", "my", "myself", "nah", "neither", "never", "nice",
    "no", "nope", "nor", "not", "now", "of", "off", "oh", "ok", "okay", "on", "once", "one", "only", "or",
    "other", "others", "ought", "our", "ours", "ourselves", "out", "over", "own", "pretty", "probably",
    "quite", "rather", "really", "right", "said", "same", "say", "says", "see", "seem", "seems", "shall",
    "she", "she'd", "she'll", "she's", "should", "shouldn't", "since", "so", "some", "someone", "something",
    "sort", "still", "such", "sure", "talk", "talking", "than", "thank", "thanks", "that", "that's", "thats",
    "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd",
    "they'll", "they're", "they've", "thing", "things", "think", "this", "those", "though", "through", "thx",
    "to", "too", "totally", "true", "u", "uh", "um", "under", "until", "up", "upon", "ur", "us", "very",
    "wanna", "want", "was", "wasn't", "way", "we", "we'd", "we'll", "we're", "we've", "well", "were",
    "weren't", "what", "what's", "when", "when's", "where", "where's", "whether", "which", "while", "who",
    "who's", "whom", "why", "why's", "will", "with", "won't", "wonder", "would", "wouldn't", "wow", "yeah",
    "yep", "yes", "yet", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself",
    "yourselves", "yup",
};
static_assert(std::is_sorted(std::begin(kTopicStopWords), std::end(kTopicStopWords)));

}  // namespace

bool IsStopWord(std::string_view lowercased_word) {
  return std::binary_search(std::begin(kTopicStopWords), std::end(kTopicStopWords), lowercased_word);
}

}  // namespace troupe::analytics
