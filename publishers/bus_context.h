// The one ZeroMQ context that the bus's sockets (PUB, replay REP) live in, and, with
// CURVE configured, the ZAP handler that admits only authorised client keys. ZAP works
// per context (inproc://zeromq.zap.01), which is why the sockets share this one.
//
// The handler does not run on a thread of its own: the daemon's loop waits on
// authenticator_fd() and calls ServeAuthentication(), as it does for replay requests.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "publishers/curve.h"

namespace zmq {
class context_t;
class message_t;
class socket_t;
}  // namespace zmq

namespace newsmon {

struct CurveServerOptions {
  CurveKeyPair server;                          // the daemon's own pair
  std::vector<std::string> authorized_clients;  // Z85 public keys
};

class BusContext {
 public:
  static Result<std::unique_ptr<BusContext>> Create(const std::optional<CurveServerOptions>& curve);
  ~BusContext();
  BusContext(const BusContext&) = delete;
  BusContext& operator=(const BusContext&) = delete;

  bool curve() const;
  // -1 without CURVE: then nothing needs serving.
  int authenticator_fd() const;
  // Answers every pending handshake. Returns a line for the log about each client
  // refused, once per address and key until the next SetAuthorizedClients().
  std::vector<std::string> ServeAuthentication();
  // Takes effect for the next handshakes (a reload); connected clients stay connected.
  void SetAuthorizedClients(std::vector<std::string> public_keys);

  // For the bus's own sockets, before they bind.
  zmq::context_t& context();
  void SecureServerSocket(zmq::socket_t& socket) const;

 private:
  struct State;
  explicit BusContext(std::unique_ptr<State> state);
  static Status OpenAuthenticator(State& state);
  void Answer(const std::vector<zmq::message_t>& frames, std::vector<std::string>& refusals);
  void ReportOnce(const std::string& address, const std::string& key,
                  std::vector<std::string>& refusals);
  std::unique_ptr<State> state_;
};

// Endpoints other hosts can reach: tcp:// on anything but loopback, and every transport
// but ipc:// and inproc://. The daemon warns when one is bound without CURVE.
bool IsExposedEndpoint(const std::string& endpoint);
// False for the multicast transports (pgm, epgm, norm) and udp, which CURVE does not
// secure: the daemon refuses them when CURVE is on rather than publish in the clear.
bool CurveCovers(const std::string& endpoint);

}  // namespace newsmon
