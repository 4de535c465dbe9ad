#include "base/sentiment_lexicon.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace troupe {
namespace {

// Our own word list, grouped by strength on VADER's -4..4 valence scale. Words whose sense is
// mostly neutral in chat ("like" as in "looks like", "mean" as in "I mean", "pretty" as in
// "pretty bad") are left out or kept weak.
struct Group {
  double valence;
  std::vector<std::string_view> words;
};

const std::vector<Group>& Groups() {
  static const std::vector<Group> groups = {
      {3.0,
       {"love", "loved", "loves", "adore", "adored", "adores", "adorable", "amazing", "amazed", "awesome",
        "excellent", "fantastic", "wonderful", "wonderfully", "brilliant", "brilliantly", "superb", "outstanding",
        "perfect", "perfectly", "incredible", "magnificent", "marvelous", "marvellous", "spectacular",
        "phenomenal", "exceptional", "extraordinary", "masterpiece", "flawless", "best", "greatest", "ecstatic",
        "thrilled", "delighted", "delightful", "overjoyed", "blissful", "bliss", "heavenly", "stunning",
        "breathtaking", "gorgeous", "beautiful", "beautifully", "terrific", "fabulous", "glorious", "sublime",
        "joyful", "joy", "elated", "euphoric", "sensational", "loving", "lovely"}},
      {2.3,
       {"great", "happy", "happier", "happiest", "glad", "fun", "enjoy", "enjoyed", "enjoying", "enjoys",
        "enjoyable", "pleasant", "pleasure", "pleased", "sweet", "kindness", "friendly", "grateful", "thankful",
        "appreciate", "appreciated", "impressive", "impressed", "fascinating", "exciting", "excited", "cheerful",
        "charming", "cute", "lucky", "proud", "relieved", "inspiring", "inspired", "favorite", "favourite",
        "winner", "success", "successful", "generous", "heartwarming", "uplifting", "hilarious", "yay", "hooray",
        "woohoo", "congratulations", "congrats", "bravo", "celebrate", "blessed", "blessing", "delicious",
        "yummy", "tasty", "fond", "treasure", "cherish", "cherished", "superior", "epic", "wow", "beloved",
        "recommend", "recommended", "highly-recommended", "pleasantly", "thrilling", "captivating", "riveting",
        "entertaining", "engaging", "compelling", "gripping", "touching", "refreshing", "hopeful", "win",
        "won"}},
      {1.7,
       {"good", "nice", "better", "thanks", "thank", "kind", "warm", "warmth", "comfort", "comforting", "cozy",
        "cosy", "calm", "peaceful", "relaxed", "relaxing", "safe", "satisfied", "satisfying", "satisfaction",
        "smile", "smiled", "smiles", "smiling", "laugh", "laughed", "laughing", "laughter", "funny", "cool",
        "neat", "helpful", "useful", "handy", "smart", "clever", "intelligent", "wise", "talented", "skilled",
        "creative", "interesting", "welcome", "welcoming", "polite", "courteous", "attentive", "professional",
        "patient", "caring", "supportive", "encouraging", "trust", "trusted", "honest", "loyal", "friend",
        "friends", "buddy", "hug", "hugs", "peace", "valuable", "worthwhile", "bargain", "improved",
        "improvement", "solved", "resolved", "fixed", "sturdy", "durable", "comfortable", "comfortably",
        "smooth", "hope", "amused", "liked", "likes", "miracle", "reliable", "tender", "juicy", "fresh",
        "healthy", "easy", "impressively", "nicely", "fairly-priced", "affordable", "authentic", "fine-tuned",
        "well-made", "well-done", "enjoyably", "excitement", "strongly-recommend", "positive", "pleasing",
        "gem", "must-see", "must-have", "worth", "happily", "gladly", "solid",
        "polished", "crisp", "clear", "bright", "sunny", "works", "worked", "working", "fast", "quick",
        "quickly", "clean", "recommendation", "perfection", "classic", "accurate"}},
      {0.8,
       {"like", "fine", "ok", "okay", "decent", "right", "correct", "agree", "well", "sure", "yes", "interested",
        "reasonable", "fair", "nicer", "tidy", "simple", "plenty", "free"}},
      {-0.8,
       {"issue", "issues", "hard", "sorry", "cold", "raw", "loud", "meh", "sigh", "oops", "nope", "refund",
        "cancel", "returned", "predictable", "risk", "silly", "expensive", "alone", "tired", "lost", "unclear", "low",
        "average", "late", "wait", "waited", "waiting", "odd", "weird", "strange", "confused", "unsure", "doubt",
        "complicated", "bother", "hardly", "barely", "miss", "missed", "missing", "lacks", "lacking", "lack"}},
      {-1.7,
       {"bad", "sad", "sadly", "unhappy", "upset", "mad", "annoyed", "annoying", "annoyance", "irritated",
        "irritating", "frustrated", "frustrating", "frustration", "disappointed", "disappointing",
        "disappointment", "disappoint", "disappoints", "dislike", "disliked", "boring", "bored", "dull",
        "tedious", "lonely", "isolated", "afraid", "scared", "scary", "fear", "fearful", "frightened", "worried",
        "worry", "worrying", "anxious", "anxiety", "nervous", "stress", "stressed", "stressful", "exhausted",
        "sick", "ill", "pain", "painful", "hurt", "hurts", "hurting", "ache", "cry", "cried", "crying", "tears",
        "regret", "regrets", "guilty", "shame", "ashamed", "embarrassed", "embarrassing", "awkward", "confusing",
        "broken", "broke", "fail", "failed", "fails", "failure", "failing", "wrong", "mistake", "mistakes",
        "problem", "problems", "trouble", "difficult", "impossible", "poor", "poorly", "weak", "mediocre",
        "bland", "tasteless", "stale", "dirty", "gross", "nasty", "rude", "cruel", "unfair", "unfriendly",
        "unhelpful", "incompetent", "slow", "slowly", "overpriced", "flimsy", "defective", "faulty", "damaged",
        "junk", "waste", "wasted", "wasting", "pointless", "meaningless", "stupid", "dumb", "ridiculous", "lame",
        "ugly", "mess", "messy", "noisy", "crash", "crashed", "crashes", "bug", "bugs", "buggy", "glitch",
        "glitches", "annoy", "annoys", "avoid", "complaint", "complain", "complained", "complaining",
        "unreliable", "uncomfortable", "unpleasant", "unfortunately", "unfortunate", "jealous", "bitter",
        "hostile", "blame", "blamed", "fault", "lie", "lied", "lies", "liar", "cheat", "cheated", "ignored",
        "rejected", "rejection", "insult", "insulted", "insulting", "offensive", "offended", "dangerous",
        "ugh", "bummer", "yikes", "ouch", "lousy", "sloppy", "burnt", "greasy", "overcooked", "undercooked",
        "soggy", "inferior", "overrated", "underwhelming", "forgettable", "cheesy", "cliche", "cliched",
        "incoherent", "unwatchable", "unreadable", "worse", "negative", "sucky", "sub-par", "subpar", "hassle",
        "problematic", "breaks", "unusable", "unstable", "unresponsive", "rubbery",
        "bleh", "damn", "dammit", "hell", "die", "died", "dying", "dead", "kill",
        "killed", "grumpy", "moody", "gloomy", "miserably", "poorer", "cramped", "filthy", "smelly", "stinks",
        "stink", "stinky", "ripped", "ripoff", "rip-off", "scam", "fake", "flawed", "hurtful", "crappy"}},
      {-3.0,
       {"hate", "hated", "hates", "hating", "awful", "terrible", "horrible", "horrific", "horrendous",
        "dreadful", "disgusting", "disgusted", "despise", "despised", "worst", "abysmal", "atrocious",
        "appalling", "pathetic", "miserable", "devastated", "devastating", "heartbroken", "furious", "enraged",
        "disaster", "disastrous", "nightmare", "unbearable", "hideous", "vile", "evil", "toxic", "useless",
        "worthless", "garbage", "trash", "crap", "shit", "shitty", "sucks", "sucked", "suck", "ruined", "ruin",
        "ruins", "tragic", "tragedy", "hopeless", "unacceptable", "inexcusable", "rubbish", "horribly",
        "terribly", "depressed", "depressing", "depression", "suicidal", "grief", "angry", "anger", "rage",
        "terrified", "terrifying", "betrayed", "betrayal", "abandoned", "idiot", "idiotic",
        "moron", "stupidity", "awfully", "poisoning", "sickening", "nauseating", "embarrassment", "lousiest"}},
  };
  return groups;
}

const std::unordered_map<std::string_view, double>& Lexicon() {
  static const std::unordered_map<std::string_view, double> words = [] {
    std::unordered_map<std::string_view, double> map;
    for (const Group& group : Groups()) {
      for (std::string_view word : group.words) map.emplace(word, group.valence);  // the first group wins
    }
    return map;
  }();
  return words;
}

// Added to (or, for dampeners, taken from) the strength of the word they precede.
const std::unordered_map<std::string_view, double>& Intensifiers() {
  static const std::unordered_map<std::string_view, double> words = {
      {"very", 0.293},       {"really", 0.293},    {"so", 0.293},          {"extremely", 0.293},
      {"super", 0.293},      {"totally", 0.293},   {"absolutely", 0.293},  {"completely", 0.293},
      {"incredibly", 0.293}, {"truly", 0.293},     {"highly", 0.293},      {"deeply", 0.293},
      {"especially", 0.293}, {"utterly", 0.293},   {"such", 0.2},          {"most", 0.2},
      {"quite", 0.15},       {"pretty", 0.15},     {"slightly", -0.293},   {"somewhat", -0.293},
      {"kinda", -0.293},     {"sorta", -0.293},    {"little", -0.2},       {"bit", -0.2},
      {"fairly", -0.15},     {"marginally", -0.293}};
  return words;
}

bool IsNegation(std::string_view word) {
  static constexpr std::string_view kNegations[] = {
      "not",    "no",       "never",  "neither", "nor",    "none",   "nobody", "nothing", "nowhere", "cannot",
      "without", "dont",    "doesnt", "didnt",   "isnt",   "arent",  "wasnt",  "werent",  "cant",    "couldnt",
      "wont",   "wouldnt",  "shouldnt", "havent", "hasnt", "hadnt",  "aint",   "mustnt",  "neednt",  "darent",
      "stopped", "quit"};  // "stopped working" reads like "not working"
  if (word.size() > 3 && word.substr(word.size() - 3) == "n't") return true;
  return std::find(std::begin(kNegations), std::end(kNegations), word) != std::end(kNegations);
}

// Emoticons and emoji, matched in the raw text, longest first.
struct Symbol {
  std::string_view text;
  double valence;
};
constexpr Symbol kSymbols[] = {
    {">:(", -2.5}, {":'(", -2.3}, {"</3", -2.5}, {":-)", 2.0}, {":-D", 2.3}, {";-)", 1.5}, {":-(", -2.0},
    {":)", 2.0},   {":D", 2.3},   {";)", 1.5},   {"=)", 2.0},  {":P", 1.3},  {"<3", 2.5},  {"xD", 2.0},
    {"XD", 2.0},   {"^^", 1.5},   {":(", -2.0},  {"=(", -2.0},
    {"\xF0\x9F\x98\x8A", 2.3},   // smiling face with smiling eyes
    {"\xF0\x9F\x98\x80", 2.3},   // grinning face
    {"\xF0\x9F\x98\x83", 2.3},   // grinning face with big eyes
    {"\xF0\x9F\x98\x84", 2.3},   // grinning face with smiling eyes
    {"\xF0\x9F\x98\x81", 2.0},   // beaming face
    {"\xF0\x9F\x99\x82", 1.5},   // slightly smiling face
    {"\xF0\x9F\x98\x82", 2.0},   // face with tears of joy
    {"\xF0\x9F\xA4\xA3", 2.0},   // rolling on the floor laughing
    {"\xF0\x9F\x98\x8D", 2.8},   // heart eyes
    {"\xF0\x9F\xA5\xB0", 2.8},   // smiling face with hearts
    {"\xF0\x9F\x98\x98", 2.3},   // face blowing a kiss
    {"\xE2\x9D\xA4", 2.5},       // red heart
    {"\xF0\x9F\x92\x95", 2.5},   // two hearts
    {"\xF0\x9F\x91\x8D", 1.8},   // thumbs up
    {"\xF0\x9F\x8E\x89", 2.0},   // party popper
    {"\xF0\x9F\x98\xA2", -2.3},  // crying face
    {"\xF0\x9F\x98\xAD", -2.5},  // loudly crying face
    {"\xF0\x9F\x98\x9E", -2.0},  // disappointed face
    {"\xF0\x9F\x98\x94", -1.8},  // pensive face
    {"\xE2\x98\xB9", -2.0},      // frowning face
    {"\xF0\x9F\x99\x81", -1.8},  // slightly frowning face
    {"\xF0\x9F\x98\xA1", -2.8},  // pouting face
    {"\xF0\x9F\x98\xA0", -2.5},  // angry face
    {"\xF0\x9F\x91\x8E", -1.8},  // thumbs down
    {"\xF0\x9F\x92\x94", -2.5},  // broken heart
    {"\xF0\x9F\x98\x92", -1.5},  // unamused face
    {"\xF0\x9F\x98\xA9", -2.0},  // weary face
    {"\xF0\x9F\x98\xAB", -2.0},  // tired face
};

bool IsAsciiAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// The summed valence of the emoticons and emoji in `text`; an ASCII emoticon must stand apart
// from letters and digits ("xDR" is no laugh).
double SymbolValence(std::string_view text, int* count) {
  double sum = 0;
  for (size_t at = 0; at < text.size();) {
    size_t matched = 0;
    for (const Symbol& symbol : kSymbols) {
      if (text.compare(at, symbol.text.size(), symbol.text) != 0) continue;
      const size_t end = at + symbol.text.size();
      const bool ascii = static_cast<unsigned char>(symbol.text[0]) < 0x80;
      if (ascii && ((at > 0 && IsAsciiAlnum(text[at - 1])) || (end < text.size() && IsAsciiAlnum(text[end])))) {
        continue;
      }
      sum += symbol.valence;
      ++*count;
      matched = symbol.text.size();
      break;
    }
    at += matched > 0 ? matched : 1;
  }
  return sum;
}

struct Token {
  std::string lower;
  bool shouting = false;     // ALL CAPS, two letters or more
  bool ends_clause = false;  // punctuation follows: negations and boosters do not reach past it
};

std::vector<Token> Tokens(std::string_view text) {
  std::vector<Token> tokens;
  Token token;
  bool all_upper = true;
  int letters = 0;
  auto flush = [&] {
    while (!token.lower.empty() && (token.lower.back() == '\'' || token.lower.back() == '-')) token.lower.pop_back();
    if (!token.lower.empty()) {
      token.shouting = all_upper && letters >= 2;
      tokens.push_back(std::move(token));
    }
    token = {};
    all_upper = true;
    letters = 0;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      all_upper = all_upper && c <= 'Z';
      ++letters;
      token.lower += static_cast<char>(c | 0x20);
    } else if ((c == '\'' || c == '-') && !token.lower.empty()) {
      token.lower += c;
    } else if (text.compare(i, 3, "\xE2\x80\x99") == 0 && !token.lower.empty()) {  // ’ as an apostrophe
      token.lower += '\'';
      i += 2;
    } else {
      flush();
      const bool clause_mark = c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?';
      if (clause_mark && !tokens.empty()) tokens.back().ends_clause = true;
    }
  }
  flush();
  return tokens;
}

