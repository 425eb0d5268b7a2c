// Edit distance and suggestions for misspelt names.
#include "text.hpp"

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
