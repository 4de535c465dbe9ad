#include "engine/jinja/lexer.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "engine/jinja/syntax_error.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine::jinja {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

// Jinja2 reads `\n` as \n and also `\r\n` and `\r`; it drops one trailing newline.
std::string NormalizeNewlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

enum class TagKind { kVariable, kBlock, kComment };

class Lexer {
 public:
  explicit Lexer(std::string source) : source_(std::move(source)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < source_.size(); ++i) {
      if (source_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<Token> Run() {
    while (pos_ < source_.size()) {
      size_t tag = FindTagStart(pos_);
      if (tag == std::string::npos) {
        EmitText(source_.substr(pos_), pos_);
        pos_ = source_.size();
        break;
      }
      TagKind kind = source_[tag + 1] == '{' ? TagKind::kVariable
                     : source_[tag + 1] == '%' ? TagKind::kBlock
                                               : TagKind::kComment;
      char sign = tag + 2 < source_.size() ? source_[tag + 2] : '\0';
      bool has_sign = sign == '-' || sign == '+';
      std::string text = source_.substr(pos_, tag - pos_);
      ApplyLeadingWhitespaceControl(text, has_sign ? sign : '\0', kind != TagKind::kVariable);
      EmitText(std::move(text), pos_);
      size_t after_opener = tag + 2 + (has_sign ? 1 : 0);
      if (kind == TagKind::kComment) {
        SkipComment(tag, after_opener);
      } else if (kind == TagKind::kBlock && IsRawBlock(after_opener)) {
        ReadRawBlock(tag);
      } else {
        ReadTag(kind, tag, after_opener);
      }
    }
    Token end;
    end.kind = TokenKind::kEnd;
    Locate(source_.size(), end);
    tokens_.push_back(std::move(end));
    return std::move(tokens_);
  }

 private:
  size_t FindTagStart(size_t from) const {
    for (size_t i = source_.find('{', from); i != std::string::npos; i = source_.find('{', i + 1)) {
      if (i + 1 < source_.size() && (source_[i + 1] == '{' || source_[i + 1] == '%' || source_[i + 1] == '#')) {
        return i;
      }
    }
    return std::string::npos;
  }

  void Locate(size_t offset, Token& token) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t line_index = static_cast<size_t>(it - line_starts_.begin()) - 1;
    token.line = static_cast<int>(line_index + 1);
    token.column = static_cast<int>(offset - line_starts_[line_index] + 1);
  }

  [[noreturn]] void Fail(size_t offset, const std::string& message) const {
    Token where;
    Locate(offset, where);
    ThrowSyntaxError(where.line, where.column, message);
  }

  void EmitText(std::string text, size_t offset) {
    if (text.empty()) return;
    Token token;
    token.kind = TokenKind::kText;
    token.text = std::move(text);
    Locate(offset, token);
    tokens_.push_back(std::move(token));
  }

  void Emit(TokenKind kind, std::string text, size_t offset) {
    Token token;
    token.kind = kind;
    token.text = std::move(text);
    Locate(offset, token);
    tokens_.push_back(std::move(token));
  }

  // `{%-` eats every blank before the tag; otherwise lstrip_blocks eats the blanks between the
  // start of the line and a block or comment tag, unless the tag says `{%+`.
  void ApplyLeadingWhitespaceControl(std::string& text, char sign, bool lstrip_applies) const {
    if (sign == '-') {
      size_t keep = text.size();
      while (keep > 0 && IsSpace(text[keep - 1])) --keep;
      text.resize(keep);
      return;
    }
    if (sign == '+' || !lstrip_applies) return;
    size_t line_begin = text.rfind('\n');
    line_begin = line_begin == std::string::npos ? 0 : line_begin + 1;
    if (line_begin == 0 && !line_starting_) return;
    for (size_t i = line_begin; i < text.size(); ++i) {
      if (!IsSpace(text[i])) return;
    }
    text.resize(line_begin);
  }

  // After a closing tag: `-%}` eats every following blank, `%}` and `#}` eat one newline
  // (trim_blocks), `+%}` eats nothing; `}}` never trims unless written `-}}`.
  void ApplyTrailingWhitespaceControl(char sign, bool trim_newline) {
    if (sign == '-') {
      while (pos_ < source_.size() && IsSpace(source_[pos_])) ++pos_;
    } else if (sign != '+' && trim_newline && pos_ < source_.size() && source_[pos_] == '\n') {
      ++pos_;
    }
    line_starting_ = pos_ > 0 && source_[pos_ - 1] == '\n';
  }

  void SkipComment(size_t tag, size_t body) {
    size_t close = source_.find("#}", body);
    if (close == std::string::npos) Fail(tag, "missing end of comment tag");
    char sign = close > body ? source_[close - 1] : '\0';
    pos_ = close + 2;
    ApplyTrailingWhitespaceControl(sign == '-' || sign == '+' ? sign : '\0', true);
  }

  // Matches `raw` then `-%}` or `%}` after optional blanks.
  bool IsRawBlock(size_t at) const {
    size_t i = at;
    while (i < source_.size() && IsSpace(source_[i])) ++i;
    if (source_.compare(i, 3, "raw") != 0 || (i + 3 < source_.size() && IsNameChar(source_[i + 3]))) return false;
    i += 3;
    while (i < source_.size() && IsSpace(source_[i])) ++i;
    return source_.compare(i, 2, "%}") == 0 || source_.compare(i, 3, "-%}") == 0;
  }

  void ReadRawBlock(size_t tag) {
    size_t close = source_.find("%}", tag + 2);
    bool strip_after_open = source_[close - 1] == '-';
    pos_ = close + 2;
    if (strip_after_open) {
      while (pos_ < source_.size() && IsSpace(source_[pos_])) ++pos_;
    }
    // The body ends at the first {% endraw %}, whose own whitespace control applies as for a tag.
    for (size_t search = pos_;;) {
      size_t end_tag = source_.find("{%", search);
      if (end_tag == std::string::npos) Fail(tag, "missing end of raw directive");
      size_t i = end_tag + 2;
      char sign = i < source_.size() && (source_[i] == '-' || source_[i] == '+') ? source_[i] : '\0';
      if (sign != '\0') ++i;
      while (i < source_.size() && IsSpace(source_[i])) ++i;
      if (source_.compare(i, 6, "endraw") != 0) {
        search = end_tag + 2;
        continue;
      }
      i += 6;
      while (i < source_.size() && IsSpace(source_[i])) ++i;
      char close_sign = '\0';
      if (i < source_.size() && (source_[i] == '-' || source_[i] == '+')) close_sign = source_[i++];
      if (source_.compare(i, 2, "%}") != 0) {
        search = end_tag + 2;
        continue;
      }
      std::string text = source_.substr(pos_, end_tag - pos_);
      line_starting_ = pos_ > 0 && source_[pos_ - 1] == '\n';
      ApplyLeadingWhitespaceControl(text, sign, true);
      EmitText(std::move(text), pos_);
      pos_ = i + 2;
      ApplyTrailingWhitespaceControl(close_sign, true);
      return;
    }
  }

  // Tokens between {{ and }} or {% and %}. A closing marker counts only outside brackets, as in
  // Jinja2, so `{{ {'a': 1} }}` reads as a dict.
  void ReadTag(TagKind kind, size_t tag, size_t body) {
    Emit(kind == TagKind::kVariable ? TokenKind::kVariableBegin : TokenKind::kBlockBegin,
         kind == TagKind::kVariable ? "{{" : "{%", tag);
    std::vector<char> open_brackets;
    pos_ = body;
    while (true) {
      while (pos_ < source_.size() && IsSpace(source_[pos_])) ++pos_;
      if (pos_ >= source_.size()) {
        Fail(tag, kind == TagKind::kVariable ? "unclosed '{{' (missing '}}')" : "unclosed '{%' (missing '%}')");
      }
      if (open_brackets.empty() && TryCloseTag(kind)) return;
      char c = source_[pos_];
      if (IsNameStart(c)) {
        size_t start = pos_;
        while (pos_ < source_.size() && IsNameChar(source_[pos_])) ++pos_;
        Emit(TokenKind::kName, source_.substr(start, pos_ - start), start);
      } else if (IsDigit(c)) {
        ReadNumber();
      } else if (c == '\'' || c == '"') {
        ReadString();
      } else {
        ReadOperator(open_brackets);
      }
    }
  }

  bool TryCloseTag(TagKind kind) {
    const char* close = kind == TagKind::kVariable ? "}}" : "%}";
    char sign = '\0';
    size_t at = pos_;
    if (source_[at] == '-' || (source_[at] == '+' && kind == TagKind::kBlock)) {
      sign = source_[at];
      ++at;
    }
    if (source_.compare(at, 2, close) != 0) return false;
    Emit(kind == TagKind::kVariable ? TokenKind::kVariableEnd : TokenKind::kBlockEnd, close, pos_);
    pos_ = at + 2;
    ApplyTrailingWhitespaceControl(sign, kind == TagKind::kBlock);
    return true;
  }

  void ReadNumber() {
    size_t start = pos_;
    auto digits = [&] {
      while (pos_ < source_.size() && (IsDigit(source_[pos_]) || source_[pos_] == '_')) ++pos_;
    };
    digits();
    bool is_float = false;
    bool after_dot = start > 0 && source_[start - 1] == '.';  // `x.0.1` is two lookups, as in Jinja2
    if (!after_dot && pos_ + 1 < source_.size() && source_[pos_] == '.' && IsDigit(source_[pos_ + 1])) {
      is_float = true;
      ++pos_;
      digits();
    }
    if (!after_dot && pos_ < source_.size() && (source_[pos_] == 'e' || source_[pos_] == 'E')) {
      size_t exponent = pos_ + 1;
      if (exponent < source_.size() && (source_[exponent] == '+' || source_[exponent] == '-')) ++exponent;
      if (exponent < source_.size() && IsDigit(source_[exponent])) {
        is_float = true;
        pos_ = exponent;
        digits();
      }
    }
    std::string text = source_.substr(start, pos_ - start);
    std::string plain;
    for (char ch : text) {
      if (ch != '_') plain += ch;
    }
    Token token;
    token.text = text;
    Locate(start, token);
    errno = 0;
    if (is_float) {
      token.kind = TokenKind::kFloat;
      token.floating = std::strtod(plain.c_str(), nullptr);
    } else {
      token.kind = TokenKind::kInteger;
      token.integer = std::strtoll(plain.c_str(), nullptr, 10);
      if (errno == ERANGE) Fail(start, "integer literal " + text + " is too large");
    }
    tokens_.push_back(std::move(token));
  }

  uint32_t ReadHex(size_t& i, int count, size_t string_start) const {
    uint32_t value = 0;
    for (int n = 0; n < count; ++n, ++i) {
      if (i >= source_.size()) Fail(string_start, "truncated escape in string literal");
      char h = source_[i];
      uint32_t digit;
      if (IsDigit(h)) {
        digit = static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        digit = static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        digit = static_cast<uint32_t>(h - 'A' + 10);
      } else {
        Fail(i, "bad hex digit in string escape");
      }
      value = value * 16 + digit;
    }
    return value;
  }

  // Python string escapes, as Jinja2 decodes them.
  void ReadString() {
    size_t start = pos_;
    char quote = source_[pos_++];
    std::string value;
    while (true) {
      if (pos_ >= source_.size()) Fail(start, "unterminated string literal");
      char c = source_[pos_];
      if (c == quote) {
        ++pos_;
        break;
      }
      if (c != '\\') {
        value += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= source_.size()) Fail(start, "unterminated string literal");
      char e = source_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '\n': break;
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case 'a': value += '\a'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case 'v': value += '\v'; break;
        case 'x':
        case 'u':
        case 'U': {
          uint32_t code_point = ReadHex(pos_, e == 'x' ? 2 : (e == 'u' ? 4 : 8), start);
          if (code_point > 0x10ffff || (code_point >= 0xd800 && code_point <= 0xdfff)) {
            Fail(start, "string escape is not a valid code point");
          }
          tokenization::AppendUtf8(code_point, value);
          break;
        }
        case 'N':
          Fail(pos_ - 2, "\\N{...} escapes are not supported");
        default:
          if (e >= '0' && e <= '7') {
            uint32_t code_point = static_cast<uint32_t>(e - '0');
            for (int n = 0; n < 2 && pos_ < source_.size() && source_[pos_] >= '0' && source_[pos_] <= '7'; ++n) {
              code_point = code_point * 8 + static_cast<uint32_t>(source_[pos_++] - '0');
            }
            tokenization::AppendUtf8(code_point, value);
          } else {
            value += '\\';  // Python keeps unknown escapes as written
            value += e;
          }
      }
    }
    Emit(TokenKind::kString, std::move(value), start);
  }

