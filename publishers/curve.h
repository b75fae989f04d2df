// CURVE keys for the bus, kept in ZeroMQ's certificate files (the format CZMQ's zcert
// and pyzmq's zmq.auth read and write): NAME.key holds the public key and may be handed
// out; NAME.key_secret holds the pair and stays with its owner. Keys are Z85 text, 40
// characters each.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace newsmon {

struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;  // empty when read from a public certificate
};

// False when libzmq was built without CURVE (libsodium).
bool CurveAvailable();
Result<CurveKeyPair> GenerateCurveKeyPair();

// Writes DIRECTORY/NAME.key and DIRECTORY/NAME.key_secret (mode 0600); never overwrites.
// Returns the two paths written.
Result<std::vector<std::string>> WriteCurveCertificates(const std::string& directory,
                                                        const std::string& name,
                                                        const CurveKeyPair& keys);

// Reads a certificate file; a secret certificate must hold both keys.
Result<CurveKeyPair> LoadCurveCertificate(const std::string& path);
Result<CurveKeyPair> LoadCurveSecretCertificate(const std::string& path);

// The public keys of every *.key certificate in a directory (the authorised clients).
Result<std::vector<std::string>> LoadCurvePublicKeys(const std::string& directory);

}  // namespace newsmon
