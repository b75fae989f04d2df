// An e-mail sink: mails the alerts of the outbox over SMTP (libcurl: smtp:// with STARTTLS
// required, or smtps://; AUTH when a username is set) to one recipient list, either one
// message per alert or, with a digest period, one message per thread gathering the alerts that
// came within the period after the first. It runs on the daemon's loop like a webhook sink
// (publishers/webhook.h): its transfers run in the one curl driver's prompt lane, one at a
// time, and the loop calls Pump() after each wait.
//
// Delivery keeps the webhooks' guarantees: messages go out in the order they fall due (seq
// order without a digest), a failure (server down, refused, timeout, a certificate that cannot
// be verified: nothing is sent then, not even the credentials) retries the same message
// — same Message-ID, same content — with exponential backoff and jitter, forever, and nothing
// is skipped. The stored mark (the last seq before which everything was mailed or is not the
// sink's) moves only past alerts actually mailed, so a digest waiting at a restart is gathered
// again from the store. Digests of different threads interleave in seq, so a thread's digest
// can be mailed while an older alert of another thread still waits: a per-thread mark, stored
// only then, keeps a restart from mailing that digest again. Delivery is at least once: a
// message the server accepted but whose reply was lost (a timeout after DATA), or whose mark
// was not stored before a crash, goes again with the same Message-ID for the mail client to
// recognise.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "publishers/alert_sink.h"
#include "store/store.h"

namespace newsmon {

class CurlMulti;

struct EmailOptions {
  std::string name;             // keys the stored marks
  std::string url;              // smtp://HOST[:PORT] or smtps://HOST[:PORT], no credentials in it
  std::string from;             // an address (IsMailAddress)
  std::vector<std::string> to;  // at least one address
  std::vector<std::string> threads;  // thread ids to mail; empty: every thread
  // smtp:// only: refuse to go on without STARTTLS. Off is for a relay on loopback, and then
  // credentials are refused unless the host is a loopback one.
  bool starttls = true;
  std::string username;  // empty: no AUTH
  std::string password;
  // A PEM file of the CAs to trust instead of the system's (CURLOPT_CAINFO,
  // https://curl.se/libcurl/c/CURLOPT_CAINFO.html), for a relay with an internal CA; empty:
  // the system's. Read again at each session, so a CA replaced in place counts from the next
  // message.
  std::string ca_file;
  // Zero: one message per alert. Else a thread's alerts are gathered for this long after the
  // first one was detected, then mailed as one message.
  std::chrono::milliseconds digest{0};
  std::size_t most_per_digest = 100;  // the rest go in the next one, due at once
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // the whole SMTP session
  std::chrono::milliseconds min_backoff{std::chrono::seconds(1)};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(10)};
  std::size_t batch = 100;  // outbox rows read per look
};

class EmailSink : public AlertSink {
 public:
  // Validates the options (a ca_file must pass CheckCaFile) and reads (or, for a new sink,
  // records at the outbox's last seq) its mark. store, multi and env must outlive the sink and
  // be used on the same thread; digests and backoffs are timed on env's clock, jitter drawn
  // from its random source.
  static Result<std::unique_ptr<EmailSink>> Create(const EmailOptions& options, Store& store,
                                                   CurlMulti& multi, Env& env = Env::Default());
};

// The key of a sink's mark among the store's sink cursors ("email:NAME"), apart from the
// webhooks' (keyed by their bare name).
std::string EmailMarkKey(const std::string& sink_name);

// Ok when path is a readable file holding at least one PEM certificate; else why not, naming
// the path ("cannot read ca_file PATH: No such file or directory"), for the config's checks and
// Create's.
Status CheckCaFile(const std::string& path);

// Whether a host name or address is this machine's loopback (localhost, 127.0.0.0/8, ::1).
bool IsLoopbackHost(const std::string& host);

}  // namespace newsmon
