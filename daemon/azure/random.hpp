#pragma once
// Randomness the Azure client needs: request ids and assertion ids (from OpenSSL's generator, unpredictable),
// and the jitter of backoffs.

#include <string>

namespace rpd::azure {

// A version 4 GUID in lower case, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". Throws std::runtime_error only when
// OpenSSL's generator fails, which it does not once seeded (a broken system, not an expected failure).
std::string new_guid();

// Uniform in [0, 1], for jitter; not for anything secret.
double random_unit();

}  // namespace rpd::azure
