#include "store/sqlite.h"

#include <sqlite3.h>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace newsmon::sqlite {

// Idle statements by their SQL text. The store's statements are a fixed set of literals; the
// cap only guards against a caller that builds SQL text, whose statements are then finalized.
struct StatementCache {
  static constexpr std::size_t kMaxTexts = 256;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle;

  sqlite3_stmt* Take(std::string_view sql) {
    auto found = idle.find(std::string(sql));
    if (found == idle.end() || found->second.empty()) return nullptr;
    sqlite3_stmt* stmt = found->second.back();
    found->second.pop_back();
    return stmt;
  }

  void Give(sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    const std::string sql = sqlite3_sql(stmt);
    if (idle.size() >= kMaxTexts && !idle.contains(sql)) {
      sqlite3_finalize(stmt);
      return;
    }
    idle[sql].push_back(stmt);
  }

  void FinalizeAll() {
    for (auto& [sql, stmts] : idle) {
      for (sqlite3_stmt* stmt : stmts) sqlite3_finalize(stmt);
    }
    idle.clear();
  }
};

namespace {

constexpr int kBusyTimeoutMs = 100;

// SQLite's result code decides the kind: a lock is worth retrying, a full or failing disk is
// the machine's, the rest is ours.
Status SqliteError(int rc, std::string message) {
  switch (rc & 0xff) {  // the primary code of an extended one
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      // Writing on would make it worse; what to do is the same wherever it is found.
      return Status::IoError(std::string(sqlite3_errstr(rc)) +
                             ": the file is damaged or is not a newsmon database; newsmon "
                             "leaves it as it is: restore it from a backup, or move it away to "
                             "start a new one");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(std::move(message));
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return Status::IoError(std::move(message));
    default:
      return Status::Error(std::move(message));
  }
}

}  // namespace

Result<Database> Database::Open(const std::string& path) {
  sqlite3* handle = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  Database db(handle);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) {
    return SqliteError(rc, "cannot open database '" + path +
                               "': " + (handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc)));
  }
  // Readers (`newsmon status`, replay) never hold up the one writer under WAL, so a lock is
  // another process writing: waiting long for it would hold the daemon's loop, which
  // retries the write later anyway.
  sqlite3_busy_timeout(handle, kBusyTimeoutMs);
  return db;
}

Database::Database(sqlite3* handle) : handle_(handle), cache_(std::make_unique<StatementCache>()) {}

Database::Database(Database&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    Close();
    handle_ = std::exchange(other.handle_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Database::~Database() { Close(); }

void Database::Close() {
  if (cache_) cache_->FinalizeAll();
  sqlite3_close_v2(handle_);
  handle_ = nullptr;
}

Status Database::Exec(const char* sql) {
  char* error = nullptr;
  if (int rc = sqlite3_exec(handle_, sql, nullptr, nullptr, &error); rc != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    return SqliteError(rc, message);
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  if (sqlite3_stmt* cached = cache_->Take(sql)) return Statement(cached, handle_, cache_.get());
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(handle_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, std::string("SQL error: ") + sqlite3_errmsg(handle_));
  return Statement(stmt, handle_, cache_.get());
}

Status Database::SyncLog() {
  sqlite3_file* log = nullptr;
  int rc = sqlite3_file_control(handle_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log);
  if (rc != SQLITE_OK) return SqliteError(rc, "cannot find the write-ahead log to sync");
  // No log is open before the first write (or for ":memory:"): nothing to make durable.
  if (log == nullptr || log->pMethods == nullptr) return Status::Ok();
  rc = log->pMethods->xSync(log, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK) return SqliteError(rc, "cannot sync the write-ahead log to the disk");
  return Status::Ok();
}

std::int64_t Database::LastInsertRowid() const { return sqlite3_last_insert_rowid(handle_); }
int Database::Changes() const { return sqlite3_changes(handle_); }
std::string Database::LastError() const { return sqlite3_errmsg(handle_); }

Statement::Statement(Statement&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      db_(other.db_),
      cache_(other.cache_),
      status_(other.status_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    handle_ = std::exchange(other.handle_, nullptr);
    db_ = other.db_;
    cache_ = other.cache_;
    status_ = other.status_;
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() {
  if (handle_ == nullptr) return;
  if (cache_ != nullptr) {
    cache_->Give(std::exchange(handle_, nullptr));
  } else {
    sqlite3_finalize(std::exchange(handle_, nullptr));
  }
}

Statement& Statement::Bind(int index, std::int64_t value) {
  sqlite3_bind_int64(handle_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(handle_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(handle_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(handle_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(handle_, index);
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

bool Statement::Step() {
  int rc = sqlite3_step(handle_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE)
    status_ = SqliteError(rc, std::string("SQL error: ") + sqlite3_errmsg(db_));
  return false;
}

Status Statement::Run() {
  while (Step()) {
  }
  Status result = status_;
  Reset();
  return result;
}

void Statement::Reset() {
  sqlite3_reset(handle_);
  sqlite3_clear_bindings(handle_);
  status_ = Status::Ok();
}

std::int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(handle_, index); }
double Statement::ColumnDouble(int index) const { return sqlite3_column_double(handle_, index); }

std::string Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(handle_, index);
  int size = sqlite3_column_bytes(handle_, index);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size)) : "";
}

std::string_view Statement::ColumnView(int index) const {
  const unsigned char* text = sqlite3_column_text(handle_, index);
  int size = sqlite3_column_bytes(handle_, index);
  return text ? std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(size))
              : std::string_view();
}

std::string_view Statement::ColumnBlob(int index) const {
  const void* bytes = sqlite3_column_blob(handle_, index);
  int size = sqlite3_column_bytes(handle_, index);
  return bytes ? std::string_view(static_cast<const char*>(bytes), static_cast<size_t>(size))
               : std::string_view();
}

bool Statement::ColumnIsNull(int index) const {
  return sqlite3_column_type(handle_, index) == SQLITE_NULL;
}

std::optional<std::int64_t> Statement::ColumnOptionalInt(int index) const {
  if (ColumnIsNull(index)) return std::nullopt;
  return ColumnInt(index);
}

Transaction::Transaction(Database& db) : db_(db), begin_status_(db.Exec("BEGIN IMMEDIATE")) {
  done_ = !begin_status_.ok();
}

Transaction::~Transaction() {
  // Nothing to report to from a destructor; if even ROLLBACK fails, SQLite rolls the
  // transaction back when the connection closes.
  if (!done_) static_cast<void>(db_.Exec("ROLLBACK"));
}

Status Transaction::Commit() {
  Status status = db_.Exec("COMMIT");
  done_ = status.ok();
  return status;
}

ReadTransaction::ReadTransaction(Database& db) : db_(db), open_(db.Exec("BEGIN").ok()) {}

ReadTransaction::~ReadTransaction() {
  // A read-only transaction has nothing to lose: COMMIT only ends it, and should it fail,
  // ROLLBACK does, so that the connection is not left inside it.
  if (open_ && !db_.Exec("COMMIT").ok()) static_cast<void>(db_.Exec("ROLLBACK"));
}

}  // namespace newsmon::sqlite
