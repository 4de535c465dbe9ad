// Ratings, comments and reports on conversations and messages, and the comments of a period for
// the analytics lab (topics over what users wrote in their feedback).
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

// Which feedback comments ListComments reads.
struct FeedbackCommentQuery {
  int64_t from_ms = 0;                  // created at or after
  int64_t to_ms = INT64_MAX;            // created before
  std::optional<int64_t> character_id;  // only on that character's conversations
};

class FeedbackRepository {
 public:
  virtual ~FeedbackRepository() = default;
  // Stores the event; a "rating" event on a message also sets that message's rating, atomically.
  // A non-empty comment is scored with LexiconSentiment (base/sentiment_lexicon.h), the runtime's
  // scorer for users' messages, and the score stored with it; an empty one stores no sentiment.
  // Whatever `event.sentiment` held is replaced, so every stored score means the same thing.
  virtual Result<FeedbackEvent> Record(FeedbackEvent event) = 0;
  virtual Result<Page<FeedbackEvent>> ListForConversation(int64_t conversation_id,
                                                          const PageRequest& page) = 0;
  // The events of any kind with a non-empty comment created in [from_ms, to_ms), on one
  // character's conversations when `character_id` is given, oldest id first: the text the topics of
  // a period's feedback are found in. kInvalidArgument naming to_ms when the range is empty or
  // reversed.
  virtual Result<Page<FeedbackEvent>> ListComments(const FeedbackCommentQuery& query, const PageRequest& page) = 0;
};

}  // namespace troupe::store
