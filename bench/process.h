// process.h — run one child process and measure it (wall time, peak RSS).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace nncomp::bench {

/// What a child process did.
struct ProcessResult {
  int exit_code = -1;       ///< exit status, or -1 if killed by a signal
  int signal = 0;           ///< the signal that ended it, 0 if it exited
  double wall_s = 0;        ///< from spawn to reaped, seconds
  double max_rss_mib = 0;   ///< peak resident set of the child (getrusage), MiB
  std::string stdout_text;  ///< its standard output, when not sent to a file
  std::string stderr_tail;  ///< the last 4 KiB of its standard error
  bool ok() const { return exit_code == 0; }
  /// "exit status 1" / "killed by signal 9 (Killed)".
  std::string describe() const;
};

/// Run `argv` (argv[0] looked up in PATH if it has no slash) in folder `cwd`,
/// in its own process group, standard input from /dev/null, standard output
/// to `stdout_path` (created or truncated) or, if empty, captured. Every
/// piece of standard error between carriage returns or newlines goes to
/// `on_stderr` as it arrives (progress lines).
///
/// With `measure_rss`, the command runs under GNU time (`time -f %M`), whose
/// report of its own child is the command's peak RSS alone: a child spawned
/// directly by this (large) process would inherit its resident-set high-water
/// mark. Without it, max_rss_mib stays 0.
///
/// If the harness is interrupted (SIGINT, SIGTERM, SIGHUP), the child's
/// process group gets SIGTERM and std::runtime_error("interrupted") is
/// thrown once it has ended. Throws std::runtime_error if the child cannot
/// be started or its peak RSS cannot be read.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& cwd,
                          const std::string& stdout_path,
                          const std::function<void(const std::string&)>& on_stderr = {},
                          bool measure_rss = false);

/// Catch SIGINT/SIGTERM/SIGHUP so that run_process can end the child and the
/// harness can clean up; interrupted() says whether one came.
void install_interrupt_handler();
bool interrupted();

/// `argv` as one shell-quoted line (for the record and for error messages).
std::string shell_line(const std::vector<std::string>& argv);

}  // namespace nncomp::bench
