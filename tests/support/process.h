#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace newsmon::testing {

// The newsmon binary run as a user would run it, with its output captured in files.
class Process {
 public:
  // args exclude the program; stdin_text is fed to its standard input.
  // env entries ("NAME=value") are added to the child's environment.
  Process(const std::vector<std::string>& args, const std::string& stdin_text = "",
          const std::vector<std::string>& env = {});
  // Another program (a client from the docs, say): args[0] is its path.
  static std::unique_ptr<Process> Program(const std::vector<std::string>& args);
  ~Process();  // kills it if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void Signal(int signal) const;
  // Exit status once it has exited (128 + signal when killed), or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  struct ProgramTag {};
  Process(ProgramTag, std::vector<std::string> argv, const std::string& stdin_text,
          const std::vector<std::string>& env);

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string directory_;
};

struct Completed {
  int status = -1;
  std::string out;
  std::string err;
};

// The full path of program on PATH, or "" when it is not installed.
std::string FindProgram(const std::string& program);

// Runs `newsmon args...` to completion.
Completed RunNewsmon(const std::vector<std::string>& args, const std::string& stdin_text = "");

}  // namespace newsmon::testing
