// Help text to roff. The help texts follow a small layout (headings ending in ':', two-space
// indented definition lines, verbatim usage and example blocks), which maps onto man macros.
#include "cli/man_page.hpp"

#include <sstream>

namespace tokenplan {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    out.push_back(line);
  }
  return out;
}

std::size_t indent_of(const std::string& s) {
  const std::size_t n = s.find_first_not_of(' ');
  return n == std::string::npos ? s.size() : n;
}

/// Text safe in roff: backslashes as \e, hyphens as \- (so options read and search as typed),
/// and a leading '.' or '\'' guarded so it is not taken for a request.
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

/// A macro argument in double quotes: inner quotes as \(dq.
std::string quoted_arg(const std::string& s) {
  std::string e = escape(s), out = "\"";
  for (char c : e) out += c == '"' ? std::string("\\(dq") : std::string(1, c);
  return out + "\"";
}

/// A heading: unindented, ends with ':' ("Usage:", "Inputs (JSON; ...):", "Per kind:").
bool is_heading(const std::string& l) { return !l.empty() && l[0] != ' ' && l.back() == ':'; }

/// Splits "  term   description" at the first run of two or more spaces after the term.
bool split_definition(const std::string& l, std::string* term, std::string* desc) {
  const std::size_t start = indent_of(l);
  const std::size_t gap = l.find("  ", start);
  if (gap == std::string::npos) return false;
  *term = l.substr(start, gap - start);
  const std::size_t d = l.find_first_not_of(' ', gap);
  *desc = d == std::string::npos ? "" : l.substr(d);
  return true;
}

}  // namespace

std::string help_to_roff(const std::string& help) {
  std::vector<std::string> lines = lines_of(help);
  std::ostringstream o;
  bool verbatim_block = false;  // under "Usage:" or "Examples:"
  bool in_nf = false;
  bool in_definition = false;
  std::size_t desc_col = 0;  // where the last definition's text started, for single-space gaps
  bool nf_relative = false;  // the verbatim block is shifted with .RS (not inside a definition)
  auto end_nf = [&]() {
    if (in_nf) o << (nf_relative ? ".fi\n.RE\n" : ".fi\n");
    in_nf = false;
  };
  for (std::size_t i = 1; i < lines.size(); ++i) {  // line 0 is "tokenplan X - summary"
    const std::string& l = lines[i];
    if (l.empty()) {
      end_nf();
      in_definition = false;
      desc_col = 0;
      continue;
    }
    if (is_heading(l)) {
      end_nf();
      in_definition = false;
      verbatim_block = l.rfind("Usage", 0) == 0 || l.rfind("Example", 0) == 0;
      o << ".PP\n.B " << quoted_arg(l) << "\n";
      continue;
    }
    const std::size_t ind = indent_of(l);
    if (ind == 0) {
      // Prose: a paragraph of its own unless it continues one.
      end_nf();
      if (in_definition || i == 1 || lines[i - 1].empty() || is_heading(lines[i - 1])) o << ".PP\n";
      in_definition = false;
      verbatim_block = false;
      o << escape(l) << "\n";
      continue;
    }
    if (verbatim_block) {
      if (!in_nf) o << ".RS 2\n.nf\n";
      in_nf = true;
      nf_relative = true;
      o << escape(l.substr(2)) << "\n";
      continue;
    }
    std::string term, desc;
    bool definition = ind == 2 && split_definition(l, &term, &desc);
    if (definition) {
      desc_col = desc.empty() ? 0 : l.size() - desc.size();
    } else if (ind == 2 && desc_col > 3 && l.size() > desc_col && l[desc_col - 1] == ' ' &&
               l.find(' ', 2) == desc_col - 1) {
      // "  calibrate fit ...": a term that fills its column up to one space.
      term = l.substr(2, desc_col - 3);
      desc = l.substr(desc_col);
      definition = true;
    }
    if (definition) {
      end_nf();
      o << ".TP\n.B " << quoted_arg(term) << "\n";
      if (!desc.empty()) o << escape(desc) << "\n";
      in_definition = true;
      continue;
    }
    // Indented past the definition's text: an example inside it (JSON), kept as laid out.
    if (in_definition && desc_col > 0 && ind > desc_col) {
      if (!in_nf) o << ".nf\n";
      in_nf = true;
      nf_relative = false;
      o << escape(l.substr(desc_col)) << "\n";
      continue;
    }
    end_nf();
    // A continuation of a definition, or an indented line of its own.
    if (!in_definition) o << ".PP\n";
    in_definition = true;
    o << escape(l.substr(ind)) << "\n";
  }
  end_nf();
  return o.str();
}

std::string man_page(const std::string& top_help, const std::vector<std::pair<std::string, std::string>>& commands,
                     const std::string& version) {
  std::ostringstream o;
  o << ".\\\" tokenplan(1), generated by 'tokenplan help --man' from the --help texts; do not edit.\n";
  o << ".TH TOKENPLAN 1 \"\" \"tokenplan " << escape(version) << "\" \"User Commands\"\n";
  o << ".SH NAME\ntokenplan \\- GPU capacity planning for LLM serving\n";
  // The top help: its usage block is the synopsis, the rest the description.
  std::vector<std::string> lines = lines_of(top_help);
  std::string synopsis, rest;
  bool in_usage = false;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l == "Usage:") {
      in_usage = true;
      continue;
    }
    if (in_usage && l.empty()) {
      in_usage = false;
      continue;
    }
    if (in_usage) synopsis += escape(l.substr(indent_of(l))) + "\n.br\n";
    else rest += l + "\n";
  }
  o << ".SH SYNOPSIS\n" << synopsis;
  o << ".SH DESCRIPTION\n" << help_to_roff("tokenplan\n" + rest);
  for (const auto& c : commands) {
    std::string upper = c.first;
    for (char& ch : upper) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    const std::vector<std::string> cl = lines_of(c.second);
    const std::string first = cl.empty() ? "" : cl.front();
    const std::size_t dash = first.find(" - ");
    o << ".SH \"" << escape(upper) << "\"\n";
    o << ".B \"tokenplan " << escape(c.first) << "\"\n";
    if (dash != std::string::npos) o << "\\- " << escape(first.substr(dash + 3)) << "\n";
    o << help_to_roff(c.second);
  }
  o << ".SH FILES\n.TP\n.I ../share/tokenplan/configs\n"
       "beside the executable: the shipped models, GPUs, clusters, workloads, demands, grids and "
       "calibration.json that names such as \\-\\-model llama\\-3.1\\-70b resolve to (see "
       "\\fBtokenplan list\\fR).\n";
  o << ".SH SEE ALSO\nREADME.md and docs/ of the source distribution: the model's arithmetic (docs/model.md), "
       "the config formats (docs/config\\-formats.md), validation against published measurements "
       "(docs/validation.md).\n";
  return o.str();
}

}  // namespace tokenplan
