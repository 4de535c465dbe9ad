// Ratings, comments and reports on conversations and messages.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

class FeedbackRepository {
 public:
  virtual ~FeedbackRepository() = default;
  // Stores the event; a "rating" event on a message also sets that message's rating, atomically.
  virtual Result<FeedbackEvent> Record(FeedbackEvent event) = 0;
  virtual Result<Page<FeedbackEvent>> ListForConversation(int64_t conversation_id,
                                                          const PageRequest& page) = 0;
};

}  // namespace troupe::store
