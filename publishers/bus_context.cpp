#include "publishers/bus_context.h"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <algorithm>
#include <array>
#include <set>

namespace newsmon {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kZapDomain = "newsmon";
// A refused client reconnects every few hundred milliseconds; remembering whom we have
// already reported keeps that from flooding the log, and the cap keeps a scanner from
// growing the set without bound.
constexpr std::size_t kMaxRemembered = 1000;

std::string Z85(const zmq::message_t& binary_key) {
  if (binary_key.size() != 32) return "";
  char text[41];
  zmq_z85_encode(text, binary_key.data<std::uint8_t>(), 32);
  return text;
}

}  // namespace

struct BusContext::State {
  zmq::context_t context;
  std::optional<CurveServerOptions> curve;
  std::optional<zmq::socket_t> authenticator;
  std::set<std::string> reported;
  int fd = -1;
};

BusContext::BusContext(std::unique_ptr<State> state) : state_(std::move(state)) {}
BusContext::~BusContext() = default;

Result<std::unique_ptr<BusContext>> BusContext::Create(
    const std::optional<CurveServerOptions>& curve) {
  auto state = std::make_unique<State>();
  state->curve = curve;
  if (curve) {
    if (!CurveAvailable()) {
      return Status::Error("CURVE is configured but this libzmq was built without it");
    }
    if (Status s = OpenAuthenticator(*state); !s.ok()) return s;
  }
  return std::unique_ptr<BusContext>(new BusContext(std::move(state)));
}

Status BusContext::OpenAuthenticator(State& state) {
  state.fd = -1;
  state.authenticator.reset();
  try {
    state.authenticator.emplace(state.context, zmq::socket_type::rep);
    state.authenticator->set(zmq::sockopt::linger, 0);
    state.authenticator->bind(kZapEndpoint);
    state.fd = state.authenticator->get(zmq::sockopt::fd);
    return Status::Ok();
  } catch (const zmq::error_t& error) {
    state.authenticator.reset();
    return Status::Error(std::string("cannot start the CURVE authenticator: ") + error.what());
  }
}

bool BusContext::curve() const { return state_->curve.has_value(); }
int BusContext::authenticator_fd() const { return state_->fd; }
zmq::context_t& BusContext::context() { return state_->context; }

void BusContext::SetAuthorizedClients(std::vector<std::string> public_keys) {
  if (!state_->curve) return;
  state_->curve->authorized_clients = std::move(public_keys);
  state_->reported.clear();
}

void BusContext::SecureServerSocket(zmq::socket_t& socket) const {
  if (!state_->curve) return;
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, state_->curve->server.secret_key);
  socket.set(zmq::sockopt::zap_domain, kZapDomain);
}

// ZAP (RFC 27): version, request id, domain, address, identity, mechanism, credentials.
std::vector<std::string> BusContext::ServeAuthentication() {
  std::vector<std::string> refusals;
  if (!state_->authenticator) return refusals;
  zmq::socket_t& socket = *state_->authenticator;
  try {
    // ZMQ_FD is edge-triggered: drain everything that is ready before waiting again.
    while (socket.get(zmq::sockopt::events) & ZMQ_POLLIN) {
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait))
        break;
      Answer(frames, refusals);
    }
  } catch (const zmq::error_t& error) {
    // A REP socket that failed mid-exchange refuses every later request, which would stall
    // every handshake until a restart: start a fresh one instead.
    Status reopened = OpenAuthenticator(*state_);
    refusals.push_back(std::string("CURVE authenticator failed (") + error.what() + "); " +
                       (reopened.ok() ? "restarted it" : reopened.message()));
  }
  return refusals;
}

// A REP socket must answer every request before it can read the next, so even a
// malformed one gets a reply (500), or the handler would be stuck.
void BusContext::Answer(const std::vector<zmq::message_t>& frames,
                        std::vector<std::string>& refusals) {
  zmq::socket_t& socket = *state_->authenticator;
  std::string request_id = frames.size() > 1 ? frames[1].to_string() : "";
  if (frames.size() < 6) {
    std::array<zmq::const_buffer, 6> reply = {
        zmq::str_buffer("1.0"), zmq::buffer(request_id),
        zmq::str_buffer("500"), zmq::str_buffer("malformed ZAP request"),
        zmq::str_buffer(""),    zmq::str_buffer("")};
    zmq::send_multipart(socket, reply, zmq::send_flags::dontwait);
    return;
  }
  std::string mechanism = frames[5].to_string();
  std::string key = frames.size() > 6 ? Z85(frames[6]) : "";
  const auto& allowed = state_->curve->authorized_clients;
  bool admitted =
      mechanism == "CURVE" && std::find(allowed.begin(), allowed.end(), key) != allowed.end();
  std::array<zmq::const_buffer, 6> reply = {
      zmq::str_buffer("1.0"),
      zmq::buffer(request_id),
      admitted ? zmq::str_buffer("200") : zmq::str_buffer("400"),
      admitted ? zmq::str_buffer("OK") : zmq::str_buffer("client key not authorised"),
      zmq::buffer(key),
      zmq::str_buffer("")};
  zmq::send_multipart(socket, reply, zmq::send_flags::dontwait);
  if (!admitted) ReportOnce(frames[3].to_string(), key, refusals);
}

void BusContext::ReportOnce(const std::string& address, const std::string& key,
                            std::vector<std::string>& refusals) {
  if (!state_->reported.insert(address + " " + key).second) return;
  if (state_->reported.size() > kMaxRemembered) state_->reported.clear();
  refusals.push_back("refused a bus client at " + address + ": its key " + key +
                     " is not among the authorised client keys");
}

bool IsExposedEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return false;
  const std::string scheme = "tcp://";
  // Anything else (ws://, tipc://, the multicast pgm://, epgm://, norm://) reaches other hosts.
  if (endpoint.rfind(scheme, 0) != 0) return true;
  std::string host = endpoint.substr(scheme.size());
  host = host.substr(0, host.rfind(':'));
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  // ZeroMQ's "tcp://lo:5556" names an interface; so can "eth0", which is exposed.
  return !(host == "localhost" || host == "lo" || host == "::1" || host.rfind("127.", 0) == 0);
}

bool CurveCovers(const std::string& endpoint) {
  for (const char* multicast : {"pgm://", "epgm://", "norm://", "udp://"}) {
    if (endpoint.rfind(multicast, 0) == 0) return false;
  }
  return true;
}

}  // namespace newsmon
