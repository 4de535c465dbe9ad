// Feedback events; a rating on a message is mirrored onto the message in the same transaction.
#include "base/sentiment_lexicon.h"
#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

Status Validate(const FeedbackEvent& e) {
  if (e.kind.empty()) return InvalidArgument("kind must not be empty", "kind");
  if ((e.kind == "rating" || e.kind == "csat") && !e.rating) {
    return InvalidArgument("a " + e.kind + " event needs a rating", "rating");
  }
  if (e.kind == "csat") {
    // A post-conversation satisfaction rating: about the whole conversation, on a 1..5 scale.
    if (e.message_id) return InvalidArgument("a csat rating is about the conversation, not a message", "message_id");
    if (*e.rating < 1 || *e.rating > 5) return InvalidArgument("a csat rating must be 1 to 5", "rating");
    return Status::Ok();
  }
  if (e.rating && (*e.rating < -1 || *e.rating > 1)) return InvalidArgument("rating must be -1, 0 or 1", "rating");
  return Status::Ok();
}

class Feedback final : public FeedbackRepository {
 public:
  explicit Feedback(const Context& context) : context_(context) {}

  Result<FeedbackEvent> Record(FeedbackEvent e) override {
    TROUPE_RETURN_IF_ERROR(Validate(e));
    e.created_at = context_.Now();
    e.sentiment = e.comment.empty() ? std::nullopt : std::optional<double>(LexiconSentiment(e.comment));
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows conversation,
                            connection->Query("SELECT 1 FROM conversations WHERE id = $1", {e.conversation_id}));
    if (conversation.empty()) {
      return FieldError(StatusCode::kNotFound, "conversation " + std::to_string(e.conversation_id) + " not found",
                        "conversation_id");
    }
    if (e.message_id) {
      // The message must belong to the conversation; a rating also lands on the message.
      int64_t matched = 0;
      if (e.kind == "rating") {
        TROUPE_ASSIGN_OR_RETURN(matched, connection->Exec("UPDATE messages SET rating = $3, updated_at = $4 "
                                                          "WHERE id = $1 AND conversation_id = $2",
                                                          {*e.message_id, e.conversation_id,
                                                           int64_t{*e.rating}, e.created_at}));
      } else {
        TROUPE_ASSIGN_OR_RETURN(sql::Rows message,
                                connection->Query("SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2",
                                                  {*e.message_id, e.conversation_id}));
        matched = static_cast<int64_t>(message.size());
      }
      if (matched == 0) {
        return FieldError(StatusCode::kNotFound,
                          "message " + std::to_string(*e.message_id) + " not found in conversation " +
                              std::to_string(e.conversation_id),
                          "message_id");
      }
    }
    if (e.user_id) {
      TROUPE_ASSIGN_OR_RETURN(sql::Rows user, connection->Query("SELECT 1 FROM users WHERE id = $1", {*e.user_id}));
      if (user.empty()) {
        return FieldError(StatusCode::kNotFound, "user " + std::to_string(*e.user_id) + " not found", "user_id");
      }
    }
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO feedback_events (conversation_id, message_id, user_id, kind, rating, comment, "
                          "sentiment, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                          {e.conversation_id, sql::Nullable(e.message_id), sql::Nullable(e.user_id), e.kind,
                           sql::Nullable(e.rating), e.comment, sql::Nullable(e.sentiment), e.created_at}));
    e.id = rows.at(0).Int(0);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return e;
  }

  Result<Page<FeedbackEvent>> ListForConversation(int64_t conversation_id, const PageRequest& page) override {
    return PageByAscendingId<FeedbackEvent>(context_, "SELECT " + std::string(kFeedbackColumns) + " FROM feedback_events",
                                            "conversation_id = $1", {conversation_id}, page, ReadFeedbackEvent);
  }

  Result<Page<FeedbackEvent>> ListComments(const FeedbackCommentQuery& query, const PageRequest& page) override {
    if (query.to_ms <= query.from_ms) return InvalidArgument("the period must end after it starts", "to_ms");
    std::vector<sql::Value> params{query.from_ms, query.to_ms};
    std::string filter = "comment <> '' AND created_at >= $1 AND created_at < $2";
    if (query.character_id) {
      filter += " AND conversation_id IN (SELECT id FROM conversations WHERE character_id = " +
                Bind(params, *query.character_id) + ")";
    }
    return PageByAscendingId<FeedbackEvent>(context_, "SELECT " + std::string(kFeedbackColumns) + " FROM feedback_events",
                                            filter, std::move(params), page, ReadFeedbackEvent);
  }

 private:
  Context context_;
};

}  // namespace

std::unique_ptr<FeedbackRepository> NewFeedbackRepository(const Context& context) {
  return std::make_unique<Feedback>(context);
}

}  // namespace troupe::store::repo
