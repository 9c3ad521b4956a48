// files.cpp — see files.h.
#include "src/cli/files.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "nncomp/error.h"

namespace nncomp::cli {
namespace {

// The temporary file being written, for the signal handler (async-signal-safe).
char g_temp_path[4096];
std::atomic<bool> g_temp_active{false};

void on_signal(int sig) {
  if (g_temp_active.load()) unlink(g_temp_path);
  signal(sig, SIG_DFL);
  raise(sig);
}

[[noreturn]] void io_error(const std::string& what, const std::string& path, int err) {
  throw Error(ErrorKind::kIo, what + " '" + path + "': " + std::strerror(err));
}

void write_fd(int fd, std::span<const uint8_t> data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error("cannot write", path, errno);
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::vector<uint8_t> read_all(const std::string& path) {
  int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open", path, errno);
  struct stat st{};
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (fd != STDIN_FILENO) ::close(fd);
    throw Error(ErrorKind::kIo, "'" + path + "' is a directory");
  }
  std::vector<uint8_t> data;
  if (S_ISREG(st.st_mode)) data.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      if (fd != STDIN_FILENO) ::close(fd);
      io_error("cannot read", path, err);
    }
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
  }
  if (fd != STDIN_FILENO) ::close(fd);
  return data;
}

void check_writable(const std::string& path, bool overwrite) {
  if (path == "-" || overwrite) return;
  if (::access(path.c_str(), F_OK) == 0)
    throw Error(ErrorKind::kIo, "'" + path + "' already exists (use -f to overwrite)");
}

void write_all(const std::string& path, std::span<const uint8_t> data, bool overwrite) {
  if (path == "-") {
    write_fd(STDOUT_FILENO, data, "standard output");
    return;
  }
  const std::string templ = path + ".nncomp-tmp-XXXXXX";
  if (templ.size() >= sizeof g_temp_path) throw Error(ErrorKind::kIo, "output path too long");
  std::memcpy(g_temp_path, templ.c_str(), templ.size() + 1);
  int fd = mkstemp(g_temp_path);
  if (fd < 0) io_error("cannot create a temporary file beside", path, errno);
  g_temp_active = true;
  const std::string temp = g_temp_path;
  try {
    write_fd(fd, data, path);
    if (::fsync(fd) != 0) io_error("cannot write", path, errno);
    if (::close(fd) != 0) { fd = -1; io_error("cannot write", path, errno); }
    fd = -1;
    ::chmod(temp.c_str(), 0644 & ~[] { mode_t m = umask(0); umask(m); return m; }());
    // Without overwrite, link() fails if the target exists (no replace race).
    if (overwrite) {
      if (::rename(temp.c_str(), path.c_str()) != 0) io_error("cannot create", path, errno);
    } else {
      if (::link(temp.c_str(), path.c_str()) != 0) {
        if (errno == EEXIST)
          throw Error(ErrorKind::kIo, "'" + path + "' already exists (use -f to overwrite)");
        if (errno != EPERM && errno != EOPNOTSUPP) io_error("cannot create", path, errno);
        // A file system without hard links: check, then rename.
        check_writable(path, false);
        if (::rename(temp.c_str(), path.c_str()) != 0) io_error("cannot create", path, errno);
      } else {
        ::unlink(temp.c_str());
      }
    }
    g_temp_active = false;
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    g_temp_active = false;
    throw;
  }
}

void install_signal_cleanup() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, on_signal);
}

}  // namespace nncomp::cli
