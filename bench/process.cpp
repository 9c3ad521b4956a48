// process.cpp — spawn a child, stream its standard error, reap it, read its peak RSS.
#include "bench/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace nncomp::bench {
namespace {

volatile sig_atomic_t g_interrupted = 0;

void on_signal(int) { g_interrupted = 1; }

struct Fd {
  int fd = -1;
  ~Fd() { close_now(); }
  void close_now() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked poll returns EINTR
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
}

bool interrupted() { return g_interrupted != 0; }

std::string ProcessResult::describe() const {
  if (signal) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit status " + std::to_string(exit_code);
}

std::string shell_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    const bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789-_=+./:,@%") == std::string::npos;
    std::string q;
    if (plain) {
      q = a;
    } else {
      q = "'";
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      q += "'";
    }
    out += (out.empty() ? "" : " ") + q;
  }
  return out;
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& cwd,
                          const std::string& stdout_path,
                          const std::function<void(const std::string&)>& on_stderr, bool measure_rss) {
  if (argv.empty()) throw std::invalid_argument("run_process: empty argv");
  static int serial = 0;
  const std::string rss_file =
      measure_rss ? cwd + "/.peak-rss-" + std::to_string(getpid()) + "-" + std::to_string(++serial) : "";
  std::vector<std::string> command = argv;
  if (measure_rss) command.insert(command.begin(), {"time", "-f", "%M", "-o", rss_file, "--"});
  Fd err_r, err_w, out_r, out_w;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw sys_error("pipe");
  err_r.fd = p[0], err_w.fd = p[1];
  if (stdout_path.empty()) {
    if (pipe2(p, O_CLOEXEC) != 0) throw sys_error("pipe");
    out_r.fd = p[0], out_w.fd = p[1];
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (stdout_path.empty())
    posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  else
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  // Its own process group: an interrupt ends the command and GNU time alike.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);

  std::vector<char*> args;
  for (const auto& a : command) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    throw sys_error("cannot run '" + command[0] + "'");
  }
  err_w.close_now();
  out_w.close_now();

  ProcessResult result;
  std::string err_all, pending;
  auto flush_segments = [&](bool all) {
    size_t from = 0;
    for (size_t i = 0; i < pending.size(); ++i)
      if (pending[i] == '\r' || pending[i] == '\n') {
        if (i > from && on_stderr) on_stderr(pending.substr(from, i - from));
        from = i + 1;
      }
    pending.erase(0, from);
    if (all && !pending.empty()) {
      if (on_stderr) on_stderr(pending);
      pending.clear();
    }
  };
  bool killed = false;
  char buf[4096];
  while (err_r.fd >= 0 || out_r.fd >= 0) {
    if (g_interrupted && !killed) {
      kill(-pid, SIGTERM);  // nncomp removes its partial output on SIGTERM
      killed = true;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (err_r.fd >= 0) fds[n++] = {err_r.fd, POLLIN, 0};
    if (out_r.fd >= 0) fds[n++] = {out_r.fd, POLLIN, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      throw sys_error("poll");
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      const bool is_err = fds[i].fd == err_r.fd;
      if (got <= 0) {
        (is_err ? err_r : out_r).close_now();
        continue;
      }
      if (is_err) {
        err_all.append(buf, static_cast<size_t>(got));
        if (err_all.size() > 8192) err_all.erase(0, err_all.size() - 4096);
        pending.append(buf, static_cast<size_t>(got));
        flush_segments(false);
      } else {
        result.stdout_text.append(buf, static_cast<size_t>(got));
      }
    }
  }
  flush_segments(true);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw sys_error("waitpid");
    if (g_interrupted && !killed) kill(-pid, SIGTERM), killed = true;
  }
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.stderr_tail = err_all.size() > 4096 ? err_all.substr(err_all.size() - 4096) : err_all;
  if (g_interrupted) {
    if (measure_rss) unlink(rss_file.c_str());
    throw std::runtime_error("interrupted");
  }
  if (measure_rss) {
    // GNU time writes "Command exited with non-zero status N" (or "...
    // terminated by signal N") first when so, then the format: %M, KiB.
    std::ifstream in(rss_file);
    std::string line, last;
    while (std::getline(in, line))
      if (!line.empty()) last = line;
    unlink(rss_file.c_str());
    char* end = nullptr;
    const unsigned long long kib = std::strtoull(last.c_str(), &end, 10);
    if (last.empty() || *end)
      throw std::runtime_error("no peak RSS from GNU time for `" + shell_line(argv) + "`" +
                               (last.empty() ? "" : ": " + last));
    result.max_rss_mib = static_cast<double>(kib) / 1024.0;
  }
  return result;
}

}  // namespace nncomp::bench
