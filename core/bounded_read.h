// Reads a whole file with a bound on what is read, for the files a config is or names (the
// config itself, thread files, CURVE keys) and OPML imports: at most max_bytes + 1 bytes are
// read, so a path naming /dev/zero, a pipe that never ends or a huge (even sparse) file costs
// no more than the bound; a regular file over the bound is refused by its size, unread.
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"

namespace newsmon {

// Ok: the file's bytes.
// kInvalidInput when it holds more than max_bytes, with a message to follow "FILE:1: " and to
// be followed by the caller's rule ("; a thread file may have at most 1 MiB"):
//   "the file is N bytes"                                   (a regular file)
//   "the file gives more than 1 MiB (it is not a regular file)"  (a device, a pipe)
//   "the file grew past 1 MiB while it was read"
// kNotFound or kIoError when it cannot be opened or read, with strerror's words ("No such
// file or directory"); also "Is a directory".
Result<std::string> ReadFileAtMost(const std::string& path, std::size_t max_bytes);

// A bound as the messages name it: "1 MiB", "64 KiB", or "1000 bytes" when it is neither.
std::string DescribeBytes(std::size_t bytes);

}  // namespace newsmon
