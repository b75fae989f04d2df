#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/temp_dir.h"

namespace newsmon::testing {

std::string FindProgram(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream directories(path ? path : "/usr/bin:/bin");
  for (std::string directory; std::getline(directories, directory, ':');) {
    std::string candidate = (directory.empty() ? "." : directory) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

Process::Process(const std::vector<std::string>& args, const std::string& stdin_text,
                 const std::vector<std::string>& env)
    : Process(
          ProgramTag{},
          [&] {
            std::vector<std::string> argv = {NEWSMON_BINARY};
            argv.insert(argv.end(), args.begin(), args.end());
            return argv;
          }(),
          stdin_text, env) {}

std::unique_ptr<Process> Process::Program(const std::vector<std::string>& args) {
  return std::unique_ptr<Process>(new Process(ProgramTag{}, args, "", {}));
}

Process::Process(ProgramTag, std::vector<std::string> argv_strings, const std::string& stdin_text,
                 const std::vector<std::string>& env) {
  std::string pattern = (std::filesystem::temp_directory_path() / "newsmon-proc-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  std::string in = directory_ + "/stdin", out = directory_ + "/stdout",
              err = directory_ + "/stderr";
  std::ofstream(in, std::ios::binary) << stdin_text;
  std::vector<std::string> env_strings = env;
  pid_ = fork();
  if (pid_ == 0) {
    for (std::string& entry : env_strings) putenv(entry.data());
    dup2(open(in.c_str(), O_RDONLY), 0);
    dup2(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
    dup2(open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    std::vector<char*> argv;
    for (std::string& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

Process::~Process() {
  if (!status_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

void Process::Signal(int signal) const { kill(pid_, signal); }

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int raw = 0;
    if (waitpid(pid_, &raw, WNOHANG) == pid_) {
      status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

std::string Process::Stdout() const { return ReadFile(directory_ + "/stdout"); }
std::string Process::Stderr() const { return ReadFile(directory_ + "/stderr"); }

Completed RunNewsmon(const std::vector<std::string>& args, const std::string& stdin_text) {
  Process process(args, stdin_text);
  auto status = process.Wait();
  return {status.value_or(-1), process.Stdout(), process.Stderr()};
}

}  // namespace newsmon::testing
