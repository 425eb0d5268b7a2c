// Output that never destroys anything. Every file the tool writes (plans, reports, HTML, CSV,
// calibration profiles) goes through output_set:
//   - a regular file (or a path that does not exist yet) is replaced atomically: the content goes
//     to a temporary file beside it, which takes the old file's mode and owner, is fsynced and
//     renamed over it; then the directory is fsynced. A failed write (full disk, file size limit,
//     missing folder, a signal) leaves the old file as it was and no temporary file behind;
//   - a symbolic link is followed (to any depth) and its final target is replaced by those rules;
//   - a character device, FIFO or socket (/dev/null, a named pipe, a listening Unix socket) and
//     /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N are written through, never renamed
//     over;
//   - a directory, or any other kind of file (a block device), is an error;
//   - a path that names a file this run read as input, or the same file as another output of the
//     run, is an error: nothing is written at all.
// Several outputs (--out and --html) are staged first and committed together, so one that cannot
// be written stops them all.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace tokenplan {

/// Records that `path` was read as an input of this run (read_input_file calls it), so that an
/// output naming the same file (by device and inode, whatever the spelling) is refused.
void remember_input(const std::string& path);
/// Throws usage_error when `path` names (after symbolic links) a file this run read as input.
/// output_set::add checks it; appenders (sweep --out) call it themselves.
void refuse_input_as_output(const std::string& path, const std::string& option);
/// Forgets the inputs recorded so far (tests that run several commands in one process).
void forget_inputs();

/// The cancel flag of the signal handler (see cli_support's interrupt_guard): when set, a commit
/// throws interrupted_error and writes nothing. nullptr: none.
void set_output_cancel_flag(const std::atomic<bool>* flag);

/// Removes the temporary files of outputs in progress. Async-signal-safe: the signal handler
/// calls it before letting a second signal kill the process.
void remove_pending_temporaries_from_signal_handler();

/// Outputs staged together and committed together.
class output_set {
 public:
  output_set();
  ~output_set();  ///< removes the temporary files of outputs not committed
  output_set(const output_set&) = delete;
  output_set& operator=(const output_set&) = delete;

  /// Stages `content` for `path`; `option` names where the path came from ("--out") for errors.
  /// Throws usage_error (a directory, an input file, the same file twice, a kind of file that
  /// cannot be written) or runtime_failure (the temporary file cannot be written: the message
  /// says why); nothing has been replaced then.
  void add(const std::string& path, const std::string& content, const std::string& option = "--out");

  /// Writes through to devices, pipes and sockets, then renames every staged file over its
  /// target. Throws interrupted_error when the cancel flag is set (nothing replaced), or
  /// runtime_failure.
  void commit();

 private:
  struct staged;
  std::vector<std::unique_ptr<staged>> items_;
};

/// Checks early (before a long search) that `path` can be an output: not a directory, a folder
/// that exists, not an input already read. Throws as output_set::add.
void check_output_path(const std::string& path, const std::string& option);

/// One output: output_set with a single file. Throws as output_set::add and commit.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace tokenplan
