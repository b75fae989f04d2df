// Move-only owners of sqlite3* and sqlite3_stmt*, so no handle is ever naked and every
// statement binds its parameters (no SQL is ever built from data).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace newsmon::sqlite {

class Statement;
struct StatementCache;

class Database {
 public:
  static Result<Database> Open(const std::string& path);
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // For fixed SQL with no parameters (schema, pragmas, BEGIN/COMMIT).
  Status Exec(const char* sql);
  // A statement of this SQL text, compiled once per connection: a statement handed back (when
  // the Statement goes out of scope) is reset and kept for the next Prepare of the same text,
  // as parsing SQL costs more than running the small statements of the store.
  Result<Statement> Prepare(std::string_view sql);
  // Flushes the write-ahead log to the disk (one fsync): with synchronous=NORMAL a commit
  // survives the process crashing but not the machine losing power until this is done.
  Status SyncLog();
  std::int64_t LastInsertRowid() const;
  int Changes() const;
  std::string LastError() const;

 private:
  explicit Database(sqlite3* handle);
  void Close();
  sqlite3* handle_ = nullptr;
  std::unique_ptr<StatementCache> cache_;
};

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite.
  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<std::int64_t>& value);

  // true while a row is available; errors end the iteration and show in status().
  bool Step();
  // Runs a statement that returns no rows.
  Status Run();
  void Reset();

  std::int64_t ColumnInt(int index) const;
  double ColumnDouble(int index) const;
  std::string ColumnText(int index) const;
  // The text without a copy: valid until the next Step, Reset or the statement's end.
  std::string_view ColumnView(int index) const;
  // A BLOB's bytes, likewise without a copy.
  std::string_view ColumnBlob(int index) const;
  bool ColumnIsNull(int index) const;
  std::optional<std::int64_t> ColumnOptionalInt(int index) const;

  const Status& status() const { return status_; }

 private:
  friend class Database;
  Statement(sqlite3_stmt* handle, sqlite3* db, StatementCache* cache)
      : handle_(handle), db_(db), cache_(cache) {}
  void Release();  // back to the cache, or finalized
  sqlite3_stmt* handle_ = nullptr;
  sqlite3* db_ = nullptr;
  StatementCache* cache_ = nullptr;
  Status status_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const Status& begin_status() const { return begin_status_; }
  Status Commit();

 private:
  Database& db_;
  Status begin_status_;
  bool done_ = false;
};

// BEGIN (deferred) on construction, COMMIT on destruction: the statements between read one
// snapshot, and SQLite takes its locks once for them all rather than once per statement (a
// feed's known ids were one read lock and unlock per item, two fcntl calls each). When BEGIN
// fails (a transaction already open), the statements run as they would without it.
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace newsmon::sqlite
