// Edit distance and suggestions for misspelt names.
#include "base/text.hpp"

#include <algorithm>
#include <cctype>

namespace tokenplan {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string printable(const std::string& s) {
  // Most strings need nothing: return them as they are without building a copy byte by byte.
  bool plain = true;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  static const char hex[] = "0123456789abcdef";
  auto u_escape = [&](std::string& out, unsigned cp) {
    out += "\\u00";
    out += hex[(cp >> 4) & 0xf];
    out += hex[cp & 0xf];
  };
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      u_escape(out, c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += s[i++];
      continue;
    }
    // A UTF-8 sequence: its length from the lead byte, then continuation bytes 10xxxxxx.
    std::size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (!ok) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
      ++i;
      continue;
    }
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xc2 && c1 <= 0x9f) {
      u_escape(out, c1);  // C1 control U+0080..U+009F (0x9b is CSI, a one-character ESC [)
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  return out;
}

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> tokens(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '_' || c == '-' || c == '.') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

/// True when `word` reads as `candidate` with words left out: "num_layers" in
/// "num_hidden_layers", "chunk" in "chunk_tokens".
bool abbreviates(const std::string& word, const std::string& candidate) {
  if (word.size() < 3) return false;
  if (candidate.find(word) != std::string::npos) return true;
  std::vector<std::string> have = tokens(candidate);
  std::vector<std::string> want = tokens(word);
  if (want.size() < 2) return false;
  for (const std::string& t : want) {
    if (std::find(have.begin(), have.end(), t) == have.end()) return false;
  }
  return true;
}

}  // namespace

std::string nearest_name(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string w = lower(word);
  // A typo changes a few characters; allow about a third of the word, at least 2.
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::string best, best_abbrev;
  std::size_t best_d = std::string::npos, best_abbrev_d = std::string::npos;
  for (const std::string& c : candidates) {
    const std::string lc = lower(c);
    std::size_t d = edit_distance(w, lc);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
    if (abbreviates(w, lc) && d < best_abbrev_d) {
      best_abbrev_d = d;
      best_abbrev = c;
    }
  }
  if (best_d <= limit) return best;
  return best_abbrev;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string n = nearest_name(word, candidates);
  return n.empty() ? std::string() : " (did you mean '" + n + "'?)";
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", '" : "'") + names[i] + "'";
  return out;
}

}  // namespace tokenplan
