#include "base/sentiment_lexicon.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace troupe {
namespace {

// Our own word list, grouped by strength on VADER's -4..4 valence scale. Words whose sense is
// mostly neutral in chat ("like" as in "looks like", "mean" as in "I mean", "pretty" as in
// "pretty bad") are left out or kept weak.
struct LexiconGroup {
  double valence;
  std::vector<std::string_view> words;
};

const std::vector<LexiconGroup>& LexiconGroups() {
  static const std::vector<LexiconGroup> groups = {
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

// Added to (or, for dampeners, taken from) the strength of the word they precede.
struct LexiconIntensifier {
  std::string_view word;
  double intensity;
};
constexpr LexiconIntensifier kLexiconIntensifiers[] = {
    {"very", 0.293},       {"really", 0.293},    {"so", 0.293},          {"extremely", 0.293},
    {"super", 0.293},      {"totally", 0.293},   {"absolutely", 0.293},  {"completely", 0.293},
    {"incredibly", 0.293}, {"truly", 0.293},     {"highly", 0.293},      {"deeply", 0.293},
    {"especially", 0.293}, {"utterly", 0.293},   {"such", 0.2},          {"most", 0.2},
    {"quite", 0.15},       {"pretty", 0.15},     {"slightly", -0.293},   {"somewhat", -0.293},
    {"kinda", -0.293},     {"sorta", -0.293},    {"little", -0.2},       {"bit", -0.2},
    {"fairly", -0.15},     {"marginally", -0.293}};

constexpr std::string_view kLexiconNegations[] = {
    "not",    "no",       "never",  "neither", "nor",    "none",   "nobody", "nothing", "nowhere", "cannot",
    "without", "dont",    "doesnt", "didnt",   "isnt",   "arent",  "wasnt",  "werent",  "cant",    "couldnt",
    "wont",   "wouldnt",  "shouldnt", "havent", "hasnt", "hadnt",  "aint",   "mustnt",  "neednt",  "darent",
    "stopped", "quit"};  // "stopped working" reads like "not working"

// The parts a word can play besides its valence; the scorer looks at neighbours' roles, so each
// word is looked up once.
enum LexiconRole : uint8_t {
  kLexiconNegation = 1,
  kLexiconKeepsSignWhenNegated = 2,  // "don't waste your money" and "don't bother" are warnings, not praise
  kLexiconContrast = 4,              // "but", "however", "although"
  kLexiconSoftener = 8,              // "kind" and "sort", when "of" follows
  kLexiconOf = 16,
  kLexiconBe = 32,
  kLexiconComparative = 64,  // "happier", "better": "couldn't be happier"
};

struct LexiconEntry {
  std::string_view word;
  double valence = 0;
  double intensity = 0;
  bool has_valence = false;
  uint8_t roles = 0;
};

// Every word the scorer knows, in an open-addressing table at most a quarter full, so most
// lookups (a miss, for most words of a message) end at the first slot without touching the heap.
class LexiconTable {
 public:
  LexiconTable() : slots_(kSlots, kEmpty) {
    for (const LexiconGroup& group : LexiconGroups()) {
      for (std::string_view word : group.words) {
        LexiconEntry& entry = Claim(word);
        if (entry.has_valence) continue;  // the first (strongest) group wins
        entry.valence = group.valence;
        entry.has_valence = true;
      }
    }
    for (const LexiconIntensifier& intensifier : kLexiconIntensifiers) {
      Claim(intensifier.word).intensity = intensifier.intensity;
    }
    for (std::string_view word : kLexiconNegations) Claim(word).roles |= kLexiconNegation;
    for (std::string_view word : {"waste", "wasting", "bother"}) Claim(word).roles |= kLexiconKeepsSignWhenNegated;
    for (std::string_view word : {"but", "however", "although"}) Claim(word).roles |= kLexiconContrast;
    for (std::string_view word : {"kind", "sort"}) Claim(word).roles |= kLexiconSoftener;
    for (std::string_view word : {"happier", "better"}) Claim(word).roles |= kLexiconComparative;
    Claim("of").roles |= kLexiconOf;
    Claim("be").roles |= kLexiconBe;
  }

  const LexiconEntry* Find(std::string_view word) const {
    for (uint32_t slot = Hash(word) & kMask;; slot = (slot + 1) & kMask) {
      const uint16_t index = slots_[slot];
      if (index == kEmpty) return nullptr;
      if (entries_[index].word == word) return &entries_[index];
    }
  }

 private:
  static constexpr uint32_t kSlots = 4096;  // a power of two, over four times the words
  static constexpr uint32_t kMask = kSlots - 1;
  static constexpr uint16_t kEmpty = 0xFFFF;

  static uint32_t Hash(std::string_view word) {  // FNV-1a
    uint32_t hash = 2166136261u;
    for (char c : word) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    return hash;
  }

  LexiconEntry& Claim(std::string_view word) {
    uint32_t slot = Hash(word) & kMask;
    for (; slots_[slot] != kEmpty; slot = (slot + 1) & kMask) {
      if (entries_[slots_[slot]].word == word) return entries_[slots_[slot]];
    }
    slots_[slot] = static_cast<uint16_t>(entries_.size());
    entries_.push_back(LexiconEntry{.word = word});
    return entries_.back();
  }

  std::vector<uint16_t> slots_;
  std::vector<LexiconEntry> entries_;
};

const LexiconTable& Lexicon() {
  static const LexiconTable table;
  return table;
}

// Emoticons and emoji, matched in the raw text, longest first.
struct LexiconSymbol {
  std::string_view text;
  double valence;
};
constexpr LexiconSymbol kLexiconSymbols[] = {
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

// The bytes a symbol can begin with: the scan tries the symbol list only there.
constexpr std::array<bool, 256> kLexiconSymbolStarts = [] {
  std::array<bool, 256> starts{};
  for (const LexiconSymbol& symbol : kLexiconSymbols) starts[static_cast<unsigned char>(symbol.text[0])] = true;
  return starts;
}();

bool LexiconIsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The summed valence of the emoticons and emoji in `text`; an ASCII emoticon must stand apart
// from letters and digits ("xDR" is no laugh).
double LexiconSymbolValence(std::string_view text, int& count) {
  double sum = 0;
  for (size_t at = 0; at < text.size();) {
    size_t matched = 0;
    if (kLexiconSymbolStarts[static_cast<unsigned char>(text[at])]) {
      for (const LexiconSymbol& symbol : kLexiconSymbols) {
        if (text.compare(at, symbol.text.size(), symbol.text) != 0) continue;
        const size_t end = at + symbol.text.size();
        const bool ascii = static_cast<unsigned char>(symbol.text[0]) < 0x80;
        if (ascii && ((at > 0 && LexiconIsAsciiAlnum(text[at - 1])) ||
                      (end < text.size() && LexiconIsAsciiAlnum(text[end])))) {
          continue;
        }
        sum += symbol.valence;
        ++count;
        matched = symbol.text.size();
        break;
      }
    }
    at += matched > 0 ? matched : 1;
  }
  return sum;
}

// A word of the message and what the lexicon says of it.
struct LexiconToken {
  double valence = 0;
  double intensity = 0;
  bool has_valence = false;
  bool shouting = false;     // ALL CAPS, two letters or more
  bool ends_clause = false;  // punctuation follows: negations and boosters do not reach past it
  uint8_t roles = 0;
};

// Looks a lowercased word up, trying a plain plural or "-ly" form when it has no valence itself.
LexiconToken LexiconDescribe(std::string_view word) {
  LexiconToken token;
  const LexiconTable& lexicon = Lexicon();
  if (const LexiconEntry* entry = lexicon.Find(word)) {
    token.roles = entry->roles;
    token.intensity = entry->intensity;
    token.valence = entry->valence;
    token.has_valence = entry->has_valence;
  }
  if (word.size() > 3 && word.ends_with("n't")) token.roles |= kLexiconNegation;
  if (token.has_valence) return token;
  for (std::string_view suffix : {std::string_view("s"), std::string_view("ly")}) {
    if (word.size() > suffix.size() + 3 && word.ends_with(suffix)) {
      const LexiconEntry* base = lexicon.Find(word.substr(0, word.size() - suffix.size()));
      if (base != nullptr && base->has_valence) {
        token.valence = base->valence;
        token.has_valence = true;
        return token;
      }
    }
  }
  return token;
}

// Buffers reused from message to message, so scoring allocates only when a message is longer
// than any this thread has seen.
struct LexiconScratch {
  std::string word;
  std::vector<LexiconToken> tokens;
};

// Splits at anything but ASCII letters, apostrophes and hyphens inside a word; ’ counts as an apostrophe.
void LexiconTokenize(std::string_view text, LexiconScratch& scratch) {
  std::string& word = scratch.word;
  std::vector<LexiconToken>& tokens = scratch.tokens;
  word.clear();
  tokens.clear();
  bool all_upper = true;
  int letters = 0;
  auto flush = [&] {
    while (!word.empty() && (word.back() == '\'' || word.back() == '-')) word.pop_back();
    if (!word.empty()) {
      tokens.push_back(LexiconDescribe(word));
      tokens.back().shouting = all_upper && letters >= 2;
    }
    word.clear();
    all_upper = true;
    letters = 0;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      all_upper = all_upper && c <= 'Z';
      ++letters;
      word += static_cast<char>(c | 0x20);
    } else if ((c == '\'' || c == '-') && !word.empty()) {
      word += c;
    } else if (c == '\xE2' && !word.empty() && text.compare(i, 3, "\xE2\x80\x99") == 0) {
      word += '\'';
      i += 2;
    } else {
      flush();
      const bool clause_mark = c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?';
      if (clause_mark && !tokens.empty()) tokens.back().ends_clause = true;
    }
  }
  flush();
}

bool LexiconSoftensNext(const std::vector<LexiconToken>& tokens, size_t i) {  // "kind of", "sort of"
  return (tokens[i].roles & kLexiconSoftener) != 0 && i + 1 < tokens.size() &&
         (tokens[i + 1].roles & kLexiconOf) != 0;
}

bool LexiconNegates(const LexiconToken& token) { return (token.roles & kLexiconNegation) != 0; }

// "couldn't be happier", "could not be better": a negated comparative is the top of the scale.
bool LexiconIsNegatedComparative(const std::vector<LexiconToken>& tokens, size_t i) {
  return (tokens[i].roles & kLexiconComparative) != 0 && i >= 2 && (tokens[i - 1].roles & kLexiconBe) != 0 &&
         (LexiconNegates(tokens[i - 2]) || (i >= 3 && LexiconNegates(tokens[i - 3])));
}

// The valence of the opinion word at `i` after the up to three words before it, within the
// clause: boosters and dampeners scale, a negation flips and weakens ("not bad" is mildly good).
double LexiconValenceInContext(const std::vector<LexiconToken>& tokens, size_t i, double valence, double sign) {
  for (size_t back = 1; back <= 3 && back <= i && !tokens[i - back].ends_clause; ++back) {
    const LexiconToken& before = tokens[i - back];
    const double distance = back == 1 ? 1.0 : back == 2 ? 0.95 : 0.9;
    if (before.intensity != 0) {
      valence += sign * before.intensity * distance;
    } else if ((before.roles & kLexiconOf) != 0 && i - back >= 1 && LexiconSoftensNext(tokens, i - back - 1)) {
      valence -= sign * 0.293 * distance;
    }
    if (LexiconNegates(before)) {
      if ((tokens[i].roles & kLexiconKeepsSignWhenNegated) == 0) valence *= -0.74;
      break;
    }
  }
  return valence;
}

}  // namespace

double LexiconSentiment(std::string_view text) {
  thread_local LexiconScratch scratch;
  LexiconTokenize(text, scratch);
  const std::vector<LexiconToken>& tokens = scratch.tokens;
  const bool all_shouting =
      std::all_of(tokens.begin(), tokens.end(), [](const LexiconToken& token) { return token.shouting; });
  // VADER's contrast rule: what follows "but" counts more than what precedes it.
  size_t but_at = tokens.size();
  for (size_t i = 0; i < tokens.size() && but_at == tokens.size(); ++i) {
    if ((tokens[i].roles & kLexiconContrast) != 0) but_at = i;
  }
  double sum = 0;
  int hits = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (LexiconSoftensNext(tokens, i) || !tokens[i].has_valence) continue;
    double valence = tokens[i].valence;
    const double sign = valence > 0 ? 1 : -1;
    if (tokens[i].shouting && !all_shouting) valence += sign * 0.733;
    if (LexiconIsNegatedComparative(tokens, i)) {
      sum += 3.0;
      ++hits;
      continue;
    }
    valence = LexiconValenceInContext(tokens, i, valence, sign);
    if (but_at < tokens.size() && i != but_at) valence *= i < but_at ? 0.5 : 1.5;
    sum += valence;
    ++hits;
  }
  int symbols = 0;
  sum += LexiconSymbolValence(text, symbols);
  if (hits + symbols == 0 || sum == 0) return 0.0;
  const int exclamations = static_cast<int>(std::count(text.begin(), text.end(), '!'));
  sum += (sum > 0 ? 1 : -1) * 0.292 * std::min(exclamations, 4);
  // VADER's normalisation to -1..1.
  return sum / std::sqrt(sum * sum + 15.0);
}

}  // namespace troupe
