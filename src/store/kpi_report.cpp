#include "store/kpi_report.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <utility>

namespace troupe::store {
namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

// Sums and counts of one group, turned into KpiValues at the end.
struct KpiTally {
  int64_t conversations = 0;
  int64_t first_responses = 0;
  double first_response_sum = 0;
  int64_t replies = 0;
  double reply_sum = 0;
  int64_t resolved = 0;
  int64_t handed_off = 0;
  int64_t resolved_without_human = 0;
  int64_t csat_ratings = 0;
  int64_t csat_satisfied = 0;
  double csat_sum = 0;
  int64_t routing_reviews = 0;
  int64_t routing_correct = 0;
  int64_t campaign_sends = 0;
  int64_t campaign_replies = 0;
};

std::optional<double> Ratio(double part, int64_t whole) {
  if (whole == 0) return std::nullopt;
  return part / static_cast<double>(whole);
}

KpiValues ValuesOf(const KpiTally& t) {
  KpiValues v;
  v.conversations = t.conversations;
  v.first_responses = t.first_responses;
  v.first_response_ms = Ratio(t.first_response_sum, t.first_responses);
  v.replies = t.replies;
  v.average_response_ms = Ratio(t.reply_sum, t.replies);
  v.resolved = t.resolved;
  v.resolution_rate = Ratio(static_cast<double>(t.resolved), t.conversations);
  v.handed_off = t.handed_off;
  v.handoff_rate = Ratio(static_cast<double>(t.handed_off), t.conversations);
  v.resolved_without_human = t.resolved_without_human;
  v.agent_load_reduction = Ratio(static_cast<double>(t.resolved_without_human), t.resolved);
  v.csat_ratings = t.csat_ratings;
  v.csat_satisfied = t.csat_satisfied;
  v.csat = Ratio(static_cast<double>(t.csat_satisfied), t.csat_ratings);
  v.csat_mean = Ratio(t.csat_sum, t.csat_ratings);
  v.routing_reviews = t.routing_reviews;
  v.routing_correct = t.routing_correct;
  v.routing_accuracy = Ratio(static_cast<double>(t.routing_correct), t.routing_reviews);
  v.campaign_sends = t.campaign_sends;
  v.campaign_replies = t.campaign_replies;
  v.campaign_reply_rate = Ratio(static_cast<double>(t.campaign_replies), t.campaign_sends);
  return v;
}

// What a conversation contributes wherever it is counted.
struct KpiConversationFacts {
  const KpiConversationRow* row = nullptr;
  std::string intent;  // its first routed intent
};

// Adds every measurement to the totals and to the group its key names.
class KpiTallies {
 public:
  explicit KpiTallies(KpiGrouping grouping) : grouping_(grouping) {}

  // The group of a measurement about `conversation`, or about a message routed to `intent`.
  std::string KeyFor(const KpiConversationFacts& conversation, const std::string& intent) const {
    switch (grouping_) {
      case KpiGrouping::kDay: return KpiDay(conversation.row->created_at);
      case KpiGrouping::kIntent: return intent;
      case KpiGrouping::kCharacter: return std::to_string(conversation.row->character_id);
      case KpiGrouping::kNone: break;
    }
    return "";
  }

  template <typename Add>
  void Count(const std::string& key, Add add) {
    add(totals_);
    if (grouping_ != KpiGrouping::kNone) add(groups_[key]);
  }

  void EnsureGroup(const std::string& key) { groups_[key]; }
  const KpiTally& totals() const { return totals_; }
  const std::map<std::string, KpiTally>& groups() const { return groups_; }

