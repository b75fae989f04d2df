// One daemon per database (store/database_lock.h): the lock file, its refusal's words, and the
// paths that name one database.
#include "store/database_lock.h"

#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

std::string Refusal(const std::string& database) {
  return database + " is in use by another newsmon process (pid " + std::to_string(::getpid()) +
         "): a database takes one daemon; stop that one, or give this one a database of its own";
}

TEST_CASE("a second lock on a database is refused, naming the holder, until the first goes") {
  TempDir dir;
  const std::string database = dir.File("newsmon.db");
  {
    auto first = DatabaseLock::Acquire(database);
    REQUIRE(first.ok());
    auto second = DatabaseLock::Acquire(database);
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().code() == StatusCode::kBusy);
    CHECK(second.status().message() == Refusal(database));
  }
  CHECK(DatabaseLock::Acquire(database).ok());
  CHECK(DatabaseLock::Acquire(":memory:").ok());
}

TEST_CASE("a database named through a symlink is the same database") {
  TempDir dir;
  const std::string database = dir.File("newsmon.db");
  const std::string link = dir.File("elsewhere.db");
  dir.Write("newsmon.db", "");
  std::filesystem::create_symlink(database, link);
  auto first = DatabaseLock::Acquire(database);
  REQUIRE(first.ok());
  auto through_link = DatabaseLock::Acquire(link);
  REQUIRE_FALSE(through_link.ok());
  CHECK(through_link.status().message() == Refusal(link));
}

}  // namespace
}  // namespace newsmon::testing