  void ReadOperator(std::vector<char>& open_brackets) {
    static constexpr std::string_view kTwoCharacter[] = {"//", "**", "==", "!=", ">=", "<="};
    static constexpr std::string_view kOneCharacter = "+-/*%~[](){}><=.:|,;";
    size_t start = pos_;
    for (std::string_view op : kTwoCharacter) {
      if (source_.compare(pos_, 2, op) == 0) {
        pos_ += 2;
        Emit(TokenKind::kOperator, std::string(op), start);
        return;
      }
    }
    char c = source_[pos_];
    if (kOneCharacter.find(c) == std::string_view::npos) {
      Fail(start, std::string("unexpected character '") + c + "'");
    }
    if (c == '(' || c == '[' || c == '{') {
      open_brackets.push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
    } else if (c == ')' || c == ']' || c == '}') {
      if (open_brackets.empty()) Fail(start, std::string("unexpected '") + c + "'");
      if (open_brackets.back() != c) {
        Fail(start, std::string("unexpected '") + c + "', expected '" + open_brackets.back() + "'");
      }
      open_brackets.pop_back();
    }
    ++pos_;
    Emit(TokenKind::kOperator, std::string(1, c), start);
  }

  std::string source_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool line_starting_ = true;  // the text about to be read starts a line (for lstrip_blocks)
};

}  // namespace

std::vector<Token> Tokenize(std::string_view source) { return Lexer(NormalizeNewlines(source)).Run(); }

}  // namespace troupe::engine::jinja