 private:
  KpiGrouping grouping_;
  KpiTally totals_;
  std::map<std::string, KpiTally> groups_;
};

void CountConversation(KpiTallies& tallies, const KpiConversationFacts& facts) {
  const KpiConversationRow& row = *facts.row;
  const bool resolved = row.status == ConversationStatus::kClosed;
  const bool handed_off = row.handoff_at.has_value() || row.status == ConversationStatus::kHandedOff;
  tallies.Count(tallies.KeyFor(facts, facts.intent), [&](KpiTally& t) {
    ++t.conversations;
    if (resolved) ++t.resolved;
    if (handed_off) ++t.handed_off;
    if (resolved && !handed_off) ++t.resolved_without_human;
  });
}

// One conversation's messages, in order: replies and their response times, and routing reviews.
void CountMessages(KpiTallies& tallies, const KpiConversationFacts& facts, const KpiMessageRow* begin,
                   const KpiMessageRow* end) {
  const KpiMessageRow* waiting = nullptr;  // the earliest user message not answered yet
  bool answered_once = false;
  for (const KpiMessageRow* m = begin; m != end; ++m) {
    if (m->role == MessageRole::kUser) {
      if (waiting == nullptr) waiting = m;
      if (!m->reviewed_intent.empty()) {
        const bool correct = m->routed_intent == m->reviewed_intent;
        tallies.Count(tallies.KeyFor(facts, m->routed_intent), [&](KpiTally& t) {
          ++t.routing_reviews;
          if (correct) ++t.routing_correct;
        });
      }
      continue;
    }
    if (waiting == nullptr) continue;  // answers nothing: a greeting or a proactive message
    const double elapsed = static_cast<double>(m->created_at - waiting->created_at);
    tallies.Count(tallies.KeyFor(facts, waiting->routed_intent), [&](KpiTally& t) {
      ++t.replies;
      t.reply_sum += elapsed;
    });
    if (!answered_once) {
      tallies.Count(tallies.KeyFor(facts, facts.intent), [&](KpiTally& t) {
        ++t.first_responses;
        t.first_response_sum += elapsed;
      });
      answered_once = true;
    }
    waiting = nullptr;
  }
}

std::string FirstRoutedIntent(const KpiMessageRow* begin, const KpiMessageRow* end) {
  for (const KpiMessageRow* m = begin; m != end; ++m) {
    if (m->role == MessageRole::kUser && !m->routed_intent.empty()) return m->routed_intent;
  }
  return "";
}

void CountCsat(KpiTallies& tallies, const std::unordered_map<int64_t, KpiConversationFacts>& facts,
               const std::vector<KpiCsatRow>& csat) {
  std::map<int64_t, int> latest;  // per conversation; rows come oldest first
  for (const KpiCsatRow& row : csat) latest[row.conversation_id] = row.rating;
  for (const auto& [conversation_id, rating] : latest) {
    auto found = facts.find(conversation_id);
    if (found == facts.end()) continue;
    tallies.Count(tallies.KeyFor(found->second, found->second.intent), [&, r = rating](KpiTally& t) {
      ++t.csat_ratings;
      if (r >= 4) ++t.csat_satisfied;
      t.csat_sum += r;
    });
  }
}

void CountCampaignSends(KpiTallies& tallies, KpiGrouping grouping, const std::vector<KpiCampaignSendRow>& sends) {
  for (const KpiCampaignSendRow& send : sends) {
    std::string key;
    if (grouping == KpiGrouping::kDay) key = KpiDay(send.sent_at);
    if (grouping == KpiGrouping::kCharacter) key = std::to_string(send.character_id);
    tallies.Count(key, [&](KpiTally& t) {
      ++t.campaign_sends;
      if (send.replied) ++t.campaign_replies;
    });
  }
}

}  // namespace

std::string_view ToString(KpiGrouping grouping) {
  switch (grouping) {
    case KpiGrouping::kDay: return "day";
    case KpiGrouping::kIntent: return "intent";
    case KpiGrouping::kCharacter: return "character";
    case KpiGrouping::kNone: break;
  }
  return "none";
}

std::optional<KpiGrouping> ParseKpiGrouping(std::string_view text) {
  for (KpiGrouping grouping : {KpiGrouping::kNone, KpiGrouping::kDay, KpiGrouping::kIntent, KpiGrouping::kCharacter}) {
    if (ToString(grouping) == text) return grouping;
  }
  return std::nullopt;
}

