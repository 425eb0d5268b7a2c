// Command-line parsing and dispatch. Errors become one clear line on stderr and an exit code.
#include "cli/cli.hpp"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "base/text.hpp"
#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "cli/man_page.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif

namespace tokenplan {

namespace {

const char* const top_help = R"(tokenplan )" TOKENPLAN_VERSION R"( - GPU capacity planning for LLM serving

How many GPUs of which kind, at which site, serving a model in which configuration, at what
cost and power, to serve N tokens a day within latency SLOs?

Usage:
  tokenplan plan --cluster FILE (--model FILE --workload FILE | --demand FILE) [options]
  tokenplan capacity --cluster FILE (--model FILE --workload FILE | --demand FILE) [options]
  tokenplan explain --model M --workload W --gpu G --config JSON [options]
  tokenplan validate FILE... [options]
  tokenplan calibrate FILE... [--out FILE]
  tokenplan sweep --matrix FILE [--out rows.jsonl|rows.csv] [options]
  tokenplan list [models|gpus|clusters|workloads|demands|grids]...
  tokenplan version
  tokenplan help [plan|capacity|explain|validate|calibrate|sweep|list] | help --man

Commands:
  plan      search every serving configuration (site/GPU, TP, PP, EP, attention DP, batch,
            chunk, precisions, speculation, aggregated or disaggregated), rank those that meet
            the SLOs, and allocate the fleet across sites at the least cost for the daily-token
            target (a model mix over a day with --demand), with the shortfall if any
  capacity  the most tokens per day the cluster as it is can serve within the SLOs, what
            binds (GPUs, power, no configuration), and when growth runs it out
  explain   one configuration's full breakdown: memory by part, step time by component and
            the roofline bound of each, TPOT, TTFT, throughput
  validate  predicted vs measured on published measurements, cross-validated by source
  calibrate fit the factors per GPU family and per engine to published measurements
  sweep     plan a matrix of scenarios (targets x models x GPUs x prices ...), one row per
            scenario with its best plan, as JSON Lines or CSV; resumable after Ctrl-C
  list      the shipped models, GPUs, clusters, workloads, demands and grids, with key facts
  version   print the version
  help      show this text, or a command's options; --man prints the manual page (roff)

Examples:
  tokenplan list models gpus
  tokenplan plan --cluster bytedance-h200-overseas --model llama-3.1-70b --workload chat-30tn \
      --format table
  tokenplan plan --cluster bytedance-2026 --model llama-3.1-70b --workload chat-30tn \
      --target 10T/day --tpot 30 --gpu h20 --format table
  tokenplan help --man > tokenplan.1 && man -l tokenplan.1

Run 'tokenplan plan --help' for the options and worked examples.
)";

/// Commands with a help text of their own, in the order the manual lists them.
const std::vector<std::string> help_topics = {"plan", "capacity", "explain", "validate", "calibrate", "sweep", "list"};

/// tokenplan(1) from the same help texts --help prints.
std::string man_text() {
  std::vector<std::pair<std::string, std::string>> commands;
  for (const std::string& c : help_topics) {
    std::ostringstream text, ignored;
    const char* args[] = {"tokenplan", "help", c.c_str()};
    run_cli(3, args, text, ignored);
    commands.emplace_back(c, text.str());
  }
  return man_page(top_help, commands, TOKENPLAN_VERSION);
}

int run_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd.empty() || cmd == "help" || cmd == "--help" || cmd == "-h") {
      if (argc > 2 && std::string(argv[2]) == "--man") {
        out << man_text();
      } else if (argc > 2 && std::find(help_topics.begin(), help_topics.end(), argv[2]) != help_topics.end()) {
        // "help X" is "X --help".
        const char* args[] = {argv[0], argv[2], "--help"};
        return run_command(3, args, out, err);
      } else if (argc > 2) {
        throw usage_error("no help for '" + std::string(argv[2]) + "'" + did_you_mean(argv[2], help_topics) +
                          "; topics: " + quoted_list(help_topics) + ", or --man");
      } else {
        out << top_help;
      }
      return cmd.empty() ? 2 : 0;
    }
    if (cmd == "version" || cmd == "--version") {
      out << "tokenplan " << TOKENPLAN_VERSION << "\n";
      return 0;
    }
    if (cmd == "plan") return cmd_plan(argc - 1, argv + 1, out, err);
    if (cmd == "capacity") return cmd_capacity(argc - 1, argv + 1, out, err);
    if (cmd == "explain") return cmd_explain(argc - 1, argv + 1, out, err);
    if (cmd == "validate") return cmd_validate(argc - 1, argv + 1, out, err);
    if (cmd == "calibrate") return cmd_calibrate(argc - 1, argv + 1, out, err);
    if (cmd == "sweep") return cmd_sweep(argc - 1, argv + 1, out, err);
    if (cmd == "list") return cmd_list(argc - 1, argv + 1, out, err);
    throw usage_error("unknown command '" + cmd + "'" +
                      did_you_mean(cmd, {"plan", "capacity", "explain", "validate", "calibrate", "sweep", "list",
                                         "version", "help"}) +
                      "; run 'tokenplan help'");
  } catch (const config_error& e) {
    // Messages quote inputs (names, paths, values): printable() keeps their control characters
    // from reaching the terminal.
    err << "error: " << printable(e.what()) << "\n";
    return 2;
  } catch (const usage_error& e) {
    err << "error: " << printable(e.what()) << "\n";
    return 2;
  } catch (const interrupted_error& e) {
    err << "\n" << e.what() << "\n";
    return interrupt_exit_status();
  } catch (const std::bad_alloc&) {
    err << "error: out of memory; lower --chunk or the grid size\n";
    return 1;
  } catch (const std::exception& e) {
    err << "error: " << printable(e.what()) << "\n";
    return 1;
  }
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  const int code = run_command(argc, argv, out, err);
  // Whatever the command wrote to standard output must have arrived: a closed descriptor or a
  // full disk is an error, never exit 0 with a truncated answer.
  out.flush();
  if (!out) {
    err << "error: cannot write the answer to standard output (closed, full or failing); it is incomplete\n";
    return code == 0 ? 1 : code;
  }
  return code;
}

}  // namespace tokenplan
