#include "chat/tools/confirmation.h"

#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace troupe::chat::tools {
namespace {

// Longer messages say more than yes or no.
constexpr size_t kMostWords = 8;

// Words and phrases, matched on whole words of the lowercased message with punctuation dropped.
constexpr std::array<std::string_view, 26> kYes = {
    "yes", "yeah", "yep", "yup", "ya", "sure", "ok", "okay", "k", "y", "go ahead", "please do", "do it",
    "confirm", "confirmed", "correct", "right", "absolutely", "of course", "definitely", "agreed", "affirmative",
    "proceed", "sounds good", "no problem", "go for it"};
constexpr std::array<std::string_view, 15> kNo = {"no", "nope", "nah", "n", "cancel", "stop", "don't", "dont",
                                                  "do not", "not now", "never", "wait", "hold on", "negative",
                                                  "abort"};

std::string Normalized(std::string_view text) {
  std::string out = " ";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '\'') {
      out += static_cast<char>(std::tolower(u));
    } else if (out.back() != ' ') {
      out += ' ';
    }
  }
  if (out.back() != ' ') out += ' ';
  return out;
}

// Finds `phrase` as whole words and blanks it out, so "no problem" is not read again as "no".
bool Take(std::string& text, std::string_view phrase) {
  const std::string needle = " " + std::string(phrase) + " ";
  bool found = false;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    found = true;
    for (size_t i = 1; i + 1 < needle.size(); ++i) text[at + i] = ' ';
  }
  return found;
}

size_t Words(const std::string& text) {
  size_t words = 0;
  for (size_t i = 1; i < text.size(); ++i) words += text[i] == ' ' && text[i - 1] != ' ';
  return words;
}

}  // namespace

ConfirmationAnswer ReadConfirmation(std::string_view text) {
  std::string words = Normalized(text);
  if (Words(words) == 0 || Words(words) > kMostWords) return ConfirmationAnswer::kUnclear;
  bool yes = false;
  bool no = false;
  for (std::string_view phrase : kYes) {
    if (phrase.find(' ') != std::string_view::npos) yes |= Take(words, phrase);  // phrases first
  }
  for (std::string_view phrase : kNo) {
    if (phrase.find(' ') != std::string_view::npos) no |= Take(words, phrase);
  }
  for (std::string_view word : kYes) yes |= Take(words, word);
  for (std::string_view word : kNo) no |= Take(words, word);
  if (yes == no) return ConfirmationAnswer::kUnclear;
  return yes ? ConfirmationAnswer::kYes : ConfirmationAnswer::kNo;
}

}  // namespace troupe::chat::tools