KpiReport AggregateKpis(const KpiRows& rows, KpiGrouping grouping) {
  KpiTallies tallies(grouping);
  if (grouping == KpiGrouping::kDay) {
    for (int64_t day = rows.from_ms; day < rows.to_ms; day += kMillisPerDay) tallies.EnsureGroup(KpiDay(day));
  }
  std::unordered_map<int64_t, KpiConversationFacts> facts;
  for (const KpiConversationRow& row : rows.conversations) facts[row.id].row = &row;

  const KpiMessageRow* messages = rows.messages.data();
  for (size_t begin = 0; begin < rows.messages.size();) {
    size_t end = begin;
    while (end < rows.messages.size() && rows.messages[end].conversation_id == rows.messages[begin].conversation_id) {
      ++end;
    }
    auto found = facts.find(rows.messages[begin].conversation_id);
    if (found != facts.end()) {
      found->second.intent = FirstRoutedIntent(messages + begin, messages + end);
      CountMessages(tallies, found->second, messages + begin, messages + end);
    }
    begin = end;
  }
  for (const KpiConversationRow& row : rows.conversations) CountConversation(tallies, facts[row.id]);
  CountCsat(tallies, facts, rows.csat);
  CountCampaignSends(tallies, grouping, rows.campaign_sends);

  KpiReport report;
  report.from_ms = rows.from_ms;
  report.to_ms = rows.to_ms;
  report.totals = ValuesOf(tallies.totals());
  for (const auto& [key, tally] : tallies.groups()) report.groups.push_back({key, ValuesOf(tally)});
  if (grouping == KpiGrouping::kCharacter) {
    std::sort(report.groups.begin(), report.groups.end(), [](const KpiGroup& a, const KpiGroup& b) {
      return std::make_pair(a.key.size(), a.key) < std::make_pair(b.key.size(), b.key);  // numeric order
    });
  }
  return report;
}

std::optional<int64_t> ParseKpiDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  std::array<int, 3> parts{};
  const std::array<std::pair<size_t, size_t>, 3> spans = {{{0, 4}, {5, 2}, {8, 2}}};
  for (size_t i = 0; i < spans.size(); ++i) {
    for (size_t j = spans[i].first; j < spans[i].first + spans[i].second; ++j) {
      if (text[j] < '0' || text[j] > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (text[j] - '0');
    }
  }
  using namespace std::chrono;
  const year_month_day date{year{parts[0]}, month{static_cast<unsigned>(parts[1])},
                            day{static_cast<unsigned>(parts[2])}};
  if (!date.ok() || parts[0] < 1970) return std::nullopt;
  return duration_cast<milliseconds>(sys_days{date}.time_since_epoch()).count();
}

Result<std::pair<int64_t, int64_t>> ParseKpiPeriod(std::string_view from, std::string_view to, int64_t now_ms) {
  std::optional<int64_t> last = to.empty() ? ParseKpiDay(KpiDay(now_ms)) : ParseKpiDay(to);
  if (!last) return InvalidArgument("to must be a day as YYYY-MM-DD, got '" + std::string(to) + "'", "to");
  std::optional<int64_t> first = from.empty() ? std::optional<int64_t>(*last - 29 * kMillisPerDay) : ParseKpiDay(from);
  if (!first) return InvalidArgument("from must be a day as YYYY-MM-DD, got '" + std::string(from) + "'", "from");
  if (*last < *first) return InvalidArgument("to must not be before from", "to");
  if ((*last - *first) / kMillisPerDay + 1 > kMaxKpiDays) {
    return InvalidArgument("the period may cover at most " + std::to_string(kMaxKpiDays) + " days", "to");
  }
  return std::make_pair(*first, *last + kMillisPerDay);
}

std::string KpiDay(int64_t ms) {
  using namespace std::chrono;
  const sys_days midnight = floor<std::chrono::days>(sys_time<milliseconds>{milliseconds{ms}});
  const year_month_day date{midnight};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()));
  return text;
}

}  // namespace troupe::store