// The lexicon's valence for a word, trying a plain plural or "-ly" form when the word is missing.
std::optional<double> Valence(const std::string& word) {
  const auto& lexicon = Lexicon();
  if (auto it = lexicon.find(word); it != lexicon.end()) return it->second;
  for (std::string_view suffix : {"s", "ly"}) {
    if (word.size() > suffix.size() + 3 && word.compare(word.size() - suffix.size(), suffix.size(), suffix) == 0) {
      if (auto it = lexicon.find(std::string_view(word).substr(0, word.size() - suffix.size())); it != lexicon.end()) {
        return it->second;
      }
    }
  }
  return std::nullopt;
}

bool KeepsSignWhenNegated(std::string_view word) {
  return word == "waste" || word == "wasting" || word == "bother";
}

bool SoftensNext(const std::vector<Token>& tokens, size_t i) {  // "kind of", "sort of"
  return (tokens[i].lower == "kind" || tokens[i].lower == "sort") && i + 1 < tokens.size() &&
         tokens[i + 1].lower == "of";
}

}  // namespace

double LexiconSentiment(std::string_view text) {
  const std::vector<Token> tokens = Tokens(text);
  const bool all_shouting = std::all_of(tokens.begin(), tokens.end(), [](const Token& t) { return t.shouting; });
  // VADER's contrast rule: what follows "but" counts more than what precedes it.
  size_t but_at = tokens.size();
  for (size_t i = 0; i < tokens.size() && but_at == tokens.size(); ++i) {
    if (tokens[i].lower == "but" || tokens[i].lower == "however" || tokens[i].lower == "although") but_at = i;
  }
  double sum = 0;
  int hits = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (SoftensNext(tokens, i)) continue;
    std::optional<double> found = Valence(tokens[i].lower);
    if (!found) continue;
    double valence = *found;
    const double sign = valence > 0 ? 1 : -1;
    if (tokens[i].shouting && !all_shouting) valence += sign * 0.733;
    // "couldn't be happier", "could not be better": a negated comparative is the top of the scale.
    if ((tokens[i].lower == "happier" || tokens[i].lower == "better") && i >= 2 && tokens[i - 1].lower == "be" &&
        (IsNegation(tokens[i - 2].lower) || (i >= 3 && IsNegation(tokens[i - 3].lower)))) {
      sum += 3.0;
      ++hits;
      continue;
    }
    // Up to three words before, within the clause: boosters and dampeners scale, a negation flips
    // and weakens ("not bad" is mildly good).
    for (size_t back = 1; back <= 3 && back <= i && !tokens[i - back].ends_clause; ++back) {
      const std::string& before = tokens[i - back].lower;
      const double distance = back == 1 ? 1.0 : back == 2 ? 0.95 : 0.9;
      if (auto boost = Intensifiers().find(before); boost != Intensifiers().end()) {
        valence += sign * boost->second * distance;
      } else if (before == "of" && i - back >= 1 && SoftensNext(tokens, i - back - 1)) {
        valence -= sign * 0.293 * distance;
      }
      if (IsNegation(before)) {
        // "don't waste your money" and "don't bother" are warnings, not praise.
        if (!KeepsSignWhenNegated(tokens[i].lower)) valence *= -0.74;
        break;
      }
    }
    if (but_at < tokens.size() && i != but_at) valence *= i < but_at ? 0.5 : 1.5;
    sum += valence;
    ++hits;
  }
  int symbols = 0;
  sum += SymbolValence(text, &symbols);
  if (hits + symbols == 0 || sum == 0) return 0.0;
  const int exclamations = static_cast<int>(std::count(text.begin(), text.end(), '!'));
  sum += (sum > 0 ? 1 : -1) * 0.292 * std::min(exclamations, 4);
  // VADER's normalisation to -1..1.
  return sum / std::sqrt(sum * sum + 15.0);
}

}  // namespace troupe
