// files.cpp — see files.h.
#include "src/cli/files.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

#include "nncomp/nncomp.h"

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

// Opens `path` for reading ("-": standard input); a directory is refused.
int open_input(const std::string& path) {
  int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open", path, errno);
  struct stat st{};
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (fd != STDIN_FILENO) ::close(fd);
    throw Error(ErrorKind::kIo, "'" + path + "' is a directory");
  }
  return fd;
}

// Appends up to `limit` bytes (until end of file) from fd to data.
void read_up_to(int fd, const std::string& path, uint64_t limit, std::vector<uint8_t>& data) {
  uint8_t buf[1 << 16];
  while (limit > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(limit, sizeof buf));
    const ssize_t n = ::read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error("cannot read", path, errno);
    }
    if (n == 0) return;
    data.insert(data.end(), buf, buf + n);
    limit -= static_cast<uint64_t>(n);
  }
}

// Closes fd on scope exit unless it is standard input.
struct InputFd {
  int fd;
  ~InputFd() {
    if (fd != STDIN_FILENO) ::close(fd);
  }
};

}  // namespace

std::vector<uint8_t> read_all(const std::string& path) {
  InputFd in{open_input(path)};
  std::vector<uint8_t> data;
  struct stat st{};
  if (fstat(in.fd, &st) == 0 && S_ISREG(st.st_mode)) data.reserve(static_cast<size_t>(st.st_size));
  read_up_to(in.fd, path, UINT64_MAX, data);
  return data;
}

std::vector<uint8_t> read_container(const std::string& path) {
  InputFd in{open_input(path)};
  std::vector<uint8_t> data;
  read_up_to(in.fd, path, 14, data);  // magic, version, header length
  const uint64_t header = container_header_size(data);
  read_up_to(in.fd, path, header - data.size(), data);
  if (data.size() < header) return data;  // truncated: the parser says so
  const uint64_t total = container_file_size(data);
  // Grow by what arrives, not by what the header claims.
  read_up_to(in.fd, path, total - data.size(), data);
  if (data.size() < total) return data;
  std::vector<uint8_t> extra;
  read_up_to(in.fd, path, 1, extra);
  if (!extra.empty()) {
    struct stat st{};
    const bool regular = fstat(in.fd, &st) == 0 && S_ISREG(st.st_mode);
    const std::string payload = std::to_string(total - header);
    throw Error(ErrorKind::kCorrupt,
                regular ? "corrupt container: " +
                              std::to_string(static_cast<uint64_t>(st.st_size) - total) +
                              " trailing bytes after the " + payload + "-byte payload"
                        : "corrupt container: trailing bytes after the " + payload +
                              "-byte payload");
  }
  return data;
}

namespace {

// What kind of thing `path` is, if it exists: 0 if it does not.
mode_t existing_type(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & S_IFMT;
}

bool written_into(mode_t type) { return type == S_IFCHR || type == S_IFIFO; }

std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void check_output(const std::string& path, bool overwrite) {
  if (path == "-") return;
  // The temporary's name adds ".nncomp-tmp-XXXXXX" to the path.
  if (path.size() + 20 > sizeof g_temp_path || path.size() + 20 > PATH_MAX)
    throw Error(ErrorKind::kIo, "output path of " + std::to_string(path.size()) +
                                    " bytes is too long (at most " +
                                    std::to_string(std::min<size_t>(sizeof g_temp_path, PATH_MAX) - 20) +
                                    ")");
  switch (existing_type(path)) {
    case 0: break;
    case S_IFDIR: throw Error(ErrorKind::kIo, "'" + path + "' is a directory");
    case S_IFCHR:
    case S_IFIFO: return;  // written into, never replaced
    case S_IFREG:
      if (!overwrite) throw Error(ErrorKind::kIo, "'" + path + "' already exists (use -f to overwrite)");
      break;
    default:
      throw Error(ErrorKind::kIo, "'" + path +
                                      "' is a socket or block device; nncomp writes regular files, "
                                      "character devices and FIFOs only");
  }
  const std::string dir = parent_of(path);
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) io_error("cannot create", path, errno);
  if (!S_ISDIR(st.st_mode)) io_error("cannot create", path, ENOTDIR);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) io_error("cannot create", path, errno);
}

void check_distinct(const std::string& a, const char* what_a, const std::string& b,
                    const char* what_b) {
  if (a == "-" || b == "-") return;
  struct stat sa{}, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return;
  if (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && !written_into(sa.st_mode & S_IFMT))
    throw Error(ErrorKind::kUsage, std::string(what_a) + " '" + a + "' and " + what_b + " '" + b +
                                       "' are the same file");
}

void write_all(const std::string& path, std::span<const uint8_t> data, bool overwrite) {
  if (path == "-") {
    write_fd(STDOUT_FILENO, data, "standard output");
    return;
  }
  if (written_into(existing_type(path))) {  // a device or FIFO: into it, as it is
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) io_error("cannot open", path, errno);
    try {
      write_fd(fd, data, path);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0) io_error("cannot write", path, errno);
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
      if (existing_type(path) == S_IFDIR) throw Error(ErrorKind::kIo, "'" + path + "' is a directory");
      if (::rename(temp.c_str(), path.c_str()) != 0) io_error("cannot create", path, errno);
    } else {
      if (::link(temp.c_str(), path.c_str()) != 0) {
        if (errno == EEXIST)
          throw Error(ErrorKind::kIo, "'" + path + "' already exists (use -f to overwrite)");
        if (errno != EPERM && errno != EOPNOTSUPP) io_error("cannot create", path, errno);
        // A file system without hard links: check, then rename.
        check_output(path, false);
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

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) io_error("cannot remove", path, errno);
}

void install_signal_cleanup() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, on_signal);
}

}  // namespace nncomp::cli
