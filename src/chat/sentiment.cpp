#include "chat/sentiment.h"

#include <cctype>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

namespace troupe::chat {
namespace {

// Valence on VADER's -4..4 scale, our own short list of frequent chat words.
const std::unordered_map<std::string, double>& Lexicon() {
  static const std::unordered_map<std::string, double> words = {
      {"love", 3.2},      {"loved", 2.9},     {"lovely", 2.8},   {"like", 1.5},      {"liked", 1.6},
      {"great", 3.1},     {"good", 1.9},      {"nice", 1.8},     {"happy", 2.7},     {"glad", 2.0},
      {"wonderful", 3.0}, {"amazing", 2.8},   {"awesome", 3.1},  {"excellent", 3.2}, {"fantastic", 2.9},
      {"beautiful", 2.9}, {"fun", 2.3},       {"funny", 1.9},    {"enjoy", 2.2},     {"enjoyed", 2.3},
      {"thanks", 1.9},    {"thank", 1.5},     {"grateful", 2.4}, {"best", 3.2},      {"better", 1.9},
      {"perfect", 2.7},   {"cool", 1.3},      {"sweet", 2.0},    {"kind", 2.0},      {"friend", 2.2},
      {"smile", 1.5},     {"laugh", 2.2},     {"excited", 2.3},  {"calm", 1.3},      {"hope", 1.9},
      {"helpful", 1.8},   {"works", 0.8},     {"fixed", 1.2},    {"solved", 1.7},    {"yay", 2.4},
      {"relieved", 1.5},  {"proud", 2.1},     {"safe", 1.9},     {"comfortable", 1.6},{"care", 2.2},
      {"bad", -2.5},      {"terrible", -2.7}, {"awful", -2.6},   {"horrible", -2.7}, {"hate", -2.7},
      {"hated", -3.0},    {"sad", -2.1},      {"angry", -2.3},   {"upset", -1.6},    {"annoyed", -1.6},
      {"annoying", -1.9}, {"worse", -2.1},    {"worst", -3.1},   {"lonely", -1.9},   {"alone", -1.0},
      {"tired", -1.3},    {"bored", -1.3},    {"boring", -1.3},  {"scared", -1.9},   {"afraid", -2.0},
      {"worried", -1.6},  {"anxious", -1.0},  {"hurt", -2.4},    {"pain", -2.3},     {"cry", -2.1},
      {"crying", -2.1},   {"broken", -1.8},   {"broke", -1.6},   {"fail", -2.5},     {"failed", -2.3},
      {"wrong", -2.1},    {"problem", -1.7},  {"problems", -1.7},{"issue", -0.8},    {"slow", -1.0},
      {"useless", -1.8},  {"stupid", -2.4},   {"disappointed", -1.9},{"frustrated", -2.1},{"frustrating", -2.0},
      {"sorry", -0.3},    {"miss", -0.6},     {"lost", -1.3},    {"sick", -1.9},     {"stress", -1.8},
      {"stressed", -1.4}, {"depressed", -2.3},{"unhappy", -1.8}, {"ugly", -2.3},     {"rude", -2.0},
      {"recommend", 1.5}, {"recommended", 1.5}, {"impressed", 2.0}, {"impressive", 2.2}, {"delicious", 2.7},
      {"tasty", 2.0}, {"fresh", 1.3}, {"friendly", 2.2}, {"easy", 1.3}, {"quick", 1.0},
      {"fast", 1.0}, {"clean", 1.5}, {"comfortably", 1.4}, {"well", 1.1}, {"fine", 0.8},
      {"pleased", 2.0}, {"satisfied", 1.8}, {"favorite", 2.0}, {"favourite", 2.0}, {"incredible", 2.4},
      {"brilliant", 2.8}, {"superb", 2.9}, {"outstanding", 2.9}, {"worth", 1.2}, {"quality", 1.0},
      {"solid", 1.2}, {"reliable", 1.6}, {"loves", 2.7}, {"loving", 2.8}, {"enjoyable", 2.3},
      {"pleasant", 2.2}, {"attentive", 1.6}, {"gorgeous", 2.8}, {"charming", 2.2}, {"warm", 1.2},
      {"fabulous", 2.8}, {"wow", 2.3}, {"exceptional", 2.8}, {"beautifully", 2.6}, {"masterpiece", 3.0},
      {"touching", 1.6}, {"fascinating", 2.2}, {"entertaining", 2.0}, {"clever", 1.8}, {"interesting", 1.7},
      {"handy", 1.3}, {"sturdy", 1.3}, {"perfectly", 2.6}, {"correctly", 1.0}, {"flawless", 2.8},
      {"recommendation", 1.2}, {"professional", 1.3}, {"generous", 2.2}, {"yummy", 2.4}, {"authentic", 1.3},
      {"cute", 2.0}, {"wonderfully", 2.9}, {"highly", 0.9}, {"joy", 2.8}, {"win", 2.5},
      {"won", 2.3}, {"useful", 1.9}, {"right", 0.6}, {"ok", 0.9}, {"okay", 0.9},
      {"refreshing", 1.8}, {"affordable", 1.2}, {"bargain", 1.4}, {"smooth", 1.3}, {"crisp", 1.1},
      {"loud", 0.3}, {"happier", 2.5}, {"poor", -2.1}, {"poorly", -2.0}, {"disappointing", -2.2},
      {"disappointment", -2.3}, {"waste", -1.8}, {"wasted", -1.9}, {"junk", -2.0}, {"crap", -2.4},
      {"garbage", -2.2}, {"mediocre", -1.4}, {"bland", -1.3}, {"cold", -0.8}, {"dirty", -1.9},
      {"gross", -2.1}, {"disgusting", -2.4}, {"unfortunately", -1.4}, {"avoid", -1.4}, {"unacceptable", -2.0},
      {"dead", -1.9}, {"died", -2.0}, {"defective", -2.0}, {"difficult", -1.3}, {"hard", -0.4},
      {"lame", -1.8}, {"overpriced", -1.6}, {"overcooked", -1.4}, {"raw", -0.6}, {"stale", -1.5},
      {"slowly", -0.6}, {"unreliable", -1.8}, {"cheap", -0.8}, {"flimsy", -1.6}, {"uncomfortable", -1.6},
      {"mess", -1.5}, {"messy", -1.4}, {"weak", -1.4}, {"dull", -1.7}, {"pointless", -1.8},
      {"ridiculous", -1.6}, {"predictable", -0.9}, {"stupidity", -2.3}, {"worthless", -2.3}, {"insult", -2.1},
      {"nasty", -2.4}, {"sucks", -1.8}, {"sucked", -1.8}, {"suck", -1.8}, {"unfunny", -1.6},
      {"fails", -2.2}, {"failure", -2.3}, {"returned", -0.8}, {"return", -0.4}, {"noisy", -1.2},
      {"bug", -1.2}, {"bugs", -1.2}, {"crash", -1.7}, {"crashed", -1.8}, {"disaster", -2.8},
      {"painful", -2.2}, {"annoy", -1.7}, {"mistake", -1.6}, {"confusing", -1.2}, {"awkward", -1.1},
      {"terribly", -2.2}, {"horribly", -2.4}, {"inferior", -1.7}, {"unhelpful", -1.8}, {"sloppy", -1.6},
      {"rotten", -2.2}, {"burnt", -1.4}, {"greasy", -1.2}, {"tasteless", -1.7}, {"lousy", -2.2},
      {"pathetic", -2.3}, {"fake", -1.5}, {"problematic", -1.5}, {"damaged", -1.8}, {"wasn't", -0.1},
      {"bother", -1.0},
      {"nothing", -0.2},  {"never", -0.4},    {"cancel", -0.8},  {"refund", -0.5},   {"complaint", -1.5},
  };
  return words;
}

const std::unordered_map<std::string, double>& Intensifiers() {
  static const std::unordered_map<std::string, double> words = {
      {"very", 0.293},  {"really", 0.293}, {"so", 0.293},      {"extremely", 0.293}, {"super", 0.293},
      {"totally", 0.293}, {"absolutely", 0.293}, {"quite", 0.15}, {"pretty", 0.15},  {"slightly", -0.293},
      {"somewhat", -0.293}, {"barely", -0.293}, {"kinda", -0.293}, {"little", -0.2},
  };
  return words;
}

bool IsNegation(const std::string& word) {
  static const std::vector<std::string> negations = {"not",   "no",    "never", "dont",  "don't", "isnt",
                                                     "isn't", "wasnt", "wasn't", "cant", "can't", "won't",
                                                     "wont",  "didnt", "didn't", "aint", "nor",   "without"};
  for (const std::string& negation : negations) {
    if (word == negation) return true;
  }
  return false;
}

}  // namespace

double EstimateSentiment(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  int exclamations = 0;
  for (char c : text) {
    if (c == '!') ++exclamations;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '\'') {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));

  double sum = 0;
  bool any = false;
  for (size_t i = 0; i < words.size(); ++i) {
    auto found = Lexicon().find(words[i]);
    if (found == Lexicon().end()) continue;
    double valence = found->second;
    // The three words before: intensifiers scale, a negation flips and dampens.
    for (size_t back = 1; back <= 3 && back <= i; ++back) {
      const std::string& before = words[i - back];
      if (auto boost = Intensifiers().find(before); boost != Intensifiers().end()) {
        const double scale = back == 1 ? 1.0 : back == 2 ? 0.95 : 0.9;
        valence += (valence > 0 ? 1 : -1) * boost->second * scale;
      }
      if (IsNegation(before)) {
        valence *= -0.74;
        break;
      }
    }
    sum += valence;
    any = true;
  }
  if (!any) return 0.0;
  if (exclamations > 0) sum += (sum > 0 ? 1 : -1) * 0.292 * std::min(exclamations, 4);
  // VADER's normalisation to -1..1.
  return sum / std::sqrt(sum * sum + 15.0);
}

}  // namespace troupe::chat
