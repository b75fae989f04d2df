#include "publishers/curve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/bounded_read.h"
#include "core/time_format.h"

namespace newsmon {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kZ85KeyLength = 40;
// `newsmon keygen` writes about 300 bytes; a key directory's entry naming /dev/zero is read
// no further than this.
constexpr std::size_t kMaxCurveCertificateBytes = 64 << 10;

bool IsZ85Key(const std::string& key) {
  if (key.size() != kZ85KeyLength) return false;
  std::uint8_t decoded[32];
  return zmq_z85_decode(decoded, key.c_str()) != nullptr;
}

std::string CertificateText(const CurveKeyPair& keys, bool with_secret) {
  std::ostringstream out;
  out << "#   ****  Generated on " << FormatRfc3339(UnixNow()) << " by newsmon keygen  ****\n"
      << (with_secret ? "#   ZeroMQ CURVE **Secret** Certificate\n"
                        "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n"
                      : "#   ZeroMQ CURVE Public Certificate\n"
                        "#   Exchange securely, or use a secure mechanism to verify the contents\n"
                        "#   of this file after exchange. Store public certificates in your home\n"
                        "#   directory, in the .curve subdirectory.\n")
      << "\nmetadata\ncurve\n    public-key = \"" << keys.public_key << "\"\n";
  if (with_secret) out << "    secret-key = \"" << keys.secret_key << "\"\n";
  return out.str();
}

// O_EXCL so a second keygen can never replace a key pair that clients already trust.
// What keygen says about a file it will not replace (or could not create).
Status CannotCreate(const std::string& path, int error) {
  return Status::Error("cannot create " + path + ": " + std::strerror(error) +
                       (error == EEXIST ? " (remove it first to replace the key)" : ""));
}

Status WriteNewFile(const std::string& path, const std::string& text, mode_t mode) {
  FILE* file = nullptr;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd >= 0) file = fdopen(fd, "w");
  if (!file) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    return CannotCreate(path, error);
  }
  bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  bool closed = std::fclose(file) == 0;
  if (!written || !closed) return Status::Error("cannot write " + path);
  return Status::Ok();
}

// `    public-key = "..."` in the ZPL layout; quotes optional, comments start with '#'.
std::string ValueOf(const std::string& line) {
  std::string value = line.substr(line.find('=') + 1);
  auto strip = [](char c) { return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\r'; };
  while (!value.empty() && strip(value.front())) value.erase(value.begin());
  while (!value.empty() && strip(value.back())) value.pop_back();
  return value;
}

std::string KeyName(const std::string& line) {
  std::size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return "";
  std::size_t end = line.find_first_of(" \t=", start);
  return line.substr(start, end - start);
}

}  // namespace

bool CurveAvailable() { return zmq_has("curve") != 0; }

Result<CurveKeyPair> GenerateCurveKeyPair() {
  char public_key[kZ85KeyLength + 1];
  char secret_key[kZ85KeyLength + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return Status::Error(std::string("cannot generate a CURVE key pair: ") +
                         zmq_strerror(zmq_errno()) + " (is libzmq built with libsodium?)");
  }
  return CurveKeyPair{public_key, secret_key};
}

Result<std::vector<std::string>> WriteCurveCertificates(const std::string& directory,
                                                        const std::string& name,
                                                        const CurveKeyPair& keys) {
  if (name.empty() || name.find('/') != std::string::npos) {
    return Status::Error("key name '" + name + "' must be a plain file name such as 'server'");
  }
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) return Status::Error("cannot create " + directory + ": " + error.message());
  std::string public_path = (fs::path(directory) / (name + ".key")).string();
  std::string secret_path = public_path + "_secret";
  // Both or neither: a new secret beside an old public key is a pair that never works, and
  // nothing says so until a client is refused.
  for (const std::string& path : {secret_path, public_path}) {
    if (::access(path.c_str(), F_OK) == 0) return CannotCreate(path, EEXIST);
  }
  const std::string suffix = ".new-" + std::to_string(::getpid());
  const std::string secret_new = secret_path + suffix;
  const std::string public_new = public_path + suffix;
  auto cleanup = [&] {
    ::unlink(secret_new.c_str());
    ::unlink(public_new.c_str());
  };
  Status written = WriteNewFile(secret_new, CertificateText(keys, true), 0600);
  if (written.ok()) written = WriteNewFile(public_new, CertificateText(keys, false), 0644);
  // link() never replaces a file, unlike rename(): one that appeared meanwhile is kept.
  if (written.ok() && ::link(secret_new.c_str(), secret_path.c_str()) != 0) {
    written = CannotCreate(secret_path, errno);
  } else if (written.ok() && ::link(public_new.c_str(), public_path.c_str()) != 0) {
    written = CannotCreate(public_path, errno);
    ::unlink(secret_path.c_str());  // the one just linked: no half pair is left
  }
  cleanup();
  if (!written.ok()) return written;
  return std::vector<std::string>{public_path, secret_path};
}

Result<CurveKeyPair> LoadCurveCertificate(const std::string& path) {
  auto text = ReadFileAtMost(path, kMaxCurveCertificateBytes);
  if (!text.ok() && text.status().code() == StatusCode::kInvalidInput) {
    return Status::Error(path + ": " + text.status().message() +
                         "; a CURVE certificate may have at most " +
                         DescribeBytes(kMaxCurveCertificateBytes));
  }
  if (!text.ok()) {
    return Status::Error("cannot read CURVE certificate " + path + ": " + text.status().message());
  }
  CurveKeyPair keys;
  std::istringstream file(*text);
  std::string line;
  while (std::getline(file, line)) {
    std::string key = KeyName(line);
    if (key == "public-key") keys.public_key = ValueOf(line);
    if (key == "secret-key") keys.secret_key = ValueOf(line);
  }
  if (!IsZ85Key(keys.public_key)) {
    return Status::Error(path +
                         " holds no valid public-key (expected a ZeroMQ certificate, "
                         "as written by 'newsmon keygen')");
  }
  if (!keys.secret_key.empty() && !IsZ85Key(keys.secret_key)) {
    return Status::Error(path + ": secret-key is not a 40-character Z85 key");
  }
  return keys;
}

Result<CurveKeyPair> LoadCurveSecretCertificate(const std::string& path) {
  auto keys = LoadCurveCertificate(path);
  if (!keys.ok()) return keys;
  if (keys->secret_key.empty()) {
    return Status::Error(path +
                         " holds no secret-key: give the NAME.key_secret file, not the "
                         "public NAME.key");
  }
  // As ssh does with private keys: a secret anyone on the host can read is no secret.
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & S_IROTH)) {
    return Status::Error(path +
                         " is readable by every user on this host: chmod o-rwx it "
                         "(0600, or 0640 for a group the daemon is in)");
  }
  return keys;
}

Result<std::vector<std::string>> LoadCurvePublicKeys(const std::string& directory) {
  std::error_code error;
  fs::directory_iterator entries(directory, error);
  if (error)
    return Status::Error("cannot read authorised keys directory " + directory + ": " +
                         error.message());
  std::vector<std::string> keys;
  for (const fs::directory_entry& entry : entries) {
    if (entry.path().extension() != ".key") continue;
    auto certificate = LoadCurveCertificate(entry.path().string());
    if (!certificate.ok()) return certificate.status();
    keys.push_back(certificate->public_key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace newsmon
